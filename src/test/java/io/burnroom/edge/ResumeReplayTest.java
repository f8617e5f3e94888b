package io.burnroom.edge;

import static org.assertj.core.api.Assertions.assertThat;

import io.burnroom.app.BurnroomNode;
import io.burnroom.bus.Addresses;
import io.burnroom.bus.EdgeEvent;
import io.burnroom.support.TestNodes;
import io.burnroom.support.WsClient;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * A message relayed just before a member resumes reaches it in the join's replay; its live delivery, still on the
 * bus, must not reach the new socket a second time. Found by the chaos harness (a restored room, members resuming
 * while others resent): one member got one message twice, same seq, 6 ms apart.
 */
@DisplayName("Resume: a socket never gets the same message twice")
class ResumeReplayTest {
  private static final String PROFILE = "cHJvZmlsZQ==";
  private static TestNodes nodes;
  private static BurnroomNode node;

  @BeforeAll
  static void start() {
    nodes = new TestNodes();
    node = nodes.embedded(Map.of("BURNROOM_RESUME_GRACE_MS", "30000"));
  }

  @AfterAll
  static void stop() {
    nodes.close();
  }

  /** The live delivery a room made before the resume, arriving at the edge after the join reply. */
  private static void lateDelivery(String roomId, String memberId, JsonObject frame) {
    byte[] utf8 = frame.encode().getBytes(StandardCharsets.UTF_8);
    node.vertx().eventBus().publish(Addresses.edge(node.nodeId()),
        new EdgeEvent.Deliveries(List.of(new EdgeEvent.Deliver(roomId, List.of(memberId), utf8,
            frame.getLong("seq")))));
  }

  @Test
  @DisplayName("a delivery of a seq the resume's replay already gave is dropped; a newer seq still arrives")
  void replayedSeqIsNotDeliveredAgain() {
    String roomId = nodes.createRoom(node, 600).getString("roomId");
    try (WsClient alice = nodes.ws(node, roomId); WsClient bob = nodes.ws(node, roomId)) {
      alice.join(PROFILE);
      JsonObject joined = bob.join(PROFILE);
      alice.msg("m1", "QUJD");
      JsonObject m1 = bob.expect("msg");
      bob.close(4999); // a dropped network: bob keeps his seat for the grace

      try (WsClient again = nodes.ws(node, roomId)) {
        again.resume(PROFILE, joined.getString("resumeToken"), 0);
        JsonObject replayed = again.expect("msg");
        assertThat(replayed.getLong("seq")).as("the replay gives what bob missed").isEqualTo(m1.getLong("seq"));

        lateDelivery(roomId, joined.getString("memberId"), m1);
        JsonObject newer = m1.copy().put("id", "m2").put("seq", m1.getLong("seq") + 1);
        lateDelivery(roomId, joined.getString("memberId"), newer);
        JsonObject next = again.nextNonTick(5_000);
        assertThat(next).as("the next frame is the newer message, not m1 again").isNotNull();
        assertThat(next.getString("id")).isEqualTo("m2");
      }
    }
  }
}
