package io.burnroom.bus;

import io.burnroom.wire.AdminOp;
import io.burnroom.wire.ClientFrame;

/**
 * What an edge asks a room, at {@link Addresses#room}; {@code R} is the room's answer. A refusal travels as a failure
 * carrying an {@link io.burnroom.wire.ErrorCode} ({@link Bus#fail}, {@link Bus#errorOf}).
 */
public sealed interface RoomRequest<R extends RoomReply> extends BusMessage {
  /**
   * True when the room may apply this request twice with the same result, so an edge may send it again after an
   * attempt that got no answer (relayed messages are deduplicated by their id in the room).
   */
  default boolean idempotent() {
    return true;
  }

  /** A socket's first frame; {@code node} and {@code connId} say where its deliveries go. */
  record Join(String node, String connId, String source, String profile, String resume, long lastSeq, String token)
      implements RoomRequest<RoomReply.Joined> {
    public static Join of(String node, String connId, String source, ClientFrame.Join j) {
      return new Join(node, connId, source, j.profile(), j.resume(), j.lastSeq(), j.token());
    }
  }

  /** A member's message for its room (the chat hot path); the room answers with the message's seq. */
  record Relay(String memberId, String connId, String id, String body, String to)
      implements RoomRequest<RoomReply.Acked> {
    public static Relay of(String memberId, String connId, ClientFrame.Msg m) {
      return new Relay(memberId, connId, m.id(), m.body(), m.to());
    }
  }

  /**
   * A member's attachment chunk (decision 47): relayed like a message, without seq, replay or replication. The room
   * answers how long the sender's ack waits for the room's byte budget, or refuses with {@code RATE_LIMITED}.
   */
  record Chunk(String memberId, String connId, String id, String body, String to)
      implements RoomRequest<RoomReply.ChunkAcked> {
    public static Chunk of(String memberId, String connId, ClientFrame.Chunk c) {
      return new Chunk(memberId, connId, c.id(), c.body(), c.to());
    }
  }

  /** A creator operation, PIN included; {@code source} is the client address the PIN lockout counts against. */
  record Admin(String memberId, String connId, String source, String pin, AdminOp op, String target, long seconds,
               String joinHash) implements RoomRequest<RoomReply.AdminDone> {
    public static Admin of(String memberId, String connId, String source, ClientFrame.Admin a) {
      return new Admin(memberId, connId, source, a.pin(), a.op(), a.target(), a.seconds(), a.joinHash());
    }

    /** An extend adds time: applied twice, it adds it twice. Lock, kick, rotate and burn come to the same end. */
    @Override
    public boolean idempotent() {
      return op != AdminOp.EXTEND;
    }
  }

  /** A member's socket closed; {@code intentional} when the member left on purpose (no resume grace). */
  record Leave(String memberId, String connId, boolean intentional) implements RoomRequest<RoomReply.Left> {
  }

  /** The room's public facts, for {@code GET /api/rooms/{id}}. */
  record Info() implements RoomRequest<RoomReply.Info> {
  }
}
