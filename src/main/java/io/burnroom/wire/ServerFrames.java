package io.burnroom.wire;

import com.fasterxml.jackson.core.io.JsonStringEncoder;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/** Builders for every server → client frame, so the wire shape is written down in one place. */
public final class ServerFrames {
  private static final JsonStringEncoder ESCAPER = JsonStringEncoder.getInstance();

  private ServerFrames() {
  }

  public static JsonObject joined(String memberId, String resumeToken, JsonArray members, long expiresAt,
                                  long serverTime, boolean locked, long seq, int maxAttachmentBytes) {
    return new JsonObject().put("type", "joined").put("memberId", memberId).put("resumeToken", resumeToken)
        .put("members", members).put("expiresAt", expiresAt).put("serverTime", serverTime).put("locked", locked)
        .put("seq", seq).put("maxAttachmentBytes", maxAttachmentBytes);
  }

  public static JsonObject member(String memberId, String profile) {
    return new JsonObject().put("memberId", memberId).put("profile", profile);
  }

  public static JsonObject memberJoined(String memberId, String profile) {
    return member(memberId, profile).put("type", "member_joined");
  }

  public static JsonObject memberLeft(String memberId, String reason) {
    return new JsonObject().put("type", "member_left").put("memberId", memberId).put("reason", reason);
  }

  /**
   * The relayed message, the one frame every recipient gets for every message: written as text directly instead of
   * through a JsonObject and Jackson, since it is on the hot path. {@code from} is a server-made member id and
   * {@code body} passed {@link Base64Text#isBase64} at the edge, so neither needs escaping; the client's {@code id}
   * is any string and is escaped.
   */
  public static String msg(String from, long seq, String id, String body, boolean direct) {
    StringBuilder b = new StringBuilder(body.length() + id.length() + from.length() + 80)
        .append("{\"type\":\"msg\",\"from\":\"").append(from).append("\",\"seq\":").append(seq);
    return relayed(b, id, body, direct);
  }

  /** A relayed attachment chunk: a msg without a seq, written the same direct way (decision 47). */
  public static String chunk(String from, String id, String body, boolean direct) {
    StringBuilder b = new StringBuilder(body.length() + id.length() + from.length() + 80)
        .append("{\"type\":\"chunk\",\"from\":\"").append(from).append('"');
    return relayed(b, id, body, direct);
  }

  private static String relayed(StringBuilder b, String id, String body, boolean direct) {
    b.append(",\"id\":\"").append(ESCAPER.quoteAsString(id)).append("\",\"body\":\"").append(body).append('"');
    return (direct ? b.append(",\"direct\":true}") : b.append('}')).toString();
  }

  /** The sender's acknowledgement, once per message: also written directly. */
  public static String ack(String id, long seq) {
    return new StringBuilder(id.length() + 48).append("{\"type\":\"ack\",\"id\":\"").append(ESCAPER.quoteAsString(id))
        .append("\",\"seq\":").append(seq).append('}').toString();
  }

  /** The sender's acknowledgement of a chunk, held back while its byte budgets are in debt. */
  public static String chunkAck(String id) {
    return new StringBuilder(id.length() + 32).append("{\"type\":\"chunk_ack\",\"id\":\"")
        .append(ESCAPER.quoteAsString(id)).append("\"}").toString();
  }

  public static JsonObject tick(long expiresAt, long serverTime) {
    return new JsonObject().put("type", "tick").put("expiresAt", expiresAt).put("serverTime", serverTime)
        .put("remainingMs", Math.max(0, expiresAt - serverTime));
  }

  public static JsonObject locked(boolean locked) {
    return new JsonObject().put("type", "locked").put("locked", locked);
  }

  public static JsonObject extended(long expiresAt) {
    return new JsonObject().put("type", "extended").put("expiresAt", expiresAt);
  }

  public static JsonObject burned() {
    return new JsonObject().put("type", "burned");
  }

  /**
   * The burn a member's own node sends when the room did not (decision 56): the room was paused or cut off from this
   * node at its expiry, so what it relayed in its last seconds may not have reached this member.
   */
  public static JsonObject burnedByEdge() {
    return burned().put("edge", true);
  }

  public static JsonObject error(ErrorCode code) {
    return new JsonObject().put("type", "error").put("code", code.code()).put("message", code.message());
  }

  public static JsonObject adminOk(AdminOp op) {
    return new JsonObject().put("type", "admin_ok").put("op", op.wire());
  }

  public static JsonObject pong(long serverTime) {
    return new JsonObject().put("type", "pong").put("serverTime", serverTime);
  }

  /** The HTTP error body: {@code {"error":{"code","message"}}}. */
  public static JsonObject httpError(ErrorCode code) {
    return new JsonObject().put("error", new JsonObject().put("code", code.code()).put("message", code.message()));
  }
}
