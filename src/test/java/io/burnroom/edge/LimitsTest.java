package io.burnroom.edge;

import static org.assertj.core.api.Assertions.assertThat;

import io.burnroom.app.BurnroomNode;
import io.burnroom.metrics.BurnroomMetrics.Limit;
import io.burnroom.support.LimitCounts;
import io.burnroom.support.TestNodes;
import io.burnroom.support.TestNodes.Reply;
import io.burnroom.support.WsClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Capacity and rate limits")
class LimitsTest {
  private static final String PROFILE = "cHJvZmlsZQ==";
  private static TestNodes nodes;
  private static BurnroomNode node;
  private static String floodRoom;

  @BeforeAll
  static void start() {
    nodes = new TestNodes();
    node = nodes.embedded(Map.of(
        "BURNROOM_ROOMS_PER_MINUTE_PER_SOURCE", "4",
        "BURNROOM_MSGS_PER_SECOND_PER_CONNECTION", "5",
        "BURNROOM_MAX_MEMBERS_PER_ROOM", "2",
        "BURNROOM_MAX_ROOMS_PER_NODE", "10"));
    floodRoom = nodes.createRoom(node, 600).getString("roomId");
  }

  @AfterAll
  static void stop() {
    nodes.close();
  }

  @Test
  @DisplayName("room creation: a source gets 429 with Retry-After past its per-minute budget; a third member gets room_full")
  void roomCreation() {
    String body = new JsonObject().put("ttlSeconds", 600).encode();
    JsonObject first = nodes.createRoom(node, 600);
    nodes.createRoom(node, 600);
    nodes.createRoom(node, 600);
    LimitCounts counts = LimitCounts.of(node.metrics());
    Reply limited = nodes.request(HttpMethod.POST, node.httpPort(), "/api/rooms", body);
    assertThat(limited.status()).isEqualTo(429);
    assertThat(counts.moved()).containsExactly(Map.entry(Limit.ROOM_CREATE_RATE, 1.0));
    assertThat(limited.body().getJsonObject("error").getString("code")).isEqualTo("rate_limited");
    assertThat(Integer.parseInt(limited.headers().get("retry-after"))).isBetween(1, 60);

    // members per room: the third member is refused, the first two are unaffected
    String id = first.getString("roomId");
    try (WsClient a = nodes.ws(node, id); WsClient b = nodes.ws(node, id); WsClient c = nodes.ws(node, id)) {
      a.join(PROFILE);
      b.join(PROFILE);
      LimitCounts joins = LimitCounts.of(node.metrics());
      c.send(new JsonObject().put("type", "join").put("profile", PROFILE));
      assertThat(c.expect("error").getString("code")).isEqualTo("room_full");
      assertThat(joins.moved()).containsExactly(Map.entry(Limit.ROOM_FULL, 1.0));
      assertThat(c.awaitClose()).isEqualTo((short) 4003);
      a.msg("still", "AAAA");
      assertThat(b.expect("msg").getString("id")).isEqualTo("still");
    }
  }

  @Test
  @DisplayName("messages: a flood gets rate_limited errors, and a sustained flood closes the connection with 4029")
  void messageFlood() {
    try (WsClient a = nodes.ws(node, floodRoom)) {
      a.join(PROFILE);
      LimitCounts counts = LimitCounts.of(node.metrics());
      for (int i = 0; i < 200 && !a.isClosed(); i++) {
        a.send(new JsonObject().put("type", "ping"));
      }
      assertThat(a.awaitClose()).isEqualTo((short) 4029);
      assertThat(a.received()).anyMatch(f -> "rate_limited".equals(f.getString("code")));
      long pongs = a.received().stream().filter(f -> "pong".equals(f.getString("type"))).count();
      assertThat(pongs).isBetween(5L, 20L);
      assertThat(counts.moved()).containsOnlyKeys(Limit.FLOOD);
    }
  }

  @Test
  @DisplayName("rooms per node: past the cap, creation answers 503 node_full")
  void roomsPerNode() {
    BurnroomNode small = nodes.embedded(Map.of("BURNROOM_MAX_ROOMS_PER_NODE", "1"));
    nodes.createRoom(small, 600);
    LimitCounts counts = LimitCounts.of(small.metrics());
    Reply full = nodes.request(HttpMethod.POST, small.httpPort(), "/api/rooms", new JsonObject().put("ttlSeconds", 600).encode());
    assertThat(full.status()).isEqualTo(503);
    assertThat(full.body().getJsonObject("error").getString("code")).isEqualTo("node_full");
    assertThat(counts.moved()).containsExactly(Map.entry(Limit.ROOMS_NODE_FULL, 1.0));
  }
}
