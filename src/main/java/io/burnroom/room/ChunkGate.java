package io.burnroom.room;

import io.burnroom.config.ByteRate;
import io.burnroom.wire.ErrorCode;
import io.burnroom.wire.ServerFrames;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The room's rules for attachment chunks (decision 47): a chunk comes from a current connection, goes to every other
 * connected member or to one named member, and is paid for, its body times its recipients, from the room's byte
 * budget and from the node's (shared by all its rooms), which bounds what the node's edges are asked to write, so
 * their queues stay short however many rooms send at once. Unlike a message it gets no
 * seq, no place in the replay log or the replicated frames, and no relay-once window, so the room keeps nothing of
 * it. Pure, on the room's loop, beside the {@link RoomState} it reads.
 */
final class ChunkGate {
  private final RoomState state;
  private final ByteRate room;
  private final ByteRate node;

  ChunkGate(RoomState state, ByteRate room, ByteRate node) {
    this.state = state;
    this.room = room;
    this.node = node;
  }

  /**
   * @param waitMs      how long the sender's ack waits for the room's budget (0: at once)
   * @param frameUtf8   the chunk frame to deliver, encoded once for every node
   */
  record Result(ErrorCode error, long waitMs, byte[] frameUtf8, List<Member> recipients) {
    static Result fail(ErrorCode e) {
      return new Result(e, 0, null, List.of());
    }
  }

  Result relay(String memberId, String connId, String id, String body, String to, long now) {
    if (!state.isCurrent(memberId, connId)) {
      return Result.fail(ErrorCode.NOT_JOINED);
    }
    Member sender = state.member(memberId);
    Member target = null;
    if (to != null) {
      target = state.member(to);
      if (target == null || target == sender) {
        return Result.fail(ErrorCode.UNKNOWN_MEMBER);
      }
    }
    List<Member> recipients = Member.recipients(state.members(), sender, target);
    long delivered = (long) body.length() * Math.max(1, recipients.size());
    long roomWait = room.take(delivered, now);
    if (roomWait < 0) {
      return Result.fail(ErrorCode.RATE_LIMITED);
    }
    long nodeWait = node.take(delivered, now);
    if (nodeWait < 0) {
      room.refund(delivered);
      return Result.fail(ErrorCode.RATE_LIMITED);
    }
    byte[] frame = ServerFrames.chunk(sender.memberId, id, body, target != null).getBytes(StandardCharsets.UTF_8);
    return new Result(null, Math.max(roomWait, nodeWait), frame, recipients);
  }
}
