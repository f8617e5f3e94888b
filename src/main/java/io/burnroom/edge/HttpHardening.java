package io.burnroom.edge;

import io.burnroom.http.ClientAddress;
import io.burnroom.http.SecurityHeaders;
import io.burnroom.wire.ErrorCode;
import io.burnroom.wire.ServerFrames;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

/**
 * What every answer of the chat listener shares, whoever gives it: security headers, the client's address, and
 * stable JSON errors for what the router or Netty refuse on their own (no route, a malformed URI or request head).
 */
final class HttpHardening {
  /** Statuses the router may fail with on its own (no route, wrong method, a handler's exception, ...). */
  private static final int[] HANDLED_FAILURES = {400, 401, 403, 404, 405, 406, 409, 413, 414, 415, 429, 431, 500,
      501, 502, 503};

  private final ClientAddress clientAddress;

  HttpHardening(ClientAddress clientAddress) {
    this.clientAddress = clientAddress;
  }

  /** Router failures answer like every other error: JSON with a stable code, security headers, no internals. */
  void answerFailures(Router r) {
    for (int status : HANDLED_FAILURES) {
      r.errorHandler(status, this::routingFailure);
    }
  }

  /** A route handler that puts the security headers on the answer and passes the request on. */
  void headers(RoutingContext ctx) {
    applyHeaders(ctx.request());
    ctx.next();
  }

  void applyHeaders(HttpServerRequest req) {
    SecurityHeaders.apply(req.response().headers(), req.authority() == null ? null : req.authority().toString(),
        servedOverTls(req));
  }

  /**
   * The client's address: the TCP peer, or behind a trusted proxy the rightmost X-Forwarded-For hop that is not a
   * trusted proxy ({@link ClientAddress}). Used only in memory for rate limits and lockouts; never logged.
   */
  String sourceOf(HttpServerRequest req) {
    return clientAddress.of(peerOf(req), req.headers().getAll("X-Forwarded-For"));
  }

  /** TLS here, or at a trusted reverse proxy that says so; a client's own X-Forwarded-Proto is never believed. */
  private boolean servedOverTls(HttpServerRequest req) {
    if (req.isSSL()) {
      return true;
    }
    String proto = req.getHeader("X-Forwarded-Proto");
    return proto != null && "https".equalsIgnoreCase(proto.split(",")[0].trim())
        && clientAddress.isTrustedPeer(peerOf(req));
  }

  private static String peerOf(HttpServerRequest req) {
    return req.remoteAddress() == null ? null : req.remoteAddress().hostAddress();
  }

  private void routingFailure(RoutingContext ctx) {
    HttpServerResponse res = ctx.response();
    if (res.ended() || res.headWritten()) {
      return;
    }
    applyHeaders(ctx.request());
    int status = ctx.statusCode() <= 0 ? 500 : ctx.statusCode();
    if (status >= 500 && (ctx.failure() instanceof IllegalArgumentException || hasBadEscape(ctx.request().uri()))) {
      status = 400; // a malformed URI (a lone '%', a bad escape) fails while Vert.x decodes it: the client's fault
    }
    ErrorCode code = switch (status) {
      case 404 -> ErrorCode.NOT_FOUND;
      case 405 -> ErrorCode.METHOD_NOT_ALLOWED;
      case 413 -> ErrorCode.PAYLOAD_TOO_LARGE;
      case 429 -> ErrorCode.RATE_LIMITED;
      default -> status >= 500 ? ErrorCode.INTERNAL : ErrorCode.BAD_REQUEST;
    };
    HttpReplies.error(res, code);
  }

  /** True when a '%' is not followed by two hex digits: Vert.x fails such paths while routing. */
  static boolean hasBadEscape(String uri) {
    if (uri == null) {
      return false;
    }
    for (int i = uri.indexOf('%'); i >= 0; i = uri.indexOf('%', i + 1)) {
      if (i + 2 >= uri.length() || Character.digit(uri.charAt(i + 1), 16) < 0 || Character.digit(uri.charAt(i + 2), 16) < 0) {
        return true;
      }
    }
    return false;
  }

  /** Requests Netty could not decode (bad request line, oversized headers): a plain 400, then the connection closes. */
  void invalidRequest(HttpServerRequest req) {
    applyHeaders(req);
    HttpServerResponse res = req.response();
    res.setStatusCode(ErrorCode.BAD_REQUEST.httpStatus()).putHeader("Content-Type", "application/json")
        .putHeader("Connection", "close")
        .end(ServerFrames.httpError(ErrorCode.BAD_REQUEST).encode())
        .onComplete(v -> req.connection().close());
  }
}
