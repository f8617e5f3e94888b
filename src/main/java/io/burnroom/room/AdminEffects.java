package io.burnroom.room;

import io.burnroom.cluster.RoomDirectory;
import io.burnroom.metrics.BurnroomMetrics;
import io.burnroom.wire.CloseCodes;
import io.burnroom.wire.ErrorCode;
import io.burnroom.wire.ServerFrames;
import java.util.List;

/**
 * What each creator op (promise P6: the PIN holder controls the room) does to a room, once {@link RoomVerticle} has
 * checked the PIN: the state change, and the frames members get after the cluster write behind it (decision 3,
 * write-then-effect). Kept apart from
 * the verticle so that the request plumbing and the rules of one op can be read (and changed) separately. Each method
 * answers the refusal's code, or {@code null} when the op was applied.
 */
final class AdminEffects {
  private final RoomState state;
  private final RoomReplication replication;
  private final FanOut fanOut;
  private final RoomDirectory directory;
  private final String nodeId;
  private final long maxLifetimeMs;
  /** Re-arms the room's timer after its expiry moved. */
  private final Runnable expiryMoved;
  private final BurnroomMetrics metrics;

  AdminEffects(RoomState state, RoomReplication replication, FanOut fanOut, RoomDirectory directory, String nodeId,
               long maxLifetimeMs, Runnable expiryMoved, BurnroomMetrics metrics) {
    this.metrics = metrics;
    this.state = state;
    this.replication = replication;
    this.fanOut = fanOut;
    this.directory = directory;
    this.nodeId = nodeId;
    this.maxLifetimeMs = maxLifetimeMs;
    this.expiryMoved = expiryMoved;
  }

  /**
   * The PIN check every op passes first, per source ({@code null}: none known), counted in the metrics. A refusal
   * changes the room's lockout state, so the caller answers it after the write.
   */
  ErrorCode checkPin(String source, String pin, long now) {
    ErrorCode e = state.checkPin(state.sourceKey(source == null ? "" : source), pin, now);
    if (e != null) {
      metrics.pinFailure();
      if (state.lastCheckStartedLockout()) {
        metrics.lockout();
      }
    }
    return e;
  }

  ErrorCode kick(String target, JoinHash nextJoinHash) {
    Member m = state.kick(target, nextJoinHash);
    if (m == null) {
      return ErrorCode.UNKNOWN_MEMBER;
    }
    List<Member> remaining = state.connectedMembers();
    replication.afterWrite(() -> {
      if (m.connected()) {
        fanOut.close(List.of(m), CloseCodes.KICKED, ServerFrames.memberLeft(m.memberId, "kicked").encode());
      }
      fanOut.deliver(remaining, ServerFrames.memberLeft(m.memberId, "kicked").encode());
    });
    return null;
  }

  /** Only the room's join hash changes; the members learn the new link end to end, not from the server. */
  ErrorCode rotate(JoinHash next) {
    if (next == null) {
      return ErrorCode.BAD_FIELD;
    }
    state.replaceJoinHash(next);
    return null;
  }

  ErrorCode setLocked(boolean locked) {
    state.setLocked(locked);
    List<Member> everyone = state.connectedMembers();
    replication.afterWrite(() -> fanOut.deliver(everyone, ServerFrames.locked(locked).encode()));
    return null;
  }

  ErrorCode extend(long seconds) {
    ErrorCode e = state.extend(seconds, maxLifetimeMs);
    if (e != null) {
      return e;
    }
    List<Member> everyone = state.connectedMembers();
    long expiresAt = state.expiresAt();
    directory.put(new RoomDirectory.Entry(state.roomId(), nodeId, expiresAt));
    expiryMoved.run();
    replication.afterWrite(() -> fanOut.deliver(everyone, ServerFrames.extended(expiresAt).encode()));
    return null;
  }
}
