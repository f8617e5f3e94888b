package io.burnroom.room;

import static org.assertj.core.api.Assertions.assertThat;

import io.burnroom.app.BurnroomNode;
import io.burnroom.cluster.RoomDirectory;
import io.burnroom.cluster.SnapshotStore;
import io.burnroom.support.TestNodes;
import io.burnroom.support.WsClient;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.shareddata.AsyncMap;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Once the cluster settles after a change, every room writes its snapshot and recent frames again (decision 65).
 * Found by chaos/ (seed 25): rooms restored from a snapshot replica that had missed writes made while a paused node
 * was away and merged back; one lost its extend (r63, traced) and burned early, one every join (r13) and its members
 * were reseated. The test makes the loss by hand, a snapshot put back as it was before the join and a frame gone,
 * then lets a third node join: without the rewrite both stay lost.
 */
@DisplayName("after a cluster change settles, rooms write their snapshot and recent frames again")
class RewriteAfterChurnTest {
  @Test
  @DisplayName("a snapshot that lost a join and a frame that vanished are written again after a node joins")
  void lostWritesComeBack() throws Exception {
    try (TestNodes nodes = new TestNodes()) {
      BurnroomNode a = nodes.clustered();
      BurnroomNode b = nodes.clustered();
      TestNodes.awaitClusterSafe(a, b);
      String id = nodes.createRoom(a, 600).getString("roomId");
      AsyncMap<String, JsonObject> snapshots = map(b, SnapshotStore.MAP);
      AsyncMap<String, String> frames = map(b, SnapshotStore.FRAMES);
      JsonObject beforeJoin = TestNodes.await(snapshots.get(id), 10_000);
      try (WsClient m = nodes.ws(a, id)) {
        m.join("cHJvZmlsZQ==");
        m.msg("first", "AAAA");
        long seq = m.expect("ack").getLong("seq");
        String frameKey = SnapshotStore.frameKey(id, FrameRing.slot(seq));
        assertThat(members(TestNodes.await(snapshots.get(id), 10_000))).as("written at the join").hasSize(1);
        assertThat(TestNodes.await(frames.get(frameKey), 10_000)).as("written at the relay").isNotNull();

        Thread.sleep(ChurnWatch.QUIET_MS + 1_500); // b's join has had its rewrite: only c's is left to come
        // What a replica that missed the writes would give back.
        TestNodes.await(snapshots.put(id, beforeJoin, 600_000), 10_000);
        TestNodes.await(frames.remove(frameKey), 10_000);
        TestNodes.awaitClusterSafe(a, b);
        assertThat(members(TestNodes.await(snapshots.get(id), 10_000))).isEmpty();

        BurnroomNode c = nodes.clustered();
        TestNodes.awaitClusterSafe(a, b, c);
        long until = System.currentTimeMillis() + 20_000;
        while (System.currentTimeMillis() < until && (members(TestNodes.await(snapshots.get(id), 10_000)).isEmpty()
            || TestNodes.await(frames.get(frameKey), 10_000) == null)) {
          Thread.sleep(200);
        }
        assertThat(members(TestNodes.await(snapshots.get(id), 10_000))).as("the join, written again").hasSize(1);
        assertThat(TestNodes.await(frames.get(frameKey), 10_000)).as("the frame, written again")
            .contains("\"id\":\"first\"").contains("\"seq\":" + seq);
      }
    }
  }

  @Test
  @DisplayName("a directory entry left with a shorter lifetime than its room's is written again after a node joins")
  void shortLivedEntryComesBack() throws Exception {
    try (TestNodes nodes = new TestNodes()) {
      BurnroomNode a = nodes.clustered();
      BurnroomNode b = nodes.clustered();
      TestNodes.awaitClusterSafe(a, b);
      String id = nodes.createRoom(a, 600).getString("roomId");
      AsyncMap<String, JsonObject> directory = map(b, RoomDirectory.MAP);
      Thread.sleep(ChurnWatch.QUIET_MS + 1_500); // b's join has had its rewrite: only c's is left to come
      // What a merge or a promoted replica can leave (chaos/, seed 27, decision 72): the right expiry, the lifetime of
      // an older write. The tick's check compares expiries, so it cannot see it; the entry would vanish in 30 s.
      JsonObject entry = TestNodes.await(directory.get(id), 10_000);
      TestNodes.await(directory.put(id, entry, 30_000), 10_000);
      assertThat(expiresIn(b, id)).as("the short lifetime, before").isLessThan(31_000);
      Thread.sleep(2_500);
      assertThat(expiresIn(b, id)).as("the tick's check leaves it").isLessThan(31_000);

      BurnroomNode c = nodes.clustered();
      TestNodes.awaitClusterSafe(a, b, c);
      long until = System.currentTimeMillis() + 20_000;
      while (System.currentTimeMillis() < until && expiresIn(b, id) < 500_000) {
        Thread.sleep(200);
      }
      assertThat(expiresIn(b, id)).as("written again with the room's own lifetime").isGreaterThan(500_000);
      assertThat(TestNodes.await(directory.get(id), 10_000)).isEqualTo(entry);
    }
  }

  private static <V> AsyncMap<String, V> map(BurnroomNode node, String name) {
    return TestNodes.await(node.vertx().sharedData().<String, V>getAsyncMap(name), 10_000);
  }

  /** Milliseconds until Hazelcast expires the room's directory entry (what no tick can read through the AsyncMap). */
  private static long expiresIn(BurnroomNode node, String id) {
    com.hazelcast.map.IMap<Object, Object> map = node.hazelcast().getMap(RoomDirectory.MAP);
    com.hazelcast.core.EntryView<Object, Object> view = map.getEntryView(id);
    return view == null ? -1 : view.getExpirationTime() - System.currentTimeMillis();
  }

  private static JsonArray members(JsonObject snapshot) {
    return snapshot.getJsonArray("members");
  }
}
