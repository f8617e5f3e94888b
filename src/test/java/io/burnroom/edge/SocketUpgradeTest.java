package io.burnroom.edge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.burnroom.bus.RoomReply;
import io.burnroom.bus.RoomRequest;
import io.burnroom.config.ChunkLimits;
import io.burnroom.config.Limits;
import io.burnroom.http.ClientAddress;
import io.burnroom.http.OriginCheck;
import io.burnroom.http.RequestDeadlines;
import io.burnroom.metrics.BurnroomMetrics;
import io.burnroom.metrics.BurnroomMetrics.Limit;
import io.burnroom.support.LimitCounts;
import io.burnroom.support.TestNodes;
import io.burnroom.support.WsClient;
import io.burnroom.wire.ClientFrameParser;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The WebSocket upgrade on a plain Vert.x HTTP server, without the edge verticle: real handshakes from a real client,
 * a stand-in room that seats every join. An accepted socket runs a real session over the real {@link WebSocketLink}.
 */
@DisplayName("The WebSocket upgrade, served without the edge verticle")
class SocketUpgradeTest {
  private static final String ROOM = "AAAAAAAAAAAAAAAAAAAAAA";
  private static final String PROFILE = "cHJvZmlsZQ==";
  private static Vertx vertx;

  private final AtomicBoolean draining = new AtomicBoolean();
  private final AtomicInteger nodeSockets = new AtomicInteger();
  private final BurnroomMetrics metrics = new BurnroomMetrics(new SimpleMeterRegistry());
  private HttpServer server;

  @BeforeAll
  static void startVertx() {
    vertx = Vertx.vertx();
  }

  @AfterAll
  static void stopVertx() {
    TestNodes.await(vertx.close(), 10_000);
  }

  /** Serves room sockets with at most {@code maxSockets} on the node and {@code connects} handshakes per source. */
  private void serve(int maxSockets, int connects) {
    Clock clock = Clock.systemUTC();
    Limits limits = Limits.defaults().withCapacity(50, 10_000, maxSockets);
    RoomRequests rooms = new RoomRequests() {
      @Override
      @SuppressWarnings("unchecked")
      public <R extends RoomReply> Future<R> request(String roomId, RoomRequest<R> body) {
        return body instanceof RoomRequest.Join ? Future.succeededFuture((R) new RoomReply.Joined("m1", roomId, 0, 0,
            "{\"type\":\"joined\",\"memberId\":\"m1\"}", List.of())) : Future.succeededFuture();
      }
    };
    SessionContext sessions = new SessionContext("node-1", limits, ChunkLimits.defaults(),
        new ClientFrameParser(limits, 86_400), clock,
        metrics, rooms, SessionContext.Timers.of(vertx), new FlushBatch(task -> vertx.runOnContext(v -> task.run())),
        new LocalSockets(nodeSockets, metrics),
        new SourceBudget(new SourceLimiter(1 / 60.0, 100), Limit.ADMIN_RATE, clock, metrics));
    SocketUpgrade upgrade = new SocketUpgrade(new OriginCheck(List.of()),
        new SourceBudget(new SourceLimiter(1 / 60.0, connects), Limit.CONNECT_RATE, clock, metrics),
        new HttpHardening(new ClientAddress(List.of())), new RequestDeadlines(10_000, clock), sessions, draining::get);
    server = TestNodes.await(vertx.createHttpServer().requestHandler(req -> {
      String id = SocketUpgrade.roomSocketId(req);
      if (id == null) {
        req.response().setStatusCode(404).end();
      } else {
        upgrade.upgrade(req, id);
      }
    }).listen(0, "127.0.0.1"), 10_000);
  }

  @AfterEach
  void stopServer() {
    TestNodes.await(server.close(), 10_000);
  }

  private WsClient connect(String origin) {
    return WsClient.connect(vertx, server.actualPort(), "/ws/rooms/" + ROOM, origin);
  }

  @Test
  @DisplayName("an accepted socket is a session: it joins and is answered over the real socket, and is counted")
  void accepted() throws Exception {
    serve(10, 10);
    try (WsClient c = connect(null)) {
      assertThat(c.join(PROFILE).getString("memberId")).isEqualTo("m1");
      c.send(new io.vertx.core.json.JsonObject().put("type", "ping"));
      assertThat(c.expect("pong")).isNotNull();
      assertThat(nodeSockets).hasValue(1);
      assertThat(metrics.membersConnected()).isEqualTo(1);
    }
    long deadline = System.currentTimeMillis() + 5_000;
    while (nodeSockets.get() > 0 && System.currentTimeMillis() < deadline) {
      Thread.sleep(20);
    }
    assertThat(nodeSockets).as("a closed socket is forgotten").hasValue(0);
  }

  @Test
  @DisplayName("a foreign Origin gets 403 and a draining node 503, before any budget is spent")
  void originAndDraining() {
    serve(10, 1);
    LimitCounts counts = LimitCounts.of(metrics);
    assertThatThrownBy(() -> connect("https://evil.example")).hasMessageContaining("403");
    draining.set(true);
    assertThatThrownBy(() -> connect(null)).hasMessageContaining("503");
    draining.set(false);
    connect(null).close(); // the one handshake the budget allows is still there
    assertThat(counts.moved()).isEmpty();
  }

  @Test
  @DisplayName("past the source's handshakes 429, past the node's sockets 503: each counted under its own reason")
  void budgetAndCap() {
    serve(1, 2);
    LimitCounts counts = LimitCounts.of(metrics);
    try (WsClient first = connect(null)) {
      assertThatThrownBy(() -> connect(null)).hasMessageContaining("503");
      assertThat(counts.moved()).containsExactly(Map.entry(Limit.SOCKETS_NODE_FULL, 1.0));
      assertThatThrownBy(() -> connect(null)).hasMessageContaining("429");
      assertThat(counts.moved()).containsOnlyKeys(Limit.SOCKETS_NODE_FULL, Limit.CONNECT_RATE)
          .containsEntry(Limit.CONNECT_RATE, 1.0);
    }
  }
}
