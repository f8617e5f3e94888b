package io.burnroom.wire;

/**
 * Every error a client can see, with its stable wire code, HTTP status and WebSocket close code.
 * The mapping lives here once so the HTTP API, the WebSocket edge and the docs never disagree.
 * A close code of 0 means the error is reported with an {@code error} frame and the socket stays open.
 */
public enum ErrorCode {
  BAD_REQUEST("bad_request", 400, 0, "The request is malformed."),
  TTL_OUT_OF_RANGE("ttl_out_of_range", 400, 0, "ttlSeconds is outside the allowed range."),
  PAYLOAD_TOO_LARGE("payload_too_large", 413, CloseCodes.TOO_BIG, "The request or frame is larger than allowed."),
  ROOM_NOT_FOUND("room_not_found", 404, CloseCodes.NO_SUCH_ROOM, "No such room."),
  RATE_LIMITED("rate_limited", 429, 0, "Too many requests; slow down."),
  RATE_LIMIT_CLOSE("rate_limited", 429, CloseCodes.LOCKOUT_OR_RATE, "Too many requests; connection closed."),
  NODE_FULL("node_full", 503, CloseCodes.SERVER_ERROR, "This node holds as many rooms or sockets as it may."),
  ROOM_FULL("room_full", 409, CloseCodes.LOCKED_OR_BANNED, "The room has as many members as it may."),
  ROOM_LOCKED("room_locked", 403, CloseCodes.LOCKED_OR_BANNED, "The room is locked by its creator."),
  BANNED("banned", 403, CloseCodes.LOCKED_OR_BANNED, "You were removed from this room."),
  JOIN_TOKEN_INVALID("join_token_invalid", 403, CloseCodes.JOIN_TOKEN_INVALID,
      "This room needs a current join token: the link is missing it or is no longer valid."),
  FORBIDDEN_ORIGIN("forbidden_origin", 403, 0, "Origin not allowed."),
  JOIN_TIMEOUT("join_timeout", 400, CloseCodes.PROTOCOL_VIOLATION, "No join frame within the time limit."),
  PROTOCOL_VIOLATION("protocol_violation", 400, CloseCodes.PROTOCOL_VIOLATION, "Too many invalid frames."),
  BAD_FRAME("bad_frame", 400, 0, "The frame is not a JSON object."),
  BINARY_FRAME("binary_frame", 400, 0, "Only text frames are accepted."),
  UNKNOWN_TYPE("unknown_type", 400, 0, "Unknown frame type."),
  BAD_FIELD("bad_field", 400, 0, "A field is missing, of the wrong type or too long."),
  NOT_JOINED("not_joined", 400, 0, "Send a join frame first."),
  ALREADY_JOINED("already_joined", 400, 0, "This connection has already joined."),
  NOT_FOUND("not_found", 404, 0, "No such page."),
  METHOD_NOT_ALLOWED("method_not_allowed", 405, 0, "This method is not allowed here."),
  SLOW_CONSUMER("slow_consumer", 503, CloseCodes.SLOW_CONSUMER, "Frames were not read fast enough; reconnect and resume."),
  ROOM_PIN_LOCKOUT("room_pin_lockout", 429, 0, "Too many wrong PINs for this room; admin is paused for a while."),
  UNKNOWN_MEMBER("unknown_member", 404, 0, "No such member in this room."),
  WRONG_PIN("wrong_pin", 403, 0, "Wrong PIN."),
  PIN_LOCKOUT("pin_lockout", 429, CloseCodes.LOCKOUT_OR_RATE, "Too many wrong PINs; locked out for a while."),
  BAD_ADMIN_OP("bad_admin_op", 400, 0, "Unknown or invalid admin operation."),
  EXTEND_LIMIT("extend_limit", 400, 0, "The room cannot live longer than the maximum lifetime."),
  RESUME_INVALID("resume_invalid", 400, 0, "The resume token is not valid for this room."),
  NODE_SHUTTING_DOWN("node_shutting_down", 503, CloseCodes.SHUTTING_DOWN, "This node is shutting down; reconnect."),
  INTERNAL("internal_error", 500, CloseCodes.SERVER_ERROR, "Internal error.");

  private final String code;
  private final int httpStatus;
  private final int closeCode;
  private final String message;

  ErrorCode(String code, int httpStatus, int closeCode, String message) {
    this.code = code;
    this.httpStatus = httpStatus;
    this.closeCode = closeCode;
    this.message = message;
  }

  public String code() { return code; }
  public int httpStatus() { return httpStatus; }
  /** The WebSocket close code that follows this error, or 0 when the socket stays open. */
  public int closeCode() { return closeCode; }
  public String message() { return message; }

  /** Looks an error up by enum name, as carried inside event-bus failures; unknown names become INTERNAL. */
  public static ErrorCode byName(String name) {
    try {
      return valueOf(name);
    } catch (IllegalArgumentException | NullPointerException e) {
      return INTERNAL;
    }
  }
}
