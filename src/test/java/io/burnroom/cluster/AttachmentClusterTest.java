package io.burnroom.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.burnroom.app.BurnroomNode;
import io.burnroom.support.TestNodes;
import io.burnroom.support.WsClient;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Two clustered nodes in one JVM: attachment chunks cross nodes like messages (decision 47)")
class AttachmentClusterTest {
  private static final String PROFILE = "cHJvZmlsZQ==";
  private static final String BODY = "Q".repeat(65_500);
  private static TestNodes nodes;
  private static BurnroomNode a;
  private static BurnroomNode b;

  @BeforeAll
  static void start() {
    nodes = new TestNodes();
    a = nodes.clustered();
    b = nodes.clustered();
  }

  @AfterAll
  static void stop() {
    nodes.close();
  }

  @Test
  @DisplayName("a room on A: chunks from a member on B reach the member on A, in order, and back again as direct chunks")
  void chunksCrossNodes() {
    String roomId = nodes.createRoom(a, 600).getString("roomId");
    try (WsClient onA = nodes.ws(a, roomId); WsClient onB = nodes.ws(b, roomId)) {
      String aId = onA.join(PROFILE).getString("memberId");
      String bId = onB.join(PROFILE).getString("memberId");
      onA.expect("member_joined");
      onB.msg("manifest", "QUJD");
      int chunks = 24;
      onB.chunks("x", chunks, BODY, 4);
      assertThat(onA.expect("msg").getString("id")).as("the manifest before its chunks").isEqualTo("manifest");
      for (int i = 0; i < chunks; i++) {
        JsonObject got = onA.expect("chunk");
        assertThat(got.getString("id")).isEqualTo("x." + i);
        assertThat(got.getString("from")).isEqualTo(bId);
        assertThat(got.getString("body")).isEqualTo(BODY);
      }
      onA.chunk("back.0", "QUJD", bId);
      assertThat(onA.expect("chunk_ack").getString("id")).isEqualTo("back.0");
      JsonObject back = onB.expect("chunk");
      assertThat(back.getString("from")).isEqualTo(aId);
      assertThat(back.getBoolean("direct")).isTrue();
    }
  }
}
