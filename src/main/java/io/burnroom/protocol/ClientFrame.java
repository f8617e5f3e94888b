package io.burnroom.protocol;

/** A validated frame from a browser. Parsing and validation live in {@link ClientFrameParser}. */
public sealed interface ClientFrame {

  /** First frame of a connection. {@code resume} and {@code lastSeq} are present when reconnecting. */
  record Join(String profile, String resume, long lastSeq) implements ClientFrame {
  }

  /** A ciphertext for everyone else in the room, or for one member when {@code to} is set. */
  record Msg(String id, String body, String to) implements ClientFrame {
  }

  /** A creator operation; {@code target} is set for kick, {@code seconds} for extend. */
  record Admin(String pin, AdminOp op, String target, long seconds) implements ClientFrame {
  }

  record Ping() implements ClientFrame {
  }
}
