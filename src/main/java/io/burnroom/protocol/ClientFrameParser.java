package io.burnroom.protocol;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;

/**
 * Turns one text frame into a {@link ClientFrame} or an {@link ErrorCode}. The caller has already checked the
 * frame's length against {@link Limits#maxFrameChars()}, so parsing never sees an oversized input.
 */
public final class ClientFrameParser {
  private static final int MAX_TOKEN_CHARS = 128;
  private static final int MAX_PIN_CHARS = 64;
  private static final int MAX_MEMBER_ID_CHARS = 64;

  private final Limits limits;
  private final long maxExtendSeconds;

  public ClientFrameParser(Limits limits, long maxExtendSeconds) {
    this.limits = limits;
    this.maxExtendSeconds = maxExtendSeconds;
  }

  /** Exactly one of {@code frame} and {@code error} is set. */
  public record Result(ClientFrame frame, ErrorCode error) {
    static Result ok(ClientFrame frame) { return new Result(frame, null); }
    static Result fail(ErrorCode error) { return new Result(null, error); }
    public boolean ok() { return frame != null; }
  }

  public Result parse(String text) {
    if (text.length() > limits.maxFrameChars()) {
      return Result.fail(ErrorCode.PAYLOAD_TOO_LARGE);
    }
    JsonObject json;
    try {
      json = new JsonObject(text);
    } catch (DecodeException | ClassCastException e) {
      return Result.fail(ErrorCode.BAD_FRAME);
    } catch (RuntimeException e) {
      // Jackson's stream constraints (nesting depth, number length) surface as other runtime exceptions.
      return Result.fail(ErrorCode.BAD_FRAME);
    }
    Object type = json.getValue("type");
    if (!(type instanceof String t)) {
      return Result.fail(ErrorCode.UNKNOWN_TYPE);
    }
    return switch (t) {
      case "join" -> join(json);
      case "msg" -> msg(json);
      case "admin" -> admin(json);
      case "ping" -> Result.ok(new ClientFrame.Ping());
      default -> Result.fail(ErrorCode.UNKNOWN_TYPE);
    };
  }

  private Result join(JsonObject json) {
    String profile = string(json, "profile", limits.maxProfileChars(), true);
    if (profile == null || !Base64Text.isBase64(profile)) {
      return Result.fail(json.getValue("profile") instanceof String p && p.length() > limits.maxProfileChars()
          ? ErrorCode.PAYLOAD_TOO_LARGE : ErrorCode.BAD_FIELD);
    }
    Object resume = json.getValue("resume");
    if (resume != null && !(resume instanceof String r && !r.isEmpty() && r.length() <= MAX_TOKEN_CHARS)) {
      return Result.fail(ErrorCode.BAD_FIELD);
    }
    long lastSeq = -1;
    if (json.containsKey("lastSeq")) {
      lastSeq = wholeNumber(json.getValue("lastSeq"), 0, Long.MAX_VALUE / 2);
      if (lastSeq < 0) {
        return Result.fail(ErrorCode.BAD_FIELD);
      }
    }
    return Result.ok(new ClientFrame.Join(profile, (String) resume, lastSeq));
  }

  private Result msg(JsonObject json) {
    String id = string(json, "id", limits.maxClientIdChars(), true);
    if (id == null) {
      return Result.fail(ErrorCode.BAD_FIELD);
    }
    Object rawBody = json.getValue("body");
    if (rawBody instanceof String b && b.length() > limits.maxBodyChars()) {
      return Result.fail(ErrorCode.PAYLOAD_TOO_LARGE);
    }
    String body = string(json, "body", limits.maxBodyChars(), true);
    if (body == null || !Base64Text.isBase64(body)) {
      return Result.fail(ErrorCode.BAD_FIELD);
    }
    String to = null;
    if (json.getValue("to") != null) {
      to = string(json, "to", MAX_MEMBER_ID_CHARS, true);
      if (to == null) {
        return Result.fail(ErrorCode.BAD_FIELD);
      }
    }
    return Result.ok(new ClientFrame.Msg(id, body, to));
  }

  private Result admin(JsonObject json) {
    String pin = string(json, "pin", MAX_PIN_CHARS, true);
    AdminOp op = json.getValue("op") instanceof String s ? AdminOp.fromWire(s) : null;
    if (pin == null) {
      return Result.fail(ErrorCode.BAD_FIELD);
    }
    if (op == null) {
      return Result.fail(ErrorCode.BAD_ADMIN_OP);
    }
    String target = null;
    long seconds = 0;
    if (op == AdminOp.KICK) {
      target = string(json, "target", MAX_MEMBER_ID_CHARS, true);
      if (target == null) {
        return Result.fail(ErrorCode.BAD_FIELD);
      }
    } else if (op == AdminOp.EXTEND) {
      seconds = wholeNumber(json.getValue("seconds"), 1, maxExtendSeconds);
      if (seconds < 0) {
        return Result.fail(ErrorCode.BAD_FIELD);
      }
    }
    return Result.ok(new ClientFrame.Admin(pin, op, target, seconds));
  }

  /** The string field if present, non-empty and short enough; otherwise null. */
  private static String string(JsonObject json, String field, int maxChars, boolean required) {
    Object v = json.getValue(field);
    if (v instanceof String s && !s.isEmpty() && s.length() <= maxChars) {
      return s;
    }
    return null;
  }

  /** The value as a whole number within [min, max], or -1. Rejects fractions, huge numbers and strings. */
  static long wholeNumber(Object v, long min, long max) {
    if (v instanceof Integer || v instanceof Long || v instanceof Short || v instanceof Byte) {
      long n = ((Number) v).longValue();
      return n >= min && n <= max ? n : -1;
    }
    return -1;
  }
}
