package io.burnroom.edge;

import io.burnroom.http.OriginCheck;
import io.burnroom.http.RequestDeadlines;
import io.burnroom.metrics.BurnroomMetrics.Limit;
import io.burnroom.wire.Base64Text;
import io.burnroom.wire.ErrorCode;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.ServerWebSocket;
import java.util.Base64;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.BooleanSupplier;

/**
 * The WebSocket handshake of {@code GET /ws/rooms/{id}}: the Origin, the node draining, the source's connect budget
 * and the node's socket cap are checked before the upgrade; an accepted socket becomes a {@link SocketSession}. A
 * refusal is a JSON error with the chat listener's headers, like any other answer.
 */
final class SocketUpgrade {
  private static final String WS_PREFIX = "/ws/rooms/";
  private static final String WS_ROUTE = WS_PREFIX + ":id";
  private static final Base64.Encoder CONN_ID = Base64.getUrlEncoder().withoutPadding();

  private final OriginCheck origins;
  private final SourceBudget connects;
  private final HttpHardening http;
  private final RequestDeadlines deadlines;
  private final SessionContext sessions;
  private final BooleanSupplier draining;

  SocketUpgrade(OriginCheck origins, SourceBudget connects, HttpHardening http, RequestDeadlines deadlines,
                SessionContext sessions, BooleanSupplier draining) {
    this.origins = origins;
    this.connects = connects;
    this.http = http;
    this.deadlines = deadlines;
    this.sessions = sessions;
    this.draining = draining;
  }

  /**
   * The id of {@code GET /ws/rooms/{id}} (a trailing slash allowed), or null when the request is not for a room
   * socket. The id must be in room-id characters (base64url), of any length: a wrong length is answered like an
   * unknown room once the socket joins, so nobody learns which ids are malformed; other characters (percent escapes,
   * dots) are not a room path at all and get the router's 404.
   */
  static String roomSocketId(HttpServerRequest req) {
    String path = req.path();
    if (req.method() != HttpMethod.GET || path == null || !path.startsWith(WS_PREFIX)) {
      return null;
    }
    int end = path.endsWith("/") ? path.length() - 1 : path.length();
    if (end <= WS_PREFIX.length()) {
      return null;
    }
    String id = path.substring(WS_PREFIX.length(), end);
    return Base64Text.isId(id, id.length()) ? id : null;
  }

  private static boolean asksForWebSocket(HttpServerRequest req) {
    return "websocket".equalsIgnoreCase(req.getHeader("Upgrade"));
  }

  void upgrade(HttpServerRequest req, String roomId) {
    HttpServerResponse res = req.response();
    // A WebSocket upgrade that succeeds is answered by Vert.x's handshaker with its own 101, never from this map, yet
    // Vert.x keeps the response and its map for the socket's whole life: filled, 0.1 KiB more per idle socket. So an
    // upgrade gets the headers only if it is answered through the response, i.e. refused (by us or by Vert.x's
    // handshake checks); the hook is dropped once the socket is accepted.
    res.headersEndHandler(v -> http.applyHeaders(req));
    req.routed(WS_ROUTE); // the metrics' route label, as the router would set it
    if (!asksForWebSocket(req) || req.getHeader("Sec-WebSocket-Key") == null) {
      HttpReplies.error(res, ErrorCode.BAD_REQUEST); // Vert.x would refuse a keyless handshake too, but in plain text
      return;
    }
    if (!origins.allows(req.getHeader("Origin"), req.authority() == null ? null : req.authority().toString())) {
      HttpReplies.error(res, ErrorCode.FORBIDDEN_ORIGIN);
      return;
    }
    if (draining.getAsBoolean()) {
      HttpReplies.error(res, ErrorCode.NODE_SHUTTING_DOWN);
      return;
    }
    String source = http.sourceOf(req);
    long wait = connects.take(source);
    if (wait > 0) {
      HttpReplies.rateLimited(res, wait);
      return;
    }
    if (sessions.sockets().nodeCount() >= sessions.limits().maxSocketsPerNode()) {
      sessions.metrics().limited(Limit.SOCKETS_NODE_FULL);
      HttpReplies.error(res, ErrorCode.NODE_FULL);
      return;
    }
    req.toWebSocket().onSuccess(ws -> {
      deadlines.upgraded(req.connection());
      req.response().headersEndHandler(null);
      accept(ws, roomId, source);
    }).onFailure(e -> {
      // Not a valid upgrade (a plain GET, a bad key or version): answer instead of leaving the request hanging.
      if (!res.ended() && !res.headWritten()) {
        HttpReplies.error(res, ErrorCode.BAD_REQUEST);
      }
    });
  }

  private void accept(ServerWebSocket ws, String roomId, String source) {
    // A malformed room id is treated exactly like an unknown one (RoomClient answers room_not_found on join), so
    // nobody can tell them apart, and no socket is closed in the middle of its own handshake.
    WebSocketLink link = new WebSocketLink(ws);
    SocketSession s = new SocketSession(sessions, link, roomId, source, connId());
    link.attach(s);
    sessions.sockets().add(s);
    s.start();
  }

  /**
   * 72 random bits that tell a member's connections apart (a socket that resumed elsewhere from the stale one). Not a
   * secret and never sent to clients, so no SecureRandom; 12 characters instead of a UUID's 36 on every socket.
   */
  static String connId() {
    byte[] b = new byte[9];
    ThreadLocalRandom.current().nextBytes(b);
    return CONN_ID.encodeToString(b);
  }
}
