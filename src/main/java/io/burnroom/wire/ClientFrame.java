package io.burnroom.wire;

/** A validated frame from a browser. Parsing and validation live in {@link ClientFrameParser}. */
public sealed interface ClientFrame {

  /**
   * First frame of a connection. {@code resume} and {@code lastSeq} are present when reconnecting; {@code token} (32
   * bytes, base64url) is the join token a room created with a join hash asks of every fresh join.
   */
  record Join(String profile, String resume, long lastSeq, String token) implements ClientFrame {
    public Join(String profile, String resume, long lastSeq) {
      this(profile, resume, lastSeq, null);
    }
  }

  /** A ciphertext for everyone else in the room, or for one member when {@code to} is set. */
  record Msg(String id, String body, String to) implements ClientFrame {
  }

  /**
   * One encrypted, padded piece of an attachment, for everyone else or for {@code to}: relayed like a {@link Msg}
   * but without a seq, replay or relay-once window (decision 47).
   */
  record Chunk(String id, String body, String to) implements ClientFrame {
  }

  /**
   * A creator operation; {@code target} is set for kick, {@code seconds} for extend, {@code joinHash} (32 bytes,
   * base64url) for rotate and optionally for kick.
   */
  record Admin(String pin, AdminOp op, String target, long seconds, String joinHash) implements ClientFrame {
    public Admin(String pin, AdminOp op, String target, long seconds) {
      this(pin, op, target, seconds, null);
    }
  }

  record Ping() implements ClientFrame {
  }
}
