package io.burnroom.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.burnroom.app.BurnroomNode;
import io.burnroom.support.TestNodes;
import io.burnroom.support.WsClient;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * {@code burnroom_cluster_map_entries} counts what a node holds of the room maps, backups included, so a run can check
 * that nothing of a burned room is left anywhere (chaos/'s "nothing left" rule) without any endpoint naming a room.
 */
@DisplayName("burnroom_cluster_map_entries counts a room's entries on every node, and none after its burn")
class LocalEntriesTest {
  private static final String PROFILE = "cHJvZmlsZQ==";

  @Test
  void countsUntilTheBurn() throws Exception {
    try (TestNodes nodes = new TestNodes()) {
      BurnroomNode a = nodes.clustered();
      BurnroomNode b = nodes.clustered();
      io.vertx.core.json.JsonObject room = nodes.createRoom(a, 600);
      String id = room.getString("roomId");
      try (WsClient m = nodes.ws(b, id)) {
        m.join(PROFILE);
        m.msg("one", "AAAA");
        m.expect("ack");
        // directory + snapshot + one frame, each with one backup: 6 entries over the two nodes
        awaitEntries(a, b, 6);
        assertThat(entries(a)).as("each node holds owned entries or backups").isPositive();
        assertThat(entries(b)).isPositive();
        m.admin(room.getString("pin"), "burn");
        m.expect("burned");
      }
      awaitEntries(a, b, 0);
      assertThat(List.of(a, b)).allSatisfy(n -> assertThat(entries(n)).isZero());
    }
  }

  private static void awaitEntries(BurnroomNode a, BurnroomNode b, long expected) throws InterruptedException {
    long deadline = System.currentTimeMillis() + 10_000;
    while (entries(a) + entries(b) != expected) {
      assertThat(System.currentTimeMillis()).as("%d entries over both nodes, seen %d", expected, entries(a) + entries(b))
          .isLessThan(deadline);
      Thread.sleep(50);
    }
  }

  private static long entries(BurnroomNode n) {
    return (long) n.metrics().registry().get("burnroom_cluster_map_entries").gauge().value();
  }
}
