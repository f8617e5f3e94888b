package io.burnroom.edge;

import static org.assertj.core.api.Assertions.assertThat;

import io.burnroom.bus.HostReply;
import io.burnroom.bus.HostRequest;
import io.burnroom.bus.RoomReply;
import io.burnroom.bus.RoomRequest;
import io.burnroom.config.AppConfig;
import io.burnroom.http.ClientAddress;
import io.burnroom.metrics.BurnroomMetrics;
import io.burnroom.metrics.BurnroomMetrics.Limit;
import io.burnroom.support.LimitCounts;
import io.burnroom.support.TestNodes;
import io.burnroom.support.TestNodes.Reply;
import io.burnroom.wire.ErrorCode;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The chat listener's HTTP API served by a plain Vert.x HTTP server on a free port, with no edge verticle, no room host
 * and no rooms: those are stand-ins answering as the test says. The requests are real HTTP.
 */
@DisplayName("The HTTP API, served without the edge verticle")
class HttpApiTest {
  private static final String ROOM = "AAAAAAAAAAAAAAAAAAAAAA";
  private static final StaticFiles FILES = StaticFiles.load("webroot");
  private static Vertx vertx;
  private static TestNodes client;

  private final AtomicBoolean ready = new AtomicBoolean(true);
  private final BurnroomMetrics metrics = new BurnroomMetrics(new SimpleMeterRegistry());
  private final LimitCounts counts = LimitCounts.of(metrics);
  /** What the room host is asked, and how it answers (a room, or an error code). */
  private final List<HostRequest.Create> creations = new ArrayList<>();
  private ErrorCode hostRefuses;
  /** How the room answers an info request. */
  private ErrorCode roomRefuses;
  private HttpServer server;

  @BeforeAll
  static void startVertx() {
    vertx = Vertx.vertx();
    client = new TestNodes();
  }

  @AfterAll
  static void stopVertx() {
    client.close();
    TestNodes.await(vertx.close(), 10_000);
  }

  @BeforeEach
  void serve() {
    Clock clock = Clock.systemUTC();
    HttpApi.RoomCreator host = create -> {
      creations.add(create);
      return hostRefuses != null ? Future.failedFuture(new RoomClient.RoomError(hostRefuses))
          : Future.succeededFuture(new HostReply.Created(ROOM, "123456", 9L));
    };
    RoomRequests rooms = new RoomRequests() {
      @Override
      @SuppressWarnings("unchecked")
      public <R extends RoomReply> Future<R> request(String roomId, RoomRequest<R> body) {
        assertThat(body).isInstanceOf(RoomRequest.Info.class);
        return roomRefuses != null ? Future.failedFuture(new RoomClient.RoomError(roomRefuses))
            : Future.succeededFuture((R) new RoomReply.Info(roomId, 9L, true, 2));
      }
    };
    // Two room creations per source, then one a minute.
    SourceBudget budget = new SourceBudget(new SourceLimiter(1 / 60.0, 2), Limit.ROOM_CREATE_RATE, clock, metrics);
    HttpApi api = new HttpApi(AppConfig.defaults(), clock, FILES, budget, metrics, host, rooms,
        new HttpHardening(new ClientAddress(List.of())), ready::get);
    server = TestNodes.await(vertx.createHttpServer().requestHandler(api.router(vertx)).listen(0, "127.0.0.1"), 10_000);
  }

  @AfterEach
  void stopServer() {
    TestNodes.await(server.close(), 10_000);
  }

  private Reply request(HttpMethod method, String path, String body) {
    return client.request(method, server.actualPort(), path, body);
  }

  private Reply create(String body) {
    return request(HttpMethod.POST, "/api/rooms", body);
  }

  private static String code(Reply r) {
    return r.body().getJsonObject("error").getString("code");
  }

  @Test
  @DisplayName("POST /api/rooms asks the room host for the room and answers 201 with it and the server's time")
  void createsRoom() {
    String joinHash = "A".repeat(43);
    Reply r = create(new JsonObject().put("ttlSeconds", 600).put("joinHash", joinHash).encode());
    assertThat(r.status()).isEqualTo(201);
    assertThat(r.body().getString("roomId")).isEqualTo(ROOM);
    assertThat(r.body().getString("pin")).isEqualTo("123456");
    assertThat(r.body().getLong("serverTime")).isCloseTo(System.currentTimeMillis(), org.assertj.core.data.Offset.offset(60_000L));
    assertThat(r.body().getLong("expiresAt")).isEqualTo(9L);
    assertThat(creations).containsExactly(new HostRequest.Create(600, joinHash));
    assertThat(r.headers()).containsKey("content-security-policy");
  }

  @Test
  @DisplayName("a bad body is refused before the room host hears of it: 400, 400 ttl_out_of_range, 413")
  void refusesBadBodies() {
    assertThat(code(create("not json"))).isEqualTo("bad_request");
    Reply range = create(new JsonObject().put("ttlSeconds", 10).encode());
    assertThat(range.status()).isEqualTo(400);
    assertThat(code(range)).isEqualTo("ttl_out_of_range");
    assertThat(range.body().getJsonObject("error").getString("message")).contains("300").contains("86400");
    Reply big = create(new JsonObject().put("ttlSeconds", 600).put("pad", "x".repeat(2000)).encode());
    assertThat(big.status()).isEqualTo(413);
    assertThat(code(big)).isEqualTo("payload_too_large");
    assertThat(creations).isEmpty();
    assertThat(counts.moved()).as("no limit moved").isEmpty();
  }

  @Test
  @DisplayName("past the source's budget: 429 rate_limited with Retry-After, counted as room_create/source_rate only")
  void roomCreationBudget() {
    String body = new JsonObject().put("ttlSeconds", 600).encode();
    assertThat(create(body).status()).isEqualTo(201);
    assertThat(create(body).status()).isEqualTo(201);
    Reply limited = create(body);
    assertThat(limited.status()).isEqualTo(429);
    assertThat(code(limited)).isEqualTo("rate_limited");
    assertThat(Integer.parseInt(limited.headers().get("retry-after"))).isBetween(1, 60);
    assertThat(creations).hasSize(2);
    assertThat(counts.moved()).containsExactly(Map.entry(Limit.ROOM_CREATE_RATE, 1.0));
  }

  @Test
  @DisplayName("a full node: 503 node_full, counted as room_create/node_full only")
  void nodeFull() {
    hostRefuses = ErrorCode.NODE_FULL;
    Reply full = create(new JsonObject().put("ttlSeconds", 600).encode());
    assertThat(full.status()).isEqualTo(503);
    assertThat(code(full)).isEqualTo("node_full");
    assertThat(counts.moved()).containsExactly(Map.entry(Limit.ROOMS_NODE_FULL, 1.0));
  }

  @Test
  @DisplayName("health: live is always up; ready and room creation follow the node's readiness")
  void health() {
    assertThat(request(HttpMethod.GET, "/health/live", null).body().getString("status")).isEqualTo("UP");
    assertThat(request(HttpMethod.GET, "/health/ready", null).status()).isEqualTo(200);
    ready.set(false);
    Reply down = request(HttpMethod.GET, "/health/ready", null);
    assertThat(down.status()).isEqualTo(503);
    assertThat(down.body().getString("status")).isEqualTo("DOWN");
    assertThat(request(HttpMethod.HEAD, "/health/ready", null).status()).isEqualTo(503);
    Reply create = create(new JsonObject().put("ttlSeconds", 600).encode());
    assertThat(create.status()).isEqualTo(503);
    assertThat(code(create)).isEqualTo("node_shutting_down");
    assertThat(creations).isEmpty();
  }

  @Test
  @DisplayName("GET /api/rooms/{id}: the room's answer and the server's time, or its error (503 with Retry-After 1)")
  void roomInfo() {
    Reply info = request(HttpMethod.GET, "/api/rooms/" + ROOM, null);
    assertThat(info.status()).isEqualTo(200);
    assertThat(info.body().getString("roomId")).isEqualTo(ROOM);
    assertThat(info.body().getInteger("members")).isEqualTo(2);
    assertThat(info.body().getBoolean("locked")).isTrue();
    assertThat(info.body().getLong("expiresAt")).isEqualTo(9L);
    assertThat(info.body().getLong("serverTime")).isPositive();
    roomRefuses = ErrorCode.ROOM_NOT_FOUND;
    Reply gone = request(HttpMethod.GET, "/api/rooms/" + ROOM, null);
    assertThat(gone.status()).isEqualTo(404);
    assertThat(code(gone)).isEqualTo("room_not_found");
    roomRefuses = ErrorCode.NODE_SHUTTING_DOWN;
    Reply moving = request(HttpMethod.GET, "/api/rooms/" + ROOM, null);
    assertThat(moving.status()).isEqualTo(503);
    assertThat(moving.headers().get("retry-after")).isEqualTo("1");
  }

  @Test
  @DisplayName("pages: / and /r/{id} are the client, files by path, anything else a JSON 404; HEAD answers like GET")
  void pages() {
    Reply home = request(HttpMethod.GET, "/", null);
    assertThat(home.status()).isEqualTo(200);
    assertThat(home.headers().get("content-type")).startsWith("text/html");
    assertThat(home.headers().get("content-length")).isEqualTo(String.valueOf(FILES.get("/index.html").content().length()));
    assertThat(request(HttpMethod.GET, "/r/" + ROOM, null).headers().get("content-length"))
        .isEqualTo(home.headers().get("content-length"));
    Reply head = request(HttpMethod.HEAD, "/", null);
    assertThat(head.status()).isEqualTo(200);
    assertThat(head.headers().get("content-length")).isEqualTo(home.headers().get("content-length"));
    assertThat(head.body()).isEmpty();
    Reply missing = request(HttpMethod.GET, "/nope.js", null);
    assertThat(missing.status()).isEqualTo(404);
    assertThat(code(missing)).isEqualTo("not_found");
    assertThat(missing.headers()).containsKey("content-security-policy");
    assertThat(code(request(HttpMethod.POST, "/api/nothing", "{}"))).isEqualTo("bad_request");
    Reply wrongMethod = request(HttpMethod.PUT, "/", "{}");
    assertThat(wrongMethod.status()).isEqualTo(405);
    assertThat(code(wrongMethod)).isEqualTo("method_not_allowed");
  }


}
