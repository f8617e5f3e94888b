package io.burnroom.security;

import static org.assertj.core.api.Assertions.assertThat;

import io.burnroom.app.BurnroomNode;
import io.burnroom.security.RawWebSocket.Frame;
import io.burnroom.support.TestNodes;
import io.burnroom.support.WsClient;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Server frames as they are on the wire. The edge writes frames below Vert.x's WebSocket API (encoded once, flushed
 * once per turn of the event loop), so these tests read the raw bytes: whole text frames in order, and messages too
 * long for one frame split into fragments a capped client accepts.
 */
@DisplayName("Server frames on the wire: order, whole frames, fragments")
class WireFramingTest {
  private static TestNodes nodes;
  private static BurnroomNode node;

  @BeforeAll
  static void start() {
    nodes = new TestNodes();
    node = nodes.embedded(Map.of("BURNROOM_MAX_MEMBERS_PER_ROOM", "50"));
  }

  @AfterAll
  static void stop() {
    nodes.close();
  }

  @Test
  @DisplayName("a burst of messages reaches a raw reader as whole text frames, in seq order, each body intact")
  void burstInOrder() throws Exception {
    String roomId = nodes.createRoom(node, 600).getString("roomId");
    try (WsClient sender = nodes.ws(node, roomId);
         RawWebSocket reader = RawWebSocket.connect(node.httpPort(), "/ws/rooms/" + roomId, Map.of(), 0)) {
      sender.join("c2VuZGVy");
      reader.startReading();
      reader.sendText(new JsonObject().put("type", "join").put("profile", "cmVhZGVy").encode());
      assertThat(textOf(reader.next(10_000)).getString("type")).isEqualTo("joined");
      sender.expect("member_joined");
      int count = 300;
      for (int i = 0; i < count; i++) {
        sender.msg("m" + i, body(i));
      }
      long lastSeq = -1;
      for (int i = 0; i < count; i++) {
        Frame f = reader.next(10_000);
        assertThat(f).as("frame %d", i).isNotNull();
        assertThat(f.opcode()).isEqualTo(RawWebSocket.TEXT);
        assertThat(f.fin()).as("a message this small is one frame").isTrue();
        JsonObject m = textOf(f);
        assertThat(m.getString("id")).isEqualTo("m" + i);
        assertThat(m.getString("body")).isEqualTo(body(i));
        assertThat(m.getLong("seq")).isGreaterThan(lastSeq);
        lastSeq = m.getLong("seq");
      }
      for (int i = 0; i < count; i++) {
        JsonObject ack = sender.expect(f -> "ack".equals(f.getString("type")), "ack", WsClient.WAIT_MS);
        assertThat(ack.getString("id")).isEqualTo("m" + i);
      }
    }
  }

  @Test
  @DisplayName("a joined frame longer than 64 KiB (many members with large profiles) arrives in fragments of under 64 KiB")
  void longFramesAreFragmented() throws Exception {
    String roomId = nodes.createRoom(node, 600).getString("roomId");
    List<WsClient> members = new ArrayList<>();
    try {
      for (int i = 0; i < 20; i++) {
        WsClient m = nodes.ws(node, roomId);
        members.add(m);
        m.join(profile(i));
      }
      try (RawWebSocket late = RawWebSocket.connect(node.httpPort(), "/ws/rooms/" + roomId, Map.of(), 0)) {
        late.startReading();
        late.sendText(new JsonObject().put("type", "join").put("profile", profile(99)).encode());
        ByteArrayOutputStream message = new ByteArrayOutputStream();
        List<Integer> sizes = new ArrayList<>();
        Frame f = late.next(10_000);
        assertThat(f.opcode()).isEqualTo(RawWebSocket.TEXT);
        while (true) {
          assertThat(f).isNotNull();
          sizes.add(f.payload().length);
          message.write(f.payload());
          if (f.fin()) {
            break;
          }
          f = late.next(10_000);
          assertThat(f.opcode()).isEqualTo(RawWebSocket.CONTINUATION);
        }
        assertThat(sizes).as("fragments").hasSizeGreaterThan(1).allSatisfy(n -> assertThat(n).isLessThan(64 * 1024));
        JsonObject joined = new JsonObject(message.toString(StandardCharsets.UTF_8));
        assertThat(joined.getString("type")).isEqualTo("joined");
        assertThat(joined.getJsonArray("members")).hasSize(21);
        assertThat(joined.getJsonArray("members").stream().map(m -> ((JsonObject) m).getString("profile")))
            .contains(profile(0), profile(19), profile(99));
      }
    } finally {
      members.forEach(WsClient::close);
    }
  }

  private static JsonObject textOf(Frame f) {
    assertThat(f).isNotNull();
    return new JsonObject(f.text());
  }

  private static String body(int i) {
    return Base64.getEncoder().encodeToString(("message " + i + " ").repeat(1 + i % 40).getBytes(StandardCharsets.UTF_8));
  }

  /** A profile near the 4 KiB limit, different for each member. */
  private static String profile(int i) {
    byte[] b = new byte[3_000];
    java.util.Arrays.fill(b, (byte) i);
    return Base64.getEncoder().encodeToString(b);
  }
}
