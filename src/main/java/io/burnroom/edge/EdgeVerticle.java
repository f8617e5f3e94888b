package io.burnroom.edge;

import io.burnroom.bus.Addresses;
import io.burnroom.bus.Bus;
import io.burnroom.bus.EdgeEvent;
import io.burnroom.bus.HostRequest;
import io.burnroom.bus.RoomRequest;
import io.burnroom.cluster.RoomDirectory;
import io.burnroom.config.AppConfig;
import io.burnroom.config.Limits;
import io.burnroom.http.ClientAddress;
import io.burnroom.http.OriginCheck;
import io.burnroom.http.RequestDeadlines;
import io.burnroom.http.Routes;
import io.burnroom.http.SecurityHeaders;
import io.burnroom.metrics.BurnroomMetrics;
import io.burnroom.metrics.BurnroomMetrics.RateLimit;
import io.burnroom.wire.Base64Text;
import io.burnroom.wire.ClientFrameParser;
import io.burnroom.wire.CloseCodes;
import io.burnroom.wire.ErrorCode;
import io.burnroom.wire.ServerFrames;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.time.Clock;
import java.util.Base64;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The public face of a node: the HTTP API, the web client and the WebSocket endpoint. Owns this node's sockets and
 * nothing else; every room operation goes to {@code burnroom.room.<id>}. Listens on {@code burnroom.edge.<node>} for
 * the one-message-per-node deliveries rooms send, and writes them to its local sockets.
 */
public final class EdgeVerticle extends VerticleBase {
  static final int MAX_API_BODY_BYTES = 1024;
  private static final String WS_PREFIX = "/ws/rooms/";
  private static final String WS_ROUTE = WS_PREFIX + ":id";
  private static final Base64.Encoder CONN_ID = Base64.getUrlEncoder().withoutPadding();

  private final AppConfig config;
  private final String nodeId;
  private final Clock clock;
  private final RoomDirectory directory;
  private final BurnroomMetrics metrics;
  private final StaticFiles files;
  private final ClientFrameParser parser;
  private final SourceLimiter roomCreation;
  private final SourceLimiter connects;
  private final SourceLimiter adminAttempts;
  private final OriginCheck origins;
  private final ClientAddress clientAddress;
  private final EdgeShared shared;
  private final int port;
  private RoomClient rooms;
  /** Joined sockets by member id (member ids are random and unique across rooms). */
  private final Map<String, SocketSession> members = new HashMap<>();
  private final Set<SocketSession> sessions = new HashSet<>();
  private FlushBatch flushes;
  private RequestDeadlines deadlines;
  private long deadlineSweeper;
  private HttpServer server;
  private MessageConsumer<Object> deliveries;
  private volatile boolean ready;
  private boolean draining;

  /**
   * One of several edge instances of a node: each listens on {@code port} (Vert.x shares one listening socket among
   * the instances of a Vert.x instance and spreads connections over their event loops), all share {@code shared}.
   */
  public EdgeVerticle(AppConfig config, String nodeId, Clock clock, RoomDirectory directory, BurnroomMetrics metrics,
                      StaticFiles files, EdgeShared shared, int port) {
    this.config = config;
    this.nodeId = nodeId;
    this.clock = clock;
    this.directory = directory;
    this.metrics = metrics;
    this.files = files;
    this.parser = new ClientFrameParser(config.limits(), config.maxTtlSeconds());
    this.shared = shared;
    this.port = port;
    this.roomCreation = shared.roomCreation;
    this.connects = shared.connects;
    this.adminAttempts = shared.adminAttempts;
    this.origins = new OriginCheck(config.allowedOrigins());
    this.clientAddress = new ClientAddress(config.trustedProxies());
  }

  @Override
  public Future<?> start() {
    flushes = new FlushBatch(task -> context.runOnContext(v -> task.run()));
    // A request head gets as long as a new socket gets for its join.
    long headMs = config.limits().joinTimeoutMs();
    deadlines = new RequestDeadlines(headMs, clock);
    deadlineSweeper = deadlines.startSweeping(vertx);
    rooms = new RoomClient(vertx, directory, (config.failureDetectSeconds() + 5) * 1000L);
    deliveries = vertx.eventBus().consumer(Addresses.edge(nodeId), this::onDelivery);
    Router router = router();
    HttpServerOptions options = RequestDeadlines.watchable(new HttpServerOptions())
        .setHost(config.httpHost()).setPort(port)
        // Our own check closes oversize frames with 1009; Vert.x's limits sit above it as a hard backstop.
        .setMaxWebSocketFrameSize(config.limits().maxFrameChars() * 2)
        .setMaxWebSocketMessageSize(config.limits().maxFrameChars() * 4)
        .setMaxFormAttributeSize(MAX_API_BODY_BYTES)
        .setMaxHeaderSize(8192)
        .setMaxInitialLineLength(4096);
    if (config.tlsEnabled()) {
      // PEM text read once at start-up: nothing is written to disk, and the key never leaves memory.
      options.setSsl(true).setKeyCertOptions(new PemKeyCertOptions()
          .setCertValue(Buffer.buffer(config.tls().certPem()))
          .setKeyValue(Buffer.buffer(config.tls().keyPem())));
    }
    return deliveries.completion()
        // Room sockets are taken before the router: vertx-web would hand us its wrapper of the socket, which hides
        // the Netty pipeline our writes go to (see Frames) and costs memory for the socket's whole life.
        .compose(v -> deadlines.serve(vertx.createHttpServer(options), req -> {
          String roomId = roomSocketId(req);
          if (roomId != null) {
            upgrade(req, roomId);
          } else {
            router.handle(req);
          }
        }).invalidRequestHandler(this::invalidRequest).listen())
        .onSuccess(s -> {
          server = s;
          ready = true;
        });
  }

  @Override
  public Future<?> stop() {
    ready = false;
    vertx.cancelTimer(deadlineSweeper);
    drain();
    return server == null ? Future.succeededFuture() : server.close();
  }

  /** The port actually bound (useful when configured as 0). */
  public int actualPort() {
    return server.actualPort();
  }

  public boolean ready() {
    return ready;
  }

  /** Sockets this instance holds (read from any thread, for diagnostics and tests). */
  public int socketCount() {
    return sessions.size();
  }

  /** Graceful shutdown: refuse new work and tell every local socket to reconnect elsewhere (1012). */
  public Future<Void> drain() {
    Promise<Void> done = Promise.promise();
    context.runOnContext(v -> {
      ready = false;
      draining = true;
      for (SocketSession s : List.copyOf(sessions)) {
        s.close(CloseCodes.SHUTTING_DOWN, ErrorCode.NODE_SHUTTING_DOWN.code(), false);
      }
      done.complete();
    });
    return done.future();
  }

  // ---- HTTP ----

  private Router router() {
    Router r = Router.router(vertx);
    r.route().handler(this::headers);
    r.post("/api/rooms").handler(this::createRoom);
    Routes.getOrHead(r.route("/api/rooms/:id")).handler(this::roomInfo);
    Routes.getOrHead(r.route("/health/live")).handler(ctx -> json(ctx, 200, new JsonObject().put("status", "UP")));
    Routes.getOrHead(r.route("/health/ready")).handler(ctx -> json(ctx, ready ? 200 : 503,
        new JsonObject().put("status", ready ? "UP" : "DOWN")));
    Routes.getOrHead(r.route("/r/:id")).handler(ctx -> serve(ctx, "/index.html"));
    Routes.getOrHead(r.route("/")).handler(ctx -> serve(ctx, "/index.html"));
    Routes.getOrHead(r.route()).handler(ctx -> serve(ctx, ctx.normalizedPath()));
    r.route("/api/*").handler(ctx -> error(ctx, ErrorCode.BAD_REQUEST));
    for (int status : HANDLED_FAILURES) {
      r.errorHandler(status, this::routingFailure);
    }
    return r;
  }

  /** Statuses the router may fail with on its own (no route, wrong method, a handler's exception, ...). */
  private static final int[] HANDLED_FAILURES = {400, 401, 403, 404, 405, 406, 409, 413, 414, 415, 429, 431, 500,
      501, 502, 503};

  private void headers(RoutingContext ctx) {
    applyHeaders(ctx.request());
    ctx.next();
  }

  /**
   * The id of {@code GET /ws/rooms/{id}} (a trailing slash allowed), or null when the request is not for a room
   * socket. The id must be in room-id characters (base64url), of any length: a wrong length is answered like an
   * unknown room once the socket joins, so nobody learns which ids are malformed; other characters (percent escapes,
   * dots) are not a room path at all and get the router's 404.
   */
  private static String roomSocketId(HttpServerRequest req) {
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

  private void applyHeaders(HttpServerRequest req) {
    SecurityHeaders.apply(req.response().headers(), req.authority() == null ? null : req.authority().toString(),
        servedOverTls(req));
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

  /** Router failures answer like every other error: JSON with a stable code, security headers, no internals. */
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
    error(ctx, code.httpStatus(), code.code(), code.message());
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
  private void invalidRequest(HttpServerRequest req) {
    applyHeaders(req);
    HttpServerResponse res = req.response();
    res.setStatusCode(ErrorCode.BAD_REQUEST.httpStatus()).putHeader("Content-Type", "application/json")
        .putHeader("Connection", "close")
        .end(ServerFrames.httpError(ErrorCode.BAD_REQUEST).encode())
        .onComplete(v -> req.connection().close());
  }

  private void serve(RoutingContext ctx, String path) {
    StaticFiles.Asset a = files.get(path);
    if (a == null) {
      error(ctx, ErrorCode.NOT_FOUND);
      return;
    }
    ctx.response().putHeader("Content-Type", a.contentType()).putHeader("Content-Length", String.valueOf(a.content().length()))
        .end(a.content());
  }

  private void createRoom(RoutingContext ctx) {
    HttpServerRequest req = ctx.request();
    String source = sourceOf(req);
    if (!ready) {
      error(ctx, ErrorCode.NODE_SHUTTING_DOWN);
      return;
    }
    readBody(req).onComplete(body -> {
      if (body.failed()) {
        error(ctx, ErrorCode.PAYLOAD_TOO_LARGE);
        return;
      }
      CreateRoomRequest request = CreateRoomRequest.parse(body.result());
      if (request == null) {
        error(ctx, ErrorCode.BAD_REQUEST);
        return;
      }
      long ttl = request.ttlSeconds();
      if (ttl < config.minTtlSeconds() || ttl > config.maxTtlSeconds()) {
        error(ctx, ErrorCode.TTL_OUT_OF_RANGE.httpStatus(), ErrorCode.TTL_OUT_OF_RANGE.code(),
            "ttlSeconds must be between " + config.minTtlSeconds() + " and " + config.maxTtlSeconds() + ".");
        return;
      }
      if (overBudget(ctx.response(), roomCreation, source, RateLimit.ROOM_CREATE)) {
        return;
      }
      Bus.request(vertx.eventBus(), new HostRequest.Create(ttl, request.joinHash()))
          .onSuccess(room -> json(ctx, 201, new JsonObject().put("roomId", room.roomId()).put("pin", room.pin())
              .put("expiresAt", room.expiresAt()).put("serverTime", clock.millis())))
          .onFailure(e -> error(ctx, Bus.errorOf(e)));
    });
  }

  /** Reads a small request body, failing as soon as it exceeds {@link #MAX_API_BODY_BYTES}; never buffers more. */
  private Future<Buffer> readBody(HttpServerRequest req) {
    Promise<Buffer> p = Promise.promise();
    String declared = req.getHeader("Content-Length");
    if (declared != null) {
      try {
        if (Long.parseLong(declared.trim()) > MAX_API_BODY_BYTES) {
          p.fail("too large");
          return p.future();
        }
      } catch (NumberFormatException e) {
        p.fail("bad length");
        return p.future();
      }
    }
    Buffer acc = Buffer.buffer();
    req.handler(chunk -> {
      if (p.future().isComplete()) {
        return;
      }
      if (acc.length() + chunk.length() > MAX_API_BODY_BYTES) {
        p.tryFail("too large");
      } else {
        acc.appendBuffer(chunk);
      }
    });
    req.endHandler(v -> p.tryComplete(acc));
    req.exceptionHandler(p::tryFail);
    req.resume();
    return p.future();
  }

  private void roomInfo(RoutingContext ctx) {
    String roomId = ctx.pathParam("id");
    rooms.request(roomId, new RoomRequest.Info())
        .onSuccess(info -> json(ctx, 200, new JsonObject().put("roomId", info.roomId())
            .put("expiresAt", info.expiresAt()).put("locked", info.locked()).put("members", info.members())
            .put("serverTime", clock.millis())))
        .onFailure(e -> {
          ErrorCode code = RoomClient.codeOf(e);
          if (code == ErrorCode.NODE_SHUTTING_DOWN) {
            ctx.response().putHeader("Retry-After", "1");
          }
          error(ctx, code);
        });
  }

  // ---- WebSocket ----

  private void upgrade(HttpServerRequest req, String roomId) {
    HttpServerResponse res = req.response();
    // A WebSocket upgrade that succeeds is answered by Vert.x's handshaker with its own 101, never from this map, yet
    // Vert.x keeps the response and its map for the socket's whole life: filled, 0.1 KiB more per idle socket. So an
    // upgrade gets the headers only if it is answered through the response, i.e. refused (by us or by Vert.x's
    // handshake checks); the hook is dropped once the socket is accepted.
    res.headersEndHandler(v -> applyHeaders(req));
    req.routed(WS_ROUTE); // the metrics' route label, as the router would set it
    if (!asksForWebSocket(req) || req.getHeader("Sec-WebSocket-Key") == null) {
      error(res, ErrorCode.BAD_REQUEST); // Vert.x would refuse a keyless handshake too, but in plain text
      return;
    }
    if (!origins.allows(req.getHeader("Origin"), req.authority() == null ? null : req.authority().toString())) {
      error(res, ErrorCode.FORBIDDEN_ORIGIN);
      return;
    }
    if (draining) {
      error(res, ErrorCode.NODE_SHUTTING_DOWN);
      return;
    }
    String source = sourceOf(req);
    if (overBudget(res, connects, source, RateLimit.CONNECT)) {
      return;
    }
    if (shared.sockets.get() >= config.limits().maxSocketsPerNode()) {
      metrics.rateLimitedEvent(RateLimit.CONNECT);
      error(res, ErrorCode.NODE_FULL);
      return;
    }
    req.toWebSocket().onSuccess(ws -> {
      deadlines.upgraded(req.connection());
      req.response().headersEndHandler(null);
      accept(ws, roomId, source);
    }).onFailure(e -> {
      // Not a valid upgrade (a plain GET, a bad key or version): answer instead of leaving the request hanging.
      if (!res.ended() && !res.headWritten()) {
        error(res, ErrorCode.BAD_REQUEST);
      }
    });
  }

  private void accept(ServerWebSocket ws, String roomId, String source) {
    // A malformed room id is treated exactly like an unknown one (RoomClient answers room_not_found on join), so
    // nobody can tell them apart, and no socket is closed in the middle of its own handshake.
    SocketSession s = new SocketSession(this, ws, roomId, source, connId(), clock.millis());
    sessions.add(s);
    shared.sockets.incrementAndGet();
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

  // ---- deliveries from rooms ----

  private void onDelivery(Message<Object> msg) {
    if (msg.body() instanceof EdgeEvent.Deliveries ds) {
      for (EdgeEvent.Deliver d : ds.items()) {
        // Framed once for all recipients on this edge.
        Frames.encoded(d.frame(), frame -> forEachMember(d.to(), d.roomId(), s -> {
          if (s.takeSeq(d.seq())) {
            s.write(frame);
          }
        }));
      }
      return;
    }
    if (msg.body() instanceof EdgeEvent.Close c) {
      forEachMember(c.to(), c.roomId(), s -> {
        if (c.frame() != null) {
          s.write(c.frame());
        }
        s.close(c.code(), "", false);
      });
    } else if (msg.body() instanceof EdgeEvent.Drop d) {
      SocketSession s = members.get(d.memberId());
      if (s != null && s.roomId().equals(d.roomId()) && s.connId().equals(d.connId())) {
        s.close(CloseCodes.NORMAL, "replaced", false);
      }
    }
  }

  private void forEachMember(List<?> ids, String roomId, java.util.function.Consumer<SocketSession> action) {
    for (int i = 0; i < ids.size(); i++) {
      SocketSession s = members.get((String) ids.get(i));
      if (s != null && s.roomId().equals(roomId)) {
        action.accept(s);
      }
    }
  }

  // ---- used by SocketSession ----

  void registerMember(SocketSession s) {
    SocketSession previous = members.put(s.memberId(), s);
    if (previous != null && previous != s) {
      previous.close(CloseCodes.NORMAL, "replaced", false);
      members.put(s.memberId(), s);
    } else {
      metrics.memberConnected();
    }
  }

  void forget(SocketSession s) {
    if (sessions.remove(s)) {
      shared.sockets.decrementAndGet();
    }
    if (s.memberId() != null && members.get(s.memberId()) == s) {
      members.remove(s.memberId());
      metrics.memberDisconnected();
    }
  }

  /** One admin attempt from {@code source}: false past the per-source budget (right and wrong PINs alike). */
  boolean allowAdmin(String source) {
    if (adminAttempts.acquire(source, clock.millis()) > 0) {
      metrics.rateLimitedEvent(RateLimit.MESSAGE);
      return false;
    }
    return true;
  }

  Vertx getVertx() { return vertx; }
  String nodeId() { return nodeId; }
  Limits limits() { return config.limits(); }
  ClientFrameParser parser() { return parser; }
  FlushBatch flushes() { return flushes; }
  Clock clock() { return clock; }
  BurnroomMetrics metrics() { return metrics; }
  RoomClient rooms() { return rooms; }

  // ---- helpers ----

  /** Takes one from {@code source}'s budget; when it is spent, answers 429 with Retry-After and says so. */
  private boolean overBudget(HttpServerResponse res, SourceLimiter budget, String source, RateLimit kind) {
    long wait = budget.acquire(source, clock.millis());
    if (wait <= 0) {
      return false;
    }
    metrics.rateLimitedEvent(kind);
    res.putHeader("Retry-After", String.valueOf((wait + 999) / 1000));
    error(res, ErrorCode.RATE_LIMITED);
    return true;
  }

  /**
   * The client's address: the TCP peer, or behind a trusted proxy the rightmost X-Forwarded-For hop that is not a
   * trusted proxy ({@link ClientAddress}). Used only in memory for rate limits and lockouts; never logged.
   */
  private String sourceOf(HttpServerRequest req) {
    return clientAddress.of(peerOf(req), req.headers().getAll("X-Forwarded-For"));
  }

  private static String peerOf(HttpServerRequest req) {
    return req.remoteAddress() == null ? null : req.remoteAddress().hostAddress();
  }

  private static void error(RoutingContext ctx, ErrorCode code) {
    error(ctx.response(), code);
  }

  private static void error(HttpServerResponse res, ErrorCode code) {
    json(res, code.httpStatus(), ServerFrames.httpError(code));
  }

  private static void error(RoutingContext ctx, int status, String code, String message) {
    json(ctx, status, new JsonObject().put("error", new JsonObject().put("code", code).put("message", message)));
  }

  private static void json(RoutingContext ctx, int status, JsonObject body) {
    json(ctx.response(), status, body);
  }

  private static void json(HttpServerResponse res, int status, JsonObject body) {
    if (res.ended()) {
      return;
    }
    // Content-Length set here, not left to Vert.x: Vert.x omits it on a HEAD answer, which must match the GET one.
    Buffer bytes = body.toBuffer();
    res.setStatusCode(status).putHeader("Content-Type", "application/json")
        .putHeader("Content-Length", String.valueOf(bytes.length())).end(bytes);
  }
}
