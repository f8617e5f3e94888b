package io.burnroom.protocol;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/** Builders for every server → client frame, so the wire shape is written down in one place. */
public final class ServerFrames {
  private ServerFrames() {
  }

  public static JsonObject joined(String memberId, String resumeToken, JsonArray members, long expiresAt,
                                  long serverTime, boolean locked, long seq) {
    return new JsonObject().put("type", "joined").put("memberId", memberId).put("resumeToken", resumeToken)
        .put("members", members).put("expiresAt", expiresAt).put("serverTime", serverTime).put("locked", locked)
        .put("seq", seq);
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

  public static JsonObject msg(String from, long seq, String id, String body, boolean direct) {
    JsonObject f = new JsonObject().put("type", "msg").put("from", from).put("seq", seq).put("id", id).put("body", body);
    return direct ? f.put("direct", true) : f;
  }

  public static JsonObject ack(String id, long seq) {
    return new JsonObject().put("type", "ack").put("id", id).put("seq", seq);
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
