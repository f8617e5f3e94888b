package io.burnroom.security;

import static org.assertj.core.api.Assertions.assertThat;

import io.burnroom.app.BurnroomNode;
import io.burnroom.room.PinGuard;
import io.burnroom.security.RawWebSocket.Frame;
import io.burnroom.support.TestNodes;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("PIN brute force by many sources across a 2-node cluster")
class PinBruteForceClusterTest {
  private static final String PROFILE = "cHJvZmlsZQ==";
  private static TestNodes nodes;
  private static BurnroomNode a;
  private static BurnroomNode b;

  @BeforeAll
  static void start() {
    nodes = new TestNodes();
    // The test's connections all come from 127.0.0.1: trusting it as a proxy lets each one claim its own address.
    a = nodes.clustered(Map.of("BURNROOM_TRUSTED_PROXIES", "127.0.0.1"));
    b = nodes.clustered(Map.of("BURNROOM_TRUSTED_PROXIES", "127.0.0.1"));
  }

  @AfterAll
  static void stop() {
    nodes.close();
  }

  /** A joined member whose source address is {@code address}. */
  private static RawWebSocket member(BurnroomNode node, String roomId, String address) throws Exception {
    RawWebSocket ws = RawWebSocket.connect(node.httpPort(), "/ws/rooms/" + roomId,
        Map.of("X-Forwarded-For", address), 0).startReading();
    ws.sendText(new JsonObject().put("type", "join").put("profile", PROFILE).encode());
    assertThat(answer(ws).getString("type")).isEqualTo("joined");
    return ws;
  }

  /** The next frame that answers a request (skips ticks and membership news). */
  private static JsonObject answer(RawWebSocket ws) throws Exception {
    while (true) {
      Frame f = ws.next(10_000);
      assertThat(f).as("an answer").isNotNull();
      if (f.opcode() == RawWebSocket.CLOSE) {
        return new JsonObject().put("type", "close").put("code", f.closeCode());
      }
      JsonObject j = new JsonObject(f.text());
      String t = j.getString("type");
      if (!"tick".equals(t) && !"member_joined".equals(t) && !"member_left".equals(t) && !"locked".equals(t)) {
        return j;
      }
    }
  }

  private static String tryPin(RawWebSocket ws, String pin) throws Exception {
    ws.sendText(new JsonObject().put("type", "admin").put("pin", pin).put("op", "lock").encode());
    JsonObject r = answer(ws);
    return "admin_ok".equals(r.getString("type")) ? "admin_ok" : r.getString("code");
  }

  @Test
  @DisplayName("all sources on all nodes together get at most the room cap of wrong PINs; then even the right PIN is refused, other rooms unaffected")
  void distributedAttackIsCapped() throws Exception {
    JsonObject room = nodes.createRoom(a, 600);
    JsonObject other = nodes.createRoom(b, 600);
    String roomId = room.getString("roomId");
    String pin = room.getString("pin");
    List<String> answers = new ArrayList<>();
    List<RawWebSocket> sockets = new ArrayList<>();
    // 8 sources, alternating nodes, 3 guesses each: 24 attempts against a cap of 10.
    for (int s = 0; s < 8; s++) {
      RawWebSocket ws = member(s % 2 == 0 ? a : b, roomId, "198.51.100." + (10 + s));
      sockets.add(ws);
      for (int i = 0; i < 3 && !ws.isClosed(); i++) {
        answers.add(tryPin(ws, "WRONG" + s + i));
      }
    }
    long evaluated = answers.stream().filter(x -> x.equals("wrong_pin") || x.equals("pin_lockout")).count();
    assertThat(evaluated).as("wrong PINs checked before the cap: %s", answers)
        .isEqualTo(PinGuard.MAX_ROOM_FAILURES - 1);
    int firstCapped = answers.indexOf("room_pin_lockout");
    assertThat(firstCapped).isEqualTo(PinGuard.MAX_ROOM_FAILURES - 1);
    assertThat(answers.subList(firstCapped, answers.size())).containsOnly("room_pin_lockout");

    // The right PIN from a fresh source on either node is refused unchecked: guessing it would teach nothing.
    for (BurnroomNode n : List.of(a, b)) {
      RawWebSocket lucky = member(n, roomId, "203.0.113.77");
      sockets.add(lucky);
      assertThat(tryPin(lucky, pin)).isEqualTo("room_pin_lockout");
      // Not a close: a creator under attack keeps chatting.
      lucky.sendText(new JsonObject().put("type", "ping").encode());
      assertThat(answer(lucky).getString("type")).isEqualTo("pong");
    }

    // Another room on the cluster is untouched by this room's cap.
    RawWebSocket creator = member(a, other.getString("roomId"), "198.51.100.10");
    sockets.add(creator);
    assertThat(tryPin(creator, other.getString("pin"))).isEqualTo("admin_ok");
    sockets.forEach(RawWebSocket::close);
  }
}
