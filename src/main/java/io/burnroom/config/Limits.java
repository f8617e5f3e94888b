package io.burnroom.config;

/**
 * Size, count and rate limits. Sizes are checked on raw text before any JSON parsing.
 *
 * @param maxProfileChars     base64 profile length
 * @param maxBodyChars        base64 message body length
 * @param maxClientIdChars    client message id length
 * @param maxFrameChars       a whole text frame (largest legal msg frame plus JSON overhead)
 * @param joinTimeoutMs       time allowed before the first (join) frame, and for an HTTP connection's first request head
 * @param maxMembersPerRoom   members, connected or within their resume grace
 * @param maxRoomsPerNode     rooms hosted by one node
 * @param maxSocketsPerNode   WebSocket connections one node accepts
 * @param msgsPerSecond       sustained frames per second per connection (burst is twice that)
 * @param roomsPerMinute      room creations per source address per minute
 * @param strikesBeforeClose  invalid frames tolerated before close 4008
 * @param resumeGraceMs       how long a dropped member keeps its seat for a resume
 */
public record Limits(
    int maxProfileChars,
    int maxBodyChars,
    int maxClientIdChars,
    int maxFrameChars,
    long joinTimeoutMs,
    int maxMembersPerRoom,
    int maxRoomsPerNode,
    int maxSocketsPerNode,
    int msgsPerSecond,
    int roomsPerMinute,
    int strikesBeforeClose,
    long resumeGraceMs) {

  public static final int PROFILE_MAX = 4 * 1024;
  public static final int BODY_MAX = 64 * 1024;
  public static final int CLIENT_ID_MAX = 64;
  /** Room for a full body, id, target and the JSON around them. */
  public static final int FRAME_MAX = BODY_MAX + 1024;

  public static Limits defaults() {
    return new Limits(PROFILE_MAX, BODY_MAX, CLIENT_ID_MAX, FRAME_MAX, 10_000, 50, 10_000, 20_000, 20, 10, 5, 30_000);
  }

  public Limits withRates(int msgsPerSecond, int roomsPerMinute) {
    return new Limits(maxProfileChars, maxBodyChars, maxClientIdChars, maxFrameChars, joinTimeoutMs, maxMembersPerRoom,
        maxRoomsPerNode, maxSocketsPerNode, msgsPerSecond, roomsPerMinute, strikesBeforeClose, resumeGraceMs);
  }

  public Limits withCapacity(int maxMembersPerRoom, int maxRoomsPerNode, int maxSocketsPerNode) {
    return new Limits(maxProfileChars, maxBodyChars, maxClientIdChars, maxFrameChars, joinTimeoutMs, maxMembersPerRoom,
        maxRoomsPerNode, maxSocketsPerNode, msgsPerSecond, roomsPerMinute, strikesBeforeClose, resumeGraceMs);
  }

  public Limits withTimeouts(long joinTimeoutMs, long resumeGraceMs) {
    return new Limits(maxProfileChars, maxBodyChars, maxClientIdChars, maxFrameChars, joinTimeoutMs, maxMembersPerRoom,
        maxRoomsPerNode, maxSocketsPerNode, msgsPerSecond, roomsPerMinute, strikesBeforeClose, resumeGraceMs);
  }
}
