package io.burnroom.cluster;

/**
 * How long a room's map entries live. Hazelcast 5.3 keeps an entry's TTL and its expiration time in whole seconds, both
 * truncated ({@code ExpirationTimeSetter.toSeconds}, {@code TimeStripUtil.stripBaseTime}), so an entry put with the
 * exact time left could vanish up to two seconds before the room's {@code expiresAt} (found by chaos/: members resuming
 * in a room's last second were told 4004 about 0.5 s early, and a restore in that second can find the snapshot gone
 * and remove the room). Entries therefore live two seconds past {@code expiresAt}; the room's own burn removes them at
 * {@code expiresAt}, so the slack matters only for a room whose node is down at that moment.
 */
final class Expiry {
  /** Two whole seconds of Hazelcast's expiry clock: one for each truncation. */
  static final long SLACK_MS = 2000;

  private Expiry() {
  }

  /** The TTL for an entry of a room with {@code leftMs} left (which must be positive). */
  static long ttl(long leftMs) {
    return leftMs + SLACK_MS;
  }
}
