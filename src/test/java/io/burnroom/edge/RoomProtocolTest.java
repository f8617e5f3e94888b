package io.burnroom.edge;

import static org.assertj.core.api.Assertions.assertThat;

import io.burnroom.app.BurnroomNode;
import io.burnroom.support.TestNodes;
import io.burnroom.support.TestNodes.Reply;
import io.burnroom.support.WsClient;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.UpgradeRejectedException;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Wire protocol on one node, over real WebSockets")
class RoomProtocolTest {
  private static final String PROFILE = "cHJvZmlsZQ==";
  private static TestNodes nodes;
  private static BurnroomNode node;

  @BeforeAll
  static void start() {
    nodes = new TestNodes();
    node = nodes.embedded(Map.of("BURNROOM_JOIN_TIMEOUT_MS", "700", "BURNROOM_RESUME_GRACE_MS", "1500"));
  }

  @AfterAll
  static void stop() {
    nodes.close();
  }

  private JsonObject room(int ttl) {
    return nodes.createRoom(node, ttl);
  }

  private WsClient joined(String roomId) {
    WsClient c = nodes.ws(node, roomId);
    c.join(PROFILE);
    return c;
  }

  private Reply http(HttpMethod m, String path, String body) {
    return nodes.request(m, node.httpPort(), path, body);
  }

  @Test
  @DisplayName("creating a room answers 201 with id, PIN, expiry and server time; GET answers the same room")
  void createAndGet() {
    long before = System.currentTimeMillis();
    JsonObject r = room(600);
    assertThat(r.getString("roomId")).hasSize(22);
    assertThat(r.getString("pin")).hasSize(8);
    assertThat(r.getLong("expiresAt")).isBetween(before + 600_000, System.currentTimeMillis() + 600_000);
    assertThat(r.getLong("serverTime")).isBetween(before, System.currentTimeMillis());
    Reply g = http(HttpMethod.GET, "/api/rooms/" + r.getString("roomId"), null);
    assertThat(g.status()).isEqualTo(200);
    assertThat(g.body().getString("roomId")).isEqualTo(r.getString("roomId"));
    assertThat(g.body().getLong("expiresAt")).isEqualTo(r.getLong("expiresAt"));
    assertThat(g.body().getBoolean("locked")).isFalse();
    assertThat(g.body().getInteger("members")).isZero();
    assertThat(g.body().containsKey("serverTime")).isTrue();
    assertThat(g.body().containsKey("pin")).isFalse();
  }

  @Test
  @DisplayName("bad room requests get stable error codes: out-of-range TTL, malformed JSON, oversized body, unknown room")
  void badHttp() {
    assertThat(http(HttpMethod.POST, "/api/rooms", "{\"ttlSeconds\":0}").body().getJsonObject("error").getString("code"))
        .isEqualTo("ttl_out_of_range");
    Reply tooLong = http(HttpMethod.POST, "/api/rooms", "{\"ttlSeconds\":86401}");
    assertThat(tooLong.status()).isEqualTo(400);
    assertThat(tooLong.body().getJsonObject("error").getString("code")).isEqualTo("ttl_out_of_range");
    assertThat(http(HttpMethod.POST, "/api/rooms", "{\"ttlSeconds\":1.5}").body().getJsonObject("error").getString("code"))
        .isEqualTo("ttl_out_of_range");
    Reply notJson = http(HttpMethod.POST, "/api/rooms", "ttl=300");
    assertThat(notJson.status()).isEqualTo(400);
    assertThat(notJson.body().getJsonObject("error").getString("code")).isEqualTo("bad_request");
    assertThat(http(HttpMethod.POST, "/api/rooms", "{\"ttlSeconds\":\"300\"}").status()).isEqualTo(400);
    Reply big = http(HttpMethod.POST, "/api/rooms", "{\"ttlSeconds\":300,\"pad\":\"" + "x".repeat(5000) + "\"}");
    assertThat(big.status()).isEqualTo(413);
    assertThat(big.body().getJsonObject("error").getString("code")).isEqualTo("payload_too_large");
    Reply unknown = http(HttpMethod.GET, "/api/rooms/AAAAAAAAAAAAAAAAAAAAAA", null);
    Reply malformed = http(HttpMethod.GET, "/api/rooms/..%2F..%2Fetc", null);
    assertThat(unknown.status()).isEqualTo(404);
    assertThat(malformed.status()).isEqualTo(404);
    assertThat(unknown.body()).isEqualTo(malformed.body());
  }

  @Test
  @DisplayName("a message is relayed to all others but not the sender, and the sender gets acks with increasing seq")
  void relay() {
    String id = room(600).getString("roomId");
    try (WsClient a = joined(id); WsClient b = joined(id); WsClient c = joined(id)) {
      JsonObject joinedB = b.received().get(0);
      assertThat(a.expect("member_joined").getString("memberId")).isEqualTo(joinedB.getString("memberId"));
      a.msg("m1", "AAAA");
      JsonObject ack1 = a.expect("ack");
      a.msg("m2", "BBBB");
      JsonObject ack2 = a.expect("ack");
      assertThat(ack1.getString("id")).isEqualTo("m1");
      assertThat(ack2.getLong("seq")).isEqualTo(ack1.getLong("seq") + 1);
      for (WsClient other : List.of(b, c)) {
        JsonObject m = other.expect("msg");
        assertThat(m.getString("body")).isEqualTo("AAAA");
        assertThat(m.getString("from")).isEqualTo(a.received().get(0).getString("memberId"));
        assertThat(m.getLong("seq")).isEqualTo(ack1.getLong("seq"));
        assertThat(other.expect("msg").getString("body")).isEqualTo("BBBB");
      }
      assertThat(a.received()).noneMatch(f -> "msg".equals(f.getString("type")));
    }
  }

  @Test
  @DisplayName("a message with 'to' reaches only its target")
  void directMessage() {
    String id = room(600).getString("roomId");
    try (WsClient a = joined(id); WsClient b = joined(id); WsClient c = joined(id)) {
      String bId = b.received().get(0).getString("memberId");
      a.msgTo("k1", "S0VZ", bId);
      assertThat(b.expect("msg").getBoolean("direct")).isTrue();
      a.expect("ack");
      a.msg("after", "AAAA");
      assertThat(c.expect("msg").getString("id")).as("c never saw the direct message").isEqualTo("after");
      a.msgTo("k2", "S0VZ", "nobody");
      assertThat(a.expect("error").getString("code")).isEqualTo("unknown_member");
    }
  }

  @Test
  @DisplayName("a resend of the same id is acknowledged with the same seq and relayed only once")
  void resendOnce() {
    String id = room(600).getString("roomId");
    try (WsClient a = joined(id); WsClient b = joined(id)) {
      a.msg("dup", "AAAA");
      long seq = a.expect("ack").getLong("seq");
      a.msg("dup", "AAAA");
      assertThat(a.expect("ack").getLong("seq")).isEqualTo(seq);
      a.msg("next", "BBBB");
      a.expect("ack");
      assertThat(b.expect("msg").getString("id")).isEqualTo("dup");
      assertThat(b.expect("msg").getString("id")).isEqualTo("next");
    }
  }

  @Test
  @DisplayName("ping answers pong with the server time, even before join")
  void ping() {
    String id = room(600).getString("roomId");
    try (WsClient a = nodes.ws(node, id)) {
      a.send(new JsonObject().put("type", "ping"));
      assertThat(a.expect("pong").getLong("serverTime")).isCloseTo(System.currentTimeMillis(),
          org.assertj.core.data.Offset.offset(2_000L));
    }
  }

  @Test
  @DisplayName("lock refuses new members with 4003 and unlock lets them in again; everyone sees the change")
  void lockUnlock() {
    JsonObject r = room(600);
    String id = r.getString("roomId");
    try (WsClient creator = joined(id); WsClient b = joined(id)) {
      creator.admin(r.getString("pin"), "lock");
      assertThat(creator.expect("admin_ok").getString("op")).isEqualTo("lock");
      assertThat(b.expect("locked").getBoolean("locked")).isTrue();
      assertThat(http(HttpMethod.GET, "/api/rooms/" + id, null).body().getBoolean("locked")).isTrue();
      try (WsClient late = nodes.ws(node, id)) {
        late.send(new JsonObject().put("type", "join").put("profile", PROFILE));
        assertThat(late.expect("error").getString("code")).isEqualTo("room_locked");
        assertThat(late.awaitClose()).isEqualTo((short) 4003);
      }
      creator.admin(r.getString("pin"), "unlock");
      assertThat(b.expect("locked").getBoolean("locked")).isFalse();
      try (WsClient late = joined(id)) {
        assertThat(late.received().get(0).getBoolean("locked")).isFalse();
      }
    }
  }

  @Test
  @DisplayName("extend moves expiry for everyone and cannot exceed the maximum lifetime")
  void extend() {
    JsonObject r = room(600);
    String id = r.getString("roomId");
    try (WsClient creator = joined(id); WsClient b = joined(id)) {
      creator.send(new JsonObject().put("type", "admin").put("pin", r.getString("pin")).put("op", "extend").put("seconds", 60));
      creator.expect("admin_ok");
      assertThat(b.expect("extended").getLong("expiresAt")).isEqualTo(r.getLong("expiresAt") + 60_000);
      assertThat(http(HttpMethod.GET, "/api/rooms/" + id, null).body().getLong("expiresAt"))
          .isEqualTo(r.getLong("expiresAt") + 60_000);
      creator.send(new JsonObject().put("type", "admin").put("pin", r.getString("pin")).put("op", "extend").put("seconds", 86_400));
      assertThat(creator.expect("error").getString("code")).isEqualTo("extend_limit");
    }
  }

  @Test
  @DisplayName("kick closes the member with 4001, tells the others, and bans its resume token")
  void kick() {
    JsonObject r = room(600);
    String id = r.getString("roomId");
    try (WsClient creator = joined(id); WsClient b = joined(id); WsClient c = joined(id)) {
      JsonObject bJoined = b.received().get(0);
      creator.send(new JsonObject().put("type", "admin").put("pin", r.getString("pin")).put("op", "kick")
          .put("target", bJoined.getString("memberId")));
      creator.expect("admin_ok");
      assertThat(b.awaitClose()).isEqualTo((short) 4001);
      JsonObject left = c.expect("member_left");
      assertThat(left.getString("memberId")).isEqualTo(bJoined.getString("memberId"));
      assertThat(left.getString("reason")).isEqualTo("kicked");
      try (WsClient again = nodes.ws(node, id)) {
        again.send(new JsonObject().put("type", "join").put("profile", PROFILE).put("resume", bJoined.getString("resumeToken")));
        assertThat(again.expect("error").getString("code")).isEqualTo("banned");
        assertThat(again.awaitClose()).isEqualTo((short) 4003);
      }
    }
  }

  @Test
  @DisplayName("three wrong PINs close the connection with 4029, and the source stays locked out even with the right PIN")
  void pinLockout() {
    JsonObject r = room(600);
    String id = r.getString("roomId");
    try (WsClient attacker = joined(id)) {
      attacker.guessWrongPinsUntilLockedOut();
    }
    try (WsClient sameSource = joined(id)) {
      sameSource.admin(r.getString("pin"), "lock");
      assertThat(sameSource.expect("error").getString("code")).isEqualTo("pin_lockout");
      assertThat(sameSource.awaitClose()).isEqualTo((short) 4029);
    }
    assertThat(http(HttpMethod.GET, "/api/rooms/" + id, null).body().getBoolean("locked")).isFalse();
  }

  @Test
  @DisplayName("burn sends 'burned' and closes every member with 4000; afterwards the room answers 404 / 4004 like one that never existed")
  void burnNow() {
    JsonObject r = room(600);
    String id = r.getString("roomId");
    try (WsClient creator = joined(id); WsClient b = joined(id)) {
      creator.admin(r.getString("pin"), "burn");
      assertThat(b.expect("burned")).isNotNull();
      assertThat(b.awaitClose()).isEqualTo((short) 4000);
      assertThat(creator.expect("burned")).isNotNull();
      assertThat(creator.awaitClose()).isEqualTo((short) 4000);
    }
    Reply after = http(HttpMethod.GET, "/api/rooms/" + id, null);
    Reply never = http(HttpMethod.GET, "/api/rooms/BBBBBBBBBBBBBBBBBBBBBB", null);
    assertThat(after.status()).isEqualTo(404);
    assertThat(after.body()).isEqualTo(never.body());
    try (WsClient late = nodes.ws(node, id)) {
      late.send(new JsonObject().put("type", "join").put("profile", PROFILE));
      assertThat(late.expect("error").getString("code")).isEqualTo("room_not_found");
      assertThat(late.awaitClose()).isEqualTo((short) 4004);
    }
    assertThat(TestNodes.await(node.directory().get(id), 5_000)).isNull();
  }

  @Test
  @DisplayName("a 2-second room burns by itself at its expiry, with ticks every second before")
  void expiryBurn() {
    JsonObject r = room(2);
    try (WsClient a = joined(r.getString("roomId"))) {
      JsonObject tick = a.expect("tick");
      assertThat(tick.getLong("remainingMs")).isBetween(0L, 2_000L);
      assertThat(tick.getLong("expiresAt")).isEqualTo(r.getLong("expiresAt"));
      a.expect("burned");
      long late = System.currentTimeMillis() - r.getLong("expiresAt");
      assertThat(late).isBetween(-5L, 500L);
      assertThat(a.awaitClose()).isEqualTo((short) 4000);
    }
    assertThat(http(HttpMethod.GET, "/api/rooms/" + r.getString("roomId"), null).status()).isEqualTo(404);
  }

  @Test
  @DisplayName("a dropped member resumes its seat with its token and gets the messages it missed, once")
  void resumeAfterDrop() {
    String id = room(600).getString("roomId");
    try (WsClient a = joined(id); WsClient b = joined(id)) {
      JsonObject bJoined = b.received().get(0);
      b.close(4999); // not a clean leave: the seat is kept
      a.msg("while-away", "AAAA");
      long seq = a.expect("ack").getLong("seq");
      try (WsClient b2 = nodes.ws(node, id)) {
        JsonObject again = b2.resume(PROFILE, bJoined.getString("resumeToken"), bJoined.getLong("seq"));
        assertThat(again.getString("memberId")).isEqualTo(bJoined.getString("memberId"));
        JsonObject missed = b2.expect("msg");
        assertThat(missed.getString("id")).isEqualTo("while-away");
        assertThat(missed.getLong("seq")).isEqualTo(seq);
        a.msg("after", "BBBB");
        assertThat(b2.expect("msg").getString("id")).isEqualTo("after");
      }
      assertThat(a.received()).noneMatch(f -> "member_left".equals(f.getString("type"))
          && bJoined.getString("memberId").equals(f.getString("memberId")) && a.received().indexOf(f) < 0);
    }
  }

  @Test
  @DisplayName("a clean close leaves at once; a dropped member is announced as left when its grace runs out")
  void leaving() {
    String id = room(600).getString("roomId");
    try (WsClient a = joined(id)) {
      WsClient b = joined(id);
      String bId = b.received().get(0).getString("memberId");
      b.close(1000);
      assertThat(a.expect("member_left").getString("memberId")).isEqualTo(bId);
      WsClient c = joined(id);
      String cId = c.received().get(0).getString("memberId");
      c.close(4999);
      long dropped = System.currentTimeMillis();
      JsonObject left = a.expect(f -> "member_left".equals(f.getString("type")), "member_left", 15_000);
      assertThat(left.getString("memberId")).isEqualTo(cId);
      assertThat(System.currentTimeMillis() - dropped).isGreaterThanOrEqualTo(1_400);
      b.close();
      c.close();
    }
  }

  @Test
  @DisplayName("bad frames get their error codes, and the fifth strike closes with 4008")
  void strikes() {
    String id = room(600).getString("roomId");
    try (WsClient a = nodes.ws(node, id)) {
      a.send(new JsonObject().put("type", "msg").put("id", "x").put("body", "AAAA"));
      assertThat(a.expect("error").getString("code")).isEqualTo("not_joined");
      a.join(PROFILE);
      a.sendText("not json");
      assertThat(a.expect("error").getString("code")).isEqualTo("bad_frame");
      a.send(new JsonObject().put("type", "teleport"));
      assertThat(a.expect("error").getString("code")).isEqualTo("unknown_type");
      a.socket().writeBinaryMessage(Buffer.buffer(new byte[] {1, 2, 3}));
      assertThat(a.expect("error").getString("code")).isEqualTo("binary_frame");
      a.send(new JsonObject().put("type", "join").put("profile", PROFILE));
      JsonObject last = a.expect("error");
      assertThat(last.getString("code")).isEqualTo("already_joined");
      assertThat(a.awaitClose()).isEqualTo((short) 4008);
    }
  }

  @Test
  @DisplayName("a frame larger than the limit closes with 1009, whole or in fragments")
  void oversize() {
    String id = room(600).getString("roomId");
    try (WsClient a = joined(id)) {
      a.sendText("{\"type\":\"msg\",\"id\":\"1\",\"body\":\"" + "A".repeat(70_000) + "\"}");
      assertThat(a.awaitClose()).isEqualTo((short) 1009);
    }
    try (WsClient a = joined(id)) {
      for (int i = 0; i < 5; i++) {
        a.socket().writeFrame(i == 0
            ? io.vertx.core.http.WebSocketFrame.textFrame("A".repeat(20_000), false)
            : io.vertx.core.http.WebSocketFrame.continuationFrame(Buffer.buffer("A".repeat(20_000)), i == 4));
      }
      assertThat(a.awaitClose()).isEqualTo((short) 1009);
    }
  }

  @Test
  @DisplayName("a socket that never joins is closed with 4008 after the join timeout; an unknown room closes with 4004")
  void joinTimeoutAndUnknownRoom() {
    String id = room(600).getString("roomId");
    try (WsClient idle = nodes.ws(node, id)) {
      assertThat(idle.awaitClose()).isEqualTo((short) 4008);
      assertThat(idle.received()).anyMatch(f -> "join_timeout".equals(f.getString("code")));
    }
    try (WsClient lost = nodes.ws(node, "CCCCCCCCCCCCCCCCCCCCCC")) {
      lost.send(new JsonObject().put("type", "join").put("profile", PROFILE));
      assertThat(lost.awaitClose()).isEqualTo((short) 4004);
    }
    try (WsClient malformed = nodes.ws(node, "not-an-id")) {
      malformed.send(new JsonObject().put("type", "join").put("profile", PROFILE));
      assertThat(malformed.awaitClose()).isEqualTo((short) 4004);
      assertThat(malformed.received()).anyMatch(f -> "room_not_found".equals(f.getString("code")));
    }
    org.assertj.core.api.Assertions.assertThatThrownBy(() ->
        WsClient.connect(nodes.clientVertx(), node.httpPort(), "/ws/rooms/%2e%2e", null))
        .rootCause().isInstanceOfSatisfying(UpgradeRejectedException.class, e -> assertThat(e.getStatus()).isEqualTo(404));
  }

  @Test
  @DisplayName("a browser handshake from a foreign Origin is refused with 403")
  void foreignOrigin() {
    String id = room(600).getString("roomId");
    org.assertj.core.api.Assertions.assertThatThrownBy(() ->
            WsClient.connect(nodes.clientVertx(), node.httpPort(), "/ws/rooms/" + id, "http://evil.example"))
        .rootCause().isInstanceOfSatisfying(UpgradeRejectedException.class, e -> assertThat(e.getStatus()).isEqualTo(403));
    try (WsClient ok = WsClient.connect(nodes.clientVertx(), node.httpPort(), "/ws/rooms/" + id,
        "http://127.0.0.1:" + node.httpPort())) {
      assertThat(ok.join(PROFILE).getString("type")).isEqualTo("joined");
    }
  }
}
