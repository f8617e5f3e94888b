package io.burnroom.room;

import io.burnroom.config.ByteRate;
import io.burnroom.wire.ErrorCode;
import io.burnroom.wire.ServerFrames;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The room's rules for attachment chunks (decision 47): a chunk comes from a current connection, goes to every other
 * connected member or to one named member, and is paid for, its body times its recipients, from the room's byte
 * budget and from the node's (shared by all its rooms), which bounds what the node's edges are asked to write, so
 * their queues stay short however many rooms send at once. Unlike a message it gets no
 * seq, no place in the replay log or the replicated frames, and no relay-once window, so the room keeps nothing of
 * it. A chunk is relayed only while the nodes holding its recipients have taken enough of the room's earlier ones
 * ({@link DeliveryCredit}, decision 50); otherwise it waits in the room. Pure, on the room's loop, beside the
 * {@link RoomState} it reads.
 */
final class ChunkGate {
  private final RoomState state;
  private final ByteRate room;
  private final ByteRate node;
  private final DeliveryCredit credit;

  ChunkGate(RoomState state, ByteRate room, ByteRate node, DeliveryCredit credit) {
    this.state = state;
    this.room = room;
    this.node = node;
    this.credit = credit;
  }

  /** Without a bound on deliveries in flight worth mentioning (tests of the byte budgets). */
  ChunkGate(RoomState state, ByteRate room, ByteRate node) {
    this(state, room, node, new DeliveryCredit(Integer.MAX_VALUE, new DeliveryCredit.Share(Integer.MAX_VALUE),
        Long.MAX_VALUE));
  }

  DeliveryCredit credit() {
    return credit;
  }

  /**
   * @param waitMs      how long the sender's ack waits for the room's budget (0: at once)
   * @param frameUtf8   the chunk frame to deliver, encoded once for every node
   * @param serial      what its deliveries carry, for the edges' reports ({@link DeliveryCredit})
   * @param held        not relayed: a node holding recipients has no credit left ({@link DeliveryCredit.Block});
   *                    nothing was taken, ask again when credit comes back
   * @param pacedBy     which byte budget made the ack wait (null: none)
   */
  record Result(ErrorCode error, long waitMs, byte[] frameUtf8, List<Member> recipients, long serial,
                DeliveryCredit.Block held, Paced pacedBy, long deliveredBytes) {
    static Result fail(ErrorCode e) {
      return new Result(e, 0, null, List.of(), 0, DeliveryCredit.Block.NONE, null, 0);
    }

    static Result held(DeliveryCredit.Block why) {
      return new Result(null, 0, null, List.of(), 0, why, null, 0);
    }

    boolean isHeld() {
      return held != DeliveryCredit.Block.NONE;
    }
  }

  /** The byte budget behind an ack's wait, or behind a refusal. */
  enum Paced { ROOM, NODE }

  /** Why the last refusal with RATE_LIMITED happened: the room's budget or the node's. */
  private Paced refusedBy;

  Paced refusedBy() {
    return refusedBy;
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
    long serial = credit.take(nodesOf(recipients), now);
    if (serial < 0) {
      return Result.held(credit.lastBlock());
    }
    long delivered = (long) body.length() * Math.max(1, recipients.size());
    long roomWait = room.take(delivered, now);
    if (roomWait < 0) {
      credit.cancel(serial);
      refusedBy = Paced.ROOM;
      return Result.fail(ErrorCode.RATE_LIMITED);
    }
    long nodeWait = node.take(delivered, now);
    if (nodeWait < 0) {
      room.refund(delivered);
      credit.cancel(serial);
      refusedBy = Paced.NODE;
      return Result.fail(ErrorCode.RATE_LIMITED);
    }
    byte[] frame = ServerFrames.chunk(sender.memberId, id, body, target != null).getBytes(StandardCharsets.UTF_8);
    Paced paced = nodeWait > 0 && nodeWait >= roomWait ? Paced.NODE : roomWait > 0 ? Paced.ROOM : null;
    return new Result(null, Math.max(roomWait, nodeWait), frame, recipients, serial, DeliveryCredit.Block.NONE,
        paced, delivered);
  }

  /** The nodes holding sockets of {@code recipients}, each once. */
  private static List<String> nodesOf(List<Member> recipients) {
    List<String> nodes = new ArrayList<>(2);
    for (Member m : recipients) {
      if (m.node != null && !nodes.contains(m.node)) {
        nodes.add(m.node);
      }
    }
    return nodes;
  }
}
