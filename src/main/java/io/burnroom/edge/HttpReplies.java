package io.burnroom.edge;

import io.burnroom.wire.ErrorCode;
import io.burnroom.wire.ServerFrames;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;

/** How the chat listener answers over HTTP: JSON with an explicit length, errors with their stable code. */
final class HttpReplies {
  private HttpReplies() {
  }

  static void json(HttpServerResponse res, int status, JsonObject body) {
    if (res.ended()) {
      return;
    }
    // Content-Length set here, not left to Vert.x: Vert.x omits it on a HEAD answer, which must match the GET one.
    Buffer bytes = body.toBuffer();
    res.setStatusCode(status).putHeader("Content-Type", "application/json")
        .putHeader("Content-Length", String.valueOf(bytes.length())).end(bytes);
  }

  static void error(HttpServerResponse res, ErrorCode code) {
    json(res, code.httpStatus(), ServerFrames.httpError(code));
  }

  /** An error whose message says more than the code's own (e.g. the allowed range). */
  static void error(HttpServerResponse res, ErrorCode code, String message) {
    json(res, code.httpStatus(), new JsonObject().put("error",
        new JsonObject().put("code", code.code()).put("message", message)));
  }

  /** 429 with Retry-After in whole seconds, rounded up. */
  static void rateLimited(HttpServerResponse res, long waitMs) {
    res.putHeader("Retry-After", String.valueOf((waitMs + 999) / 1000));
    error(res, ErrorCode.RATE_LIMITED);
  }
}
