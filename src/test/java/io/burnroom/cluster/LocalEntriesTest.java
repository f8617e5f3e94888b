package io.burnroom.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.burnroom.app.BurnroomNode;
import io.burnroom.support.TestNodes;
import io.burnroom.support.WsClient;
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
      // Burned 600 s early: a tombstone (the hash of its id) and its backup stay until then, nothing else.
      awaitEntries(a, b, 2);
    }
  }

  @Test
  @DisplayName("a stale copy that a merge brought back burns when the room's tombstone says it was burned elsewhere")
  void staleCopyBurnsOnItsTombstone() throws Exception {
    try (TestNodes nodes = new TestNodes()) {
      BurnroomNode a = nodes.clustered();
      BurnroomNode b = nodes.clustered();
      io.vertx.core.json.JsonObject room = nodes.createRoom(a, 600);
      String id = room.getString("roomId");
      try (WsClient m = nodes.ws(a, id)) {
        m.join(PROFILE);
        m.msg("one", "AAAA");
        m.expect("ack");
        // What a merge leaves when the winning side of a split burned the room that this node still runs: the
        // room's tombstone (written by the other side's burn), and this copy's own entries put back by the merge.
        RoomDirectory other = new RoomDirectory(b.vertx(), java.time.Clock.systemUTC());
        RoomDirectory.Entry own = TestNodes.await(other.get(id), 10_000);
        TestNodes.await(other.bury(id, room.getLong("expiresAt")), 10_000);
        TestNodes.await(other.put(own), 10_000);
        io.burnroom.bus.Bus.publish(a.vertx().eventBus(), new io.burnroom.bus.NodeEvent.ClusterMerged());
        m.expect(f -> "burned".equals(f.getString("type")), "burned", 10_000);
        assertThat(m.awaitClose()).isEqualTo((short) 4000);
      }
      // Its directory entry, snapshot and frame go; the tombstone and its backup stay until expiresAt.
      awaitEntries(a, b, 2);
    }
  }

  @Test
  @DisplayName("rooms burned by their timer leave no entry, backups included, within seconds")
  void timerBurnLeavesNothing() throws Exception {
    try (TestNodes nodes = new TestNodes()) {
      java.util.Map<String, String> shortRooms = java.util.Map.of("BURNROOM_MIN_TTL_SECONDS", "1");
      BurnroomNode a = nodes.clustered(shortRooms);
      BurnroomNode b = nodes.clustered(shortRooms);
      io.vertx.core.json.JsonObject room = nodes.createRoom(a, 5);
      long lastExpiry = room.getLong("expiresAt");
      try (WsClient m = nodes.ws(b, room.getString("roomId"))) {
        m.join(PROFILE);
        m.msg("one", "AAAA");
        m.expect("ack");
        // More rooms, so their entries fall into many partitions.
        for (int i = 0; i < 11; i++) {
          lastExpiry = Math.max(lastExpiry, nodes.createRoom(i % 2 == 0 ? a : b, 4).getLong("expiresAt"));
        }
        assertThat(entries(a) + entries(b)).as("entries while the rooms live").isPositive();
        m.expect(f -> "burned".equals(f.getString("type")), "burned", 15_000);
      }
      // A timer's removes find the entries expired, so they go with Hazelcast's expiry sweep: backups only 10 s after
      // their TTL by default, and the sweep visited 7 of the 71 partitions every 5 s (a round took about 50 s).
      // ClusterConfig sets no backup delay and a sweep of every partition every second.
      while (System.currentTimeMillis() < lastExpiry) {
        Thread.sleep(50);
      }
      awaitEntries(a, b, 0, 4_000);
    }
  }

  private static void awaitEntries(BurnroomNode a, BurnroomNode b, long expected) throws InterruptedException {
    awaitEntries(a, b, expected, 10_000);
  }

  private static void awaitEntries(BurnroomNode a, BurnroomNode b, long expected, long waitMs)
      throws InterruptedException {
    long deadline = System.currentTimeMillis() + waitMs;
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
