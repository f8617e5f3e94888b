package io.burnroom.wire;

/** WebSocket close codes of the wire protocol (DESIGN.md). */
public final class CloseCodes {
  public static final int NORMAL = 1000;
  public static final int GOING_AWAY = 1001;
  public static final int TOO_BIG = 1009;
  public static final int SERVER_ERROR = 1011;
  public static final int SHUTTING_DOWN = 1012;
  public static final int BURNED = 4000;
  public static final int KICKED = 4001;
  public static final int LOCKED_OR_BANNED = 4003;
  public static final int NO_SUCH_ROOM = 4004;
  /** A fresh join to a room that needs a join token came without one, or with a stale one (the link was rotated). */
  public static final int JOIN_TOKEN_INVALID = 4010;
  public static final int PROTOCOL_VIOLATION = 4008;
  public static final int LOCKOUT_OR_RATE = 4029;
  /** The client did not read its frames fast enough (the socket's write queue filled up): reconnect and resume. */
  public static final int SLOW_CONSUMER = 4013;

  private CloseCodes() {
  }

  /** A client that closes with these codes meant to leave; anything else may be a dropped network and can resume. */
  public static boolean isIntentionalLeave(int code) {
    return code == NORMAL || code == GOING_AWAY;
  }
}
