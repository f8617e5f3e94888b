package io.burnroom.edge;

import io.burnroom.bus.Addresses;
import io.burnroom.bus.Bus;
import io.burnroom.bus.RoomNotice;
import io.burnroom.cluster.RoomDirectory;
import io.burnroom.config.AppConfig;
import io.burnroom.http.ClientAddress;
import io.burnroom.http.OriginCheck;
import io.burnroom.http.RequestDeadlines;
import io.burnroom.metrics.BurnroomMetrics;
import io.burnroom.metrics.BurnroomMetrics.Limit;
import io.burnroom.wire.ClientFrameParser;
import io.burnroom.wire.CloseCodes;
import io.burnroom.wire.ErrorCode;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.ext.web.Router;
import java.time.Clock;

/**
 * The public face of a node, one instance per event loop: the chat listener ({@link HttpApi} and the WebSocket
 * endpoint, {@link SocketUpgrade}) and this instance's sockets ({@link LocalSockets}). Every room operation goes to
 * {@code burnroom.room.<id>}; it listens on {@code burnroom.edge.<node>} for the deliveries rooms send this node and
 * writes them to its local sockets. This class only wires those parts and runs their life cycle.
 */
public final class EdgeVerticle extends VerticleBase {
  private final AppConfig config;
  private final String nodeId;
  private final Clock clock;
  private final RoomDirectory directory;
  private final BurnroomMetrics metrics;
  private final StaticFiles files;
  private final EdgeShared shared;
  private final int port;
  private LocalSockets sockets;
  private RequestDeadlines deadlines;
  /** How often an edge checks that its node still serves. */
  static final long SERVING_WATCH_MS = 200;
  /**
   * How long after its room's expiry an edge waits for the room's own burn before it burns the room's sockets itself
   * (decision 56): well past a healthy room's burn (milliseconds), well inside failure detection + 1 s.
   */
  static final long BURN_GRACE_MS = 1_000;
  private long deadlineSweeper;
  private long servingWatch;
  private boolean wasServing = true;
  private HttpServer server;
  private MessageConsumer<Object> deliveries;
  private volatile boolean ready;
  private boolean draining;
  /** Counted among the node's edges that take deliveries ({@link ChunkReceipts}). */
  private boolean counted;

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
    this.shared = shared;
    this.port = port;
  }

  @Override
  public Future<?> start() {
    // A request head gets as long as a new socket gets for its join.
    deadlines = new RequestDeadlines(config.limits().joinTimeoutMs(), clock);
    deadlineSweeper = deadlines.startSweeping(vertx);
    servingWatch = vertx.setPeriodic(SERVING_WATCH_MS, id -> watchServing());
    RoomClient rooms = new RoomClient(vertx, directory, (config.failureDetectSeconds() + 5) * 1000L, shared.serving,
        shared.routes);
    // Hazelcast's news that a member left reaches each edge too: its room requests in flight are sent again now.
    vertx.eventBus().localConsumer(Addresses.NODE_LEFT, m -> rooms.nodeLeft());
    sockets = new LocalSockets(shared.sockets, metrics, d -> {
      if (shared.receipts.written(d.roomId(), d.credit())) {
        Bus.send(vertx.eventBus(), d.roomId(), new RoomNotice.ChunkTaken(nodeId, d.credit()));
      }
    });
    HttpHardening http = new HttpHardening(new ClientAddress(config.trustedProxies()));
    SessionContext sessions = new SessionContext(nodeId, config.limits(), config.chunkLimits(),
        new ClientFrameParser(config.limits(), config.maxTtlSeconds()), clock, metrics, rooms, SessionContext.Timers.of(vertx),
        new FlushBatch(task -> context.runOnContext(v -> task.run())), sockets,
        new SourceBudget(shared.adminAttempts, Limit.ADMIN_RATE, clock, metrics));
    SocketUpgrade upgrade = new SocketUpgrade(new OriginCheck(config.allowedOrigins()),
        new SourceBudget(shared.connects, Limit.CONNECT_RATE, clock, metrics), http, deadlines, sessions,
        () -> draining);
    Router router = new HttpApi(config, clock, files,
        new SourceBudget(shared.roomCreation, Limit.ROOM_CREATE_RATE, clock, metrics), metrics,
        HttpApi.roomHost(vertx.eventBus()), rooms, http, () -> ready).router(vertx);
    deliveries = vertx.eventBus().consumer(Addresses.edge(nodeId), sockets::onDelivery);
    return deliveries.completion()
        .onSuccess(v -> {
          counted = true;
          shared.receipts.edgeStarted();
        })
        // Room sockets are taken before the router: vertx-web would hand us its wrapper of the socket, which hides
        // the Netty pipeline our writes go to (see Frames) and costs memory for the socket's whole life.
        .compose(v -> deadlines.serve(vertx.createHttpServer(serverOptions()), req -> {
          String roomId = SocketUpgrade.roomSocketId(req);
          if (roomId != null) {
            upgrade.upgrade(req, roomId);
          } else {
            router.handle(req);
          }
        }).invalidRequestHandler(http::invalidRequest).listen())
        .onSuccess(s -> {
          server = s;
          ready = true;
        });
  }

  private HttpServerOptions serverOptions() {
    HttpServerOptions options = RequestDeadlines.watchable(new HttpServerOptions())
        .setHost(config.httpHost()).setPort(port)
        // Our own check closes oversize frames with 1009; Vert.x's limits sit above it as a hard backstop.
        .setMaxWebSocketFrameSize(config.limits().maxFrameChars() * 2)
        .setMaxWebSocketMessageSize(config.limits().maxFrameChars() * 4)
        .setMaxFormAttributeSize(HttpApi.MAX_API_BODY_BYTES)
        .setMaxHeaderSize(8192)
        .setMaxInitialLineLength(4096);
    if (config.tlsEnabled()) {
      // PEM text read once at start-up: nothing is written to disk, and the key never leaves memory.
      options.setSsl(true).setKeyCertOptions(new PemKeyCertOptions()
          .setCertValue(Buffer.buffer(config.tls().certPem()))
          .setKeyValue(Buffer.buffer(config.tls().keyPem())));
    }
    return options;
  }

  @Override
  public Future<?> stop() {
    ready = false;
    if (counted) {
      counted = false;
      shared.receipts.edgeStopped();
    }
    vertx.cancelTimer(deadlineSweeper);
    vertx.cancelTimer(servingWatch);
    drain();
    return server == null ? Future.succeededFuture() : server.close();
  }

  /**
   * The moment this node stops serving (it lost its cluster's quorum, or it is fenced after a pause: decision 48),
   * every local socket is told to reconnect (1012), so its member resumes on the side that serves at once. Otherwise a
   * member who is not sending learns nothing until haproxy's health check drops its connection, and one who is sending
   * waits for its write to time out (failure detection + 2 s): found by chaos/, messages sent into a partition were
   * acknowledged only after their room had burned.
   */
  private void watchServing() {
    sockets.burnOverdue(clock.millis(), BURN_GRACE_MS);
    boolean serving = shared.serving.getAsBoolean();
    if (wasServing && !serving) {
      sockets.closeAll(CloseCodes.SHUTTING_DOWN, ErrorCode.NODE_SHUTTING_DOWN.code());
    }
    wasServing = serving;
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
    return sockets == null ? 0 : sockets.count();
  }

  /** Graceful shutdown: refuse new work and tell every local socket to reconnect elsewhere (1012). */
  public Future<Void> drain() {
    Promise<Void> done = Promise.promise();
    context.runOnContext(v -> {
      ready = false;
      draining = true;
      sockets.closeAll(CloseCodes.SHUTTING_DOWN, ErrorCode.NODE_SHUTTING_DOWN.code());
      done.complete();
    });
    return done.future();
  }
}
