package io.burnroom.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.burnroom.app.BurnroomNode;
import io.burnroom.metrics.BurnroomMetrics.Limit;
import io.burnroom.security.Hostile.RawResponse;
import io.burnroom.security.RawWebSocket.Frame;
import io.burnroom.support.LimitCounts;
import io.burnroom.support.TestNodes;
import io.burnroom.support.WsClient;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Edge limits against floods: connects, sockets, admin attempts, slow consumers, spoofed sources")
class EdgeLimitsTest {
  private static final String PROFILE = "cHJvZmlsZQ==";
  private static TestNodes nodes;

  @BeforeAll
  static void start() {
    nodes = new TestNodes();
  }

  @AfterAll
  static void stop() {
    nodes.close();
  }

  private static RawWebSocket handshake(BurnroomNode node, String roomId, Map<String, String> headers) throws IOException {
    return RawWebSocket.connect(node.httpPort(), "/ws/rooms/" + roomId, headers, 0).startReading();
  }

  private static RawResponse rawHandshake(BurnroomNode node, String roomId, String forwardedFor) throws IOException {
    String req = "GET /ws/rooms/" + roomId + " HTTP/1.1\r\nHost: 127.0.0.1:" + node.httpPort() + "\r\n"
        + "X-Forwarded-For: " + forwardedFor + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        + "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n";
    return Hostile.raw(node.httpPort(), req.getBytes(StandardCharsets.ISO_8859_1));
  }

  @Test
  @DisplayName("WebSocket connects per source: past the budget 429 rate_limited with Retry-After; X-Forwarded-For from a direct client changes nothing")
  void connectsPerSource() throws Exception {
    BurnroomNode node = nodes.embedded(Map.of("BURNROOM_CONNECTS_PER_MINUTE_PER_SOURCE", "3"));
    String roomId = nodes.createRoom(node, 600).getString("roomId");
    List<RawWebSocket> open = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      open.add(handshake(node, roomId, Map.of("X-Forwarded-For", "198.51.100." + i)));
    }
    LimitCounts counts = LimitCounts.of(node.metrics());
    RawResponse limited = rawHandshake(node, roomId, "198.51.100.99");
    assertThat(limited.status()).isEqualTo(429);
    assertThat(counts.moved()).containsExactly(Map.entry(Limit.CONNECT_RATE, 1.0));
    assertThat(Integer.parseInt(limited.headers().get("retry-after"))).isBetween(1, 60);
    assertThat(new JsonObject(limited.body()).getJsonObject("error").getString("code")).isEqualTo("rate_limited");
    Hostile.assertSecurityHeaders(limited.headers(), "429 handshake", false);
    open.forEach(RawWebSocket::close);
  }

  @Test
  @DisplayName("behind a trusted proxy each real client has its own budget, and a spoofed leftmost X-Forwarded-For does not escape it")
  void spoofingBehindProxy() throws Exception {
    BurnroomNode node = nodes.embedded(Map.of("BURNROOM_CONNECTS_PER_MINUTE_PER_SOURCE", "2",
        "BURNROOM_TRUSTED_PROXIES", "127.0.0.1"));
    String roomId = nodes.createRoom(node, 600).getString("roomId");
    List<RawWebSocket> open = new ArrayList<>();
    open.add(handshake(node, roomId, Map.of("X-Forwarded-For", "198.51.100.7")));
    open.add(handshake(node, roomId, Map.of("X-Forwarded-For", "10.9.9.9, 198.51.100.7")));
    // The attacker prepends random addresses; our proxy still appends the real one, which is what counts.
    for (String spoof : List.of("1.1.1.1, 198.51.100.7", "203.0.113.5,198.51.100.7", "unknown, 198.51.100.7")) {
      assertThat(rawHandshake(node, roomId, spoof).status()).as(spoof).isEqualTo(429);
    }
    // Another real client behind the same proxy is unaffected.
    open.add(handshake(node, roomId, Map.of("X-Forwarded-For", "198.51.100.8")));
    open.forEach(RawWebSocket::close);
  }

  @Test
  @DisplayName("total sockets per node: past the cap 503 node_full; a freed socket makes room again")
  void socketsPerNode() throws Exception {
    BurnroomNode node = nodes.embedded(Map.of("BURNROOM_MAX_SOCKETS_PER_NODE", "2"));
    String roomId = nodes.createRoom(node, 600).getString("roomId");
    WsClient a = nodes.ws(node, roomId);
    WsClient b = nodes.ws(node, roomId);
    LimitCounts counts = LimitCounts.of(node.metrics());
    RawResponse full = rawHandshake(node, roomId, "1.2.3.4");
    assertThat(full.status()).isEqualTo(503);
    assertThat(counts.moved()).containsExactly(Map.entry(Limit.SOCKETS_NODE_FULL, 1.0));
    assertThat(new JsonObject(full.body()).getJsonObject("error").getString("code")).isEqualTo("node_full");
    a.close();
    long deadline = System.currentTimeMillis() + 5_000;
    RawResponse again = rawHandshake(node, roomId, "1.2.3.4");
    while (again.status() != 101 && System.currentTimeMillis() < deadline) {
      Thread.sleep(50);
      again = rawHandshake(node, roomId, "1.2.3.4");
    }
    assertThat(again.status()).isEqualTo(101);
    b.close();
  }

  @Test
  @DisplayName("admin attempts per source: past the budget admin frames get rate_limited and the socket stays open")
  void adminAttempts() {
    BurnroomNode node = nodes.embedded(Map.of("BURNROOM_ADMIN_ATTEMPTS_PER_MINUTE_PER_SOURCE", "3"));
    JsonObject room = nodes.createRoom(node, 600);
    try (WsClient creator = nodes.ws(node, room.getString("roomId"))) {
      creator.join(PROFILE);
      for (String op : List.of("lock", "unlock", "lock")) {
        creator.admin(room.getString("pin"), op);
        assertThat(creator.expect("admin_ok").getString("op")).isEqualTo(op);
      }
      LimitCounts counts = LimitCounts.of(node.metrics());
      creator.admin(room.getString("pin"), "unlock");
      assertThat(creator.expect("error").getString("code")).isEqualTo("rate_limited");
      assertThat(counts.moved()).containsExactly(Map.entry(Limit.ADMIN_RATE, 1.0));
      creator.send(new JsonObject().put("type", "ping"));
      assertThat(creator.expect("pong")).isNotNull();
      assertThat(creator.isClosed()).isFalse();
    }
  }

  @Test
  @DisplayName("a slow consumer that stops reading is closed with 4013 slow_consumer while the room keeps flowing for others")
  void slowConsumer() throws Exception {
    BurnroomNode node = nodes.embedded();
    String roomId = nodes.createRoom(node, 600).getString("roomId");
    try (WsClient flooder = nodes.ws(node, roomId); WsClient bystander = nodes.ws(node, roomId);
         RawWebSocket slow = RawWebSocket.connect(node.httpPort(), "/ws/rooms/" + roomId, Map.of(), 4096)) {
      flooder.join(PROFILE);
      bystander.join(PROFILE);
      slow.sendText(new JsonObject().put("type", "join").put("profile", PROFILE).encode());
      flooder.expect("member_joined");
      bystander.expect("member_joined");
      LimitCounts counts = LimitCounts.of(node.metrics());
      String body = "A".repeat(60_000);
      int count = 400; // ~24 MB: far more than the socket buffers and Netty's write queue can hold
      // The bystander reads as it goes and the flooder stays at most 32 messages (~2 MB) ahead of it, so only the
      // socket that stopped reading falls 8 MiB behind (a bystander in this loaded JVM could lag a 24 MB burst).
      int ahead = 32;
      int read = 0;
      for (int i = 0; i < count; i++) {
        flooder.msg("f" + i, body);
        if (i >= ahead) {
          assertThat(bystander.expect("msg").getString("id")).isEqualTo("f" + read++);
        }
      }
      while (read < count) {
        assertThat(bystander.expect("msg").getString("id")).isEqualTo("f" + read++);
      }
      flooder.expect(f -> "ack".equals(f.getString("type")) && ("f" + (count - 1)).equals(f.getString("id")),
          "last ack", WsClient.WAIT_MS);
      slow.startReading();
      int msgs = 0;
      String errorCode = null;
      while (true) {
        Frame f = slow.next(10_000);
        assertThat(f).as("the slow consumer's stream ends with a close frame").isNotNull();
        if (f.opcode() == RawWebSocket.CLOSE) {
          assertThat(f.closeCode()).isEqualTo(4013);
          break;
        }
        JsonObject j = new JsonObject(f.text());
        if ("msg".equals(j.getString("type"))) {
          msgs++;
        } else if ("error".equals(j.getString("type"))) {
          errorCode = j.getString("code");
        }
      }
      assertThat(errorCode).isEqualTo("slow_consumer");
      assertThat(counts.moved()).containsExactly(Map.entry(Limit.SLOW_CONSUMER, 1.0));
      assertThat(msgs).as("the server stopped queueing for the slow consumer").isLessThan(count);
      // The room is unaffected: a new message still flows between the others.
      flooder.msg("after", "AAAA");
      assertThat(bystander.expect("msg").getString("id")).isEqualTo("after");
      assertThat(slow.closed.get(5, TimeUnit.SECONDS)).isEqualTo(4013);
    }
  }

  /** Milliseconds until the server ends the connection (FIN or reset), feeding it {@code drip} every 100 ms. */
  /** Ms until the server closes a connection that starts a GET of {@code path} and then drips a header line. */
  private static long drippingHead(int port, String path) throws Exception {
    try (java.net.Socket drip = new java.net.Socket("127.0.0.1", port)) {
      drip.getOutputStream().write(("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n")
          .getBytes(StandardCharsets.ISO_8859_1));
      // a header line every 100 ms: an idle timeout would never fire
      return untilServerCloses(drip, "X-Slow: 1\r\n".getBytes(StandardCharsets.ISO_8859_1), 5_000);
    }
  }

  private static long untilServerCloses(java.net.Socket socket, byte[] drip, long waitMs) throws Exception {
    socket.setSoTimeout(100);
    long start = System.nanoTime();
    byte[] buf = new byte[4096];
    while (System.nanoTime() - start < waitMs * 1_000_000) {
      try {
        if (drip != null) {
          socket.getOutputStream().write(drip);
          socket.getOutputStream().flush();
        }
        while (true) {
          if (socket.getInputStream().read(buf) == -1) {
            return (System.nanoTime() - start) / 1_000_000;
          }
        }
      } catch (java.net.SocketTimeoutException stillOpen) {
        // nothing to read yet: go on
      } catch (IOException reset) {
        return (System.nanoTime() - start) / 1_000_000; // closed with our unread bytes pending
      }
    }
    return -1;
  }

  @Test
  @DisplayName("slowloris: a connection that drips its first request head (chat or management port) or says nothing is cut at the head deadline, an idle keep-alive at 6 of them; a joined WebSocket is not")
  void slowRequestHeadsAreCut() throws Exception {
    BurnroomNode node = nodes.embedded(Map.of("BURNROOM_JOIN_TIMEOUT_MS", "1000"));
    String roomId = nodes.createRoom(node, 600).getString("roomId");
    try (WsClient member = nodes.ws(node, roomId)) {
      member.join(PROFILE);
      assertThat(drippingHead(node.httpPort(), "/health/live")).as("dripping head").isBetween(700L, 2_500L);
      try (java.net.Socket silent = new java.net.Socket("127.0.0.1", node.httpPort())) {
        assertThat(untilServerCloses(silent, null, 5_000)).as("silent connection").isBetween(700L, 2_500L);
      }
      assertThat(drippingHead(node.mgmtPort(), "/metrics")).as("dripping head on the management port")
          .isBetween(700L, 2_500L);
      try (java.net.Socket idle = new java.net.Socket("127.0.0.1", node.httpPort())) {
        // a whole request is answered at once; the idle keep-alive is closed after 6 deadlines
        idle.getOutputStream().write(("GET /health/live HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            .getBytes(StandardCharsets.ISO_8859_1));
        idle.setSoTimeout(2_000);
        byte[] head = new byte[12];
        assertThat(idle.getInputStream().readNBytes(head, 0, 12)).isEqualTo(12);
        assertThat(new String(head, StandardCharsets.ISO_8859_1)).isEqualTo("HTTP/1.1 200");
        assertThat(untilServerCloses(idle, null, 10_000)).as("idle keep-alive").isBetween(5_700L, 8_000L);
      }
      // the member's socket outlived several deadlines (ticks come every 10 s, so it was quiet all along)
      assertThat(member.isClosed()).isFalse();
      member.msg("still-here", "QUJD");
      assertThat(member.expect("ack").getLong("seq")).isEqualTo(1);
    }
  }

  @Test
  @DisplayName("a refused handshake is a clean HTTP error, not a half-open socket")
  void refusedHandshakeThrows() {
    BurnroomNode node = nodes.embedded(Map.of("BURNROOM_ALLOWED_ORIGINS", "https://chat.example"));
    assertThatThrownBy(() -> RawWebSocket.connect(node.httpPort(), "/ws/rooms/AAAAAAAAAAAAAAAAAAAAAA",
        Map.of("Origin", "https://evil.example"), 0)).hasMessageStartingWith("handshake refused: HTTP/1.1 403 ");
    assertThatThrownBy(() -> RawWebSocket.connect(node.httpPort(), "/ws/rooms/AAAAAAAAAAAAAAAAAAAAAA",
        Map.of("Origin", "http://127.0.0.1:" + node.httpPort()), 0)).hasMessageStartingWith("handshake refused: HTTP/1.1 403 ");
  }
}
