package io.burnroom.wire;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.burnroom.config.Limits;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import java.io.IOException;

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
    return parse(text, true);
  }

  /** {@code streamed}: try the token-stream reading of plain msg frames first (false only in tests, to compare). */
  Result parse(String text, boolean streamed) {
    if (text.length() > limits.maxFrameChars()) {
      return Result.fail(ErrorCode.PAYLOAD_TOO_LARGE);
    }
    Result msg = streamed ? plainMsg(text) : null;
    if (msg != null) {
      return msg;
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
      case "chunk" -> chunk(json);
      case "admin" -> admin(json);
      case "ping" -> Result.ok(new ClientFrame.Ping());
      default -> Result.fail(ErrorCode.UNKNOWN_TYPE);
    };
  }

  private Result join(JsonObject json) {
    String profile = string(json, "profile", limits.maxProfileChars());
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
    Object token = json.getValue("token");
    if (token != null && !(token instanceof String t && Base64Text.isKey32(t))) {
      return Result.fail(ErrorCode.BAD_FIELD);
    }
    return Result.ok(new ClientFrame.Join(profile, (String) resume, lastSeq, (String) token));
  }

  private Result msg(JsonObject json) {
    return msg(json.getValue("id"), json.getValue("body"), json.getValue("to"));
  }

  private Result chunk(JsonObject json) {
    return chunk(msg(json));
  }

  /** A chunk has exactly a msg's fields and rules. */
  private static Result chunk(Result asMsg) {
    return asMsg.frame() instanceof ClientFrame.Msg m ? Result.ok(new ClientFrame.Chunk(m.id(), m.body(), m.to()))
        : asMsg;
  }

  /** The rules of a msg frame, on its raw field values (whichever way they were read). */
  private Result msg(Object rawId, Object rawBody, Object rawTo) {
    String id = string(rawId, limits.maxClientIdChars());
    if (id == null) {
      return Result.fail(ErrorCode.BAD_FIELD);
    }
    if (rawBody instanceof String b && b.length() > limits.maxBodyChars()) {
      return Result.fail(ErrorCode.PAYLOAD_TOO_LARGE);
    }
    String body = string(rawBody, limits.maxBodyChars());
    if (body == null || !Base64Text.isBase64(body)) {
      return Result.fail(ErrorCode.BAD_FIELD);
    }
    String to = null;
    if (rawTo != null) {
      to = string(rawTo, MAX_MEMBER_ID_CHARS);
      if (to == null) {
        return Result.fail(ErrorCode.BAD_FIELD);
      }
    }
    return Result.ok(new ClientFrame.Msg(id, body, to));
  }

  /**
   * The common case read straight off a token stream: an object of string fields (and {@code "to": null}) whose
   * type is "msg" (or "chunk"), nothing after it. That is almost every frame a room sees, and skipping the map a JsonObject would
   * build (and Jackson's data binding) is a tenth of an edge's time. Anything else, including every malformed frame,
   * answers null and goes the general way, so errors are decided in one place.
   */
  private Result plainMsg(String text) {
    String type = null;
    Object id = null;
    Object body = null;
    Object to = null;
    try (JsonParser p = STREAMS.createParser(text)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        return null;
      }
      JsonToken t;
      while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
        String field = p.currentName();
        JsonToken v = p.nextToken();
        if (v == JsonToken.VALUE_NULL && "to".equals(field)) {
          to = null;
          continue;
        }
        if (v != JsonToken.VALUE_STRING) {
          return null;
        }
        switch (field) {
          case "type" -> type = p.getText();
          case "id" -> id = p.getText();
          case "body" -> body = p.getText();
          case "to" -> to = p.getText();
          default -> { } // unknown fields are ignored, as in the general way
        }
      }
      if (t != JsonToken.END_OBJECT || p.nextToken() != null || !("msg".equals(type) || "chunk".equals(type))) {
        return null;
      }
    } catch (IOException | RuntimeException e) {
      return null;
    }
    Result m = msg(id, body, to);
    return "chunk".equals(type) ? chunk(m) : m;
  }

  private static final JsonFactory STREAMS = new JsonFactory();

  private Result admin(JsonObject json) {
    String pin = string(json, "pin", MAX_PIN_CHARS);
    AdminOp op = json.getValue("op") instanceof String s ? AdminOp.fromWire(s) : null;
    if (pin == null) {
      return Result.fail(ErrorCode.BAD_FIELD);
    }
    if (op == null) {
      return Result.fail(ErrorCode.BAD_ADMIN_OP);
    }
    String target = null;
    long seconds = 0;
    String joinHash = null;
    if (op == AdminOp.KICK || op == AdminOp.ROTATE) {
      // kick may carry the room's next join hash; rotate is nothing else
      Object raw = json.getValue("joinHash");
      if ((raw != null || op == AdminOp.ROTATE) && !(raw instanceof String h && Base64Text.isKey32(h))) {
        return Result.fail(ErrorCode.BAD_FIELD);
      }
      joinHash = (String) raw;
    }
    if (op == AdminOp.KICK) {
      target = string(json, "target", MAX_MEMBER_ID_CHARS);
      if (target == null) {
        return Result.fail(ErrorCode.BAD_FIELD);
      }
    } else if (op == AdminOp.EXTEND) {
      seconds = wholeNumber(json.getValue("seconds"), 1, maxExtendSeconds);
      if (seconds < 0) {
        return Result.fail(ErrorCode.BAD_FIELD);
      }
    }
    return Result.ok(new ClientFrame.Admin(pin, op, target, seconds, joinHash));
  }

  /** The string field if present, non-empty and short enough; otherwise null. */
  private static String string(JsonObject json, String field, int maxChars) {
    return string(json.getValue(field), maxChars);
  }

  private static String string(Object v, int maxChars) {
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
