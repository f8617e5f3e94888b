package io.burnroom.edge;

import io.burnroom.bus.Bus;
import io.burnroom.bus.HostReply;
import io.burnroom.bus.HostRequest;
import io.burnroom.bus.RoomRequest;
import io.burnroom.config.AppConfig;
import io.burnroom.http.Routes;
import io.burnroom.metrics.BurnroomMetrics;
import io.burnroom.metrics.BurnroomMetrics.Limit;
import io.burnroom.wire.ErrorCode;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.time.Clock;
import java.util.function.BooleanSupplier;

/**
 * The chat listener's HTTP API: create a room ({@code POST /api/rooms}), a room's info ({@code GET /api/rooms/{id}}),
 * health, and the web client's pages. Every collaborator comes in at construction, so the API is served (and tested)
 * by any router, with or without the edge verticle.
 */
final class HttpApi {
  static final int MAX_API_BODY_BYTES = 1024;

  /** Creates a room on this node; fails with a {@link RoomClient.RoomError}. */
  interface RoomCreator {
    Future<HostReply.Created> create(HostRequest.Create request);
  }

  private final AppConfig config;
  private final Clock clock;
  private final StaticFiles files;
  private final SourceBudget roomCreation;
  private final BurnroomMetrics metrics;
  private final RoomCreator host;
  private final RoomRequests rooms;
  private final HttpHardening http;
  private final BooleanSupplier ready;

  HttpApi(AppConfig config, Clock clock, StaticFiles files, SourceBudget roomCreation, BurnroomMetrics metrics,
          RoomCreator host, RoomRequests rooms, HttpHardening http, BooleanSupplier ready) {
    this.config = config;
    this.clock = clock;
    this.files = files;
    this.roomCreation = roomCreation;
    this.metrics = metrics;
    this.host = host;
    this.rooms = rooms;
    this.http = http;
    this.ready = ready;
  }

  /** This node's room host, over the local event bus. */
  static RoomCreator roomHost(EventBus bus) {
    return create -> Bus.request(bus, create)
        .recover(e -> Future.failedFuture(new RoomClient.RoomError(Bus.errorOf(e))));
  }

  Router router(Vertx vertx) {
    Router r = Router.router(vertx);
    r.route().handler(http::headers);
    r.post("/api/rooms").handler(this::createRoom);
    Routes.getOrHead(r.route("/api/rooms/:id")).handler(this::roomInfo);
    Routes.getOrHead(r.route("/health/live")).handler(ctx -> health(ctx, true));
    Routes.getOrHead(r.route("/health/ready")).handler(ctx -> health(ctx, ready.getAsBoolean()));
    Routes.getOrHead(r.route("/r/:id")).handler(ctx -> serve(ctx, "/index.html"));
    Routes.getOrHead(r.route("/")).handler(ctx -> serve(ctx, "/index.html"));
    Routes.getOrHead(r.route()).handler(ctx -> serve(ctx, ctx.normalizedPath()));
    r.route("/api/*").handler(ctx -> HttpReplies.error(ctx.response(), ErrorCode.BAD_REQUEST));
    http.answerFailures(r);
    return r;
  }

  private static void health(RoutingContext ctx, boolean up) {
    HttpReplies.json(ctx.response(), up ? 200 : 503, new JsonObject().put("status", up ? "UP" : "DOWN"));
  }

  private void serve(RoutingContext ctx, String path) {
    StaticFiles.Asset a = files.get(path);
    if (a == null) {
      HttpReplies.error(ctx.response(), ErrorCode.NOT_FOUND);
      return;
    }
    ctx.response().putHeader("Content-Type", a.contentType()).putHeader("Content-Length", String.valueOf(a.content().length()))
        .end(a.content());
  }

  private void createRoom(RoutingContext ctx) {
    HttpServerRequest req = ctx.request();
    String source = http.sourceOf(req);
    if (!ready.getAsBoolean()) {
      HttpReplies.error(ctx.response(), ErrorCode.NODE_SHUTTING_DOWN);
      return;
    }
    readBody(req).onComplete(body -> {
      if (body.failed()) {
        HttpReplies.error(ctx.response(), ErrorCode.PAYLOAD_TOO_LARGE);
        return;
      }
      CreateRoomRequest request = CreateRoomRequest.parse(body.result());
      if (request == null) {
        HttpReplies.error(ctx.response(), ErrorCode.BAD_REQUEST);
        return;
      }
      long ttl = request.ttlSeconds();
      if (ttl < config.minTtlSeconds() || ttl > config.maxTtlSeconds()) {
        HttpReplies.error(ctx.response(), ErrorCode.TTL_OUT_OF_RANGE,
            "ttlSeconds must be between " + config.minTtlSeconds() + " and " + config.maxTtlSeconds() + ".");
        return;
      }
      long wait = roomCreation.take(source);
      if (wait > 0) {
        HttpReplies.rateLimited(ctx.response(), wait);
        return;
      }
      host.create(new HostRequest.Create(ttl, request.joinHash()))
          .onSuccess(room -> HttpReplies.json(ctx.response(), 201, new JsonObject().put("roomId", room.roomId())
              .put("pin", room.pin()).put("expiresAt", room.expiresAt()).put("serverTime", clock.millis())))
          .onFailure(e -> {
            ErrorCode code = RoomClient.codeOf(e);
            if (code == ErrorCode.NODE_FULL) {
              metrics.limited(Limit.ROOMS_NODE_FULL);
            }
            HttpReplies.error(ctx.response(), code);
          });
    });
  }

  /** Reads a small request body, failing as soon as it exceeds {@link #MAX_API_BODY_BYTES}; never buffers more. */
  private static Future<Buffer> readBody(HttpServerRequest req) {
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
        .onSuccess(info -> HttpReplies.json(ctx.response(), 200, new JsonObject().put("roomId", info.roomId())
            .put("expiresAt", info.expiresAt()).put("locked", info.locked()).put("members", info.members())
            .put("serverTime", clock.millis())))
        .onFailure(e -> {
          ErrorCode code = RoomClient.codeOf(e);
          if (code == ErrorCode.NODE_SHUTTING_DOWN) {
            ctx.response().putHeader("Retry-After", "1");
          }
          HttpReplies.error(ctx.response(), code);
        });
  }
}
