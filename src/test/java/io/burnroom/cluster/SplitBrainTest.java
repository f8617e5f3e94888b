package io.burnroom.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.burnroom.app.BurnroomNode;
import io.burnroom.bus.Bus;
import io.burnroom.bus.NodeEvent;
import io.burnroom.metrics.BurnroomMetrics;
import io.burnroom.room.Ids;
import io.burnroom.room.RoomState;
import io.burnroom.room.RoomVerticle;
import io.burnroom.support.SettableClusterView;
import io.burnroom.support.TestNodes;
import io.burnroom.support.WsClient;
import io.vertx.core.json.JsonObject;
import java.time.Clock;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * After a split brain each side may have restored the same room, so when Hazelcast merges the sides two copies of
 * the room listen on one address. The copy that the merged directory does not name as owner must step down, and the
 * members must end up talking through the one owner again, each message once.
 */
@DisplayName("Split brain: after a merge, the room copy that is not the directory's owner steps down")
class SplitBrainTest {
  private static final String PROFILE = "cHJvZmlsZQ==";

  @Test
  void duplicateStepsDownAfterMerge() {
    try (TestNodes nodes = new TestNodes()) {
      BurnroomNode a = nodes.clustered();
      BurnroomNode b = nodes.clustered();
      JsonObject room = nodes.createRoom(a, 600);
      String id = room.getString("roomId");
      WsClient onA = nodes.ws(a, id);
      WsClient onB = nodes.ws(b, id);
      JsonObject joinedA = onA.join(PROFILE);
      JsonObject joinedB = onB.join(PROFILE);
      onA.msg("before", "AAAA");
      assertThat(onB.expect("msg").getString("id")).isEqualTo("before");
      long seqBefore = onA.expect("ack").getLong("seq");

      // The other side of a split restored the room from its snapshot on B, without winning the directory.
      SnapshotStore store = SnapshotStore.clustered(b.vertx(), b.hazelcast(), Clock.systemUTC(),
          RoomState.REPLICATED_FRAMES);
      JsonObject snapshot = TestNodes.await(store.load(id), 5_000);
      assertThat(snapshot).isNotNull();
      List<String> frames = TestNodes.await(store.loadFrames(id), 5_000);
      assertThat(frames).as("the relayed message is replicated once").hasSize(1);
      int deploymentsOnB = b.vertx().deploymentIDs().size();
      RoomState copy = RoomState.fromSnapshot(snapshot, frames, new Ids(), System.currentTimeMillis(),
          Set.of(a.nodeId(), b.nodeId()));
      assertThat(copy.seq()).isEqualTo(seqBefore);
      TestNodes.await(b.vertx().deployVerticle(new RoomVerticle(copy, b.nodeId(), Clock.systemUTC(), 30_000,
          86_400_000L, b.directory(), store, BurnroomMetrics.noop(),
          io.burnroom.config.ChunkLimits.defaults(), io.burnroom.config.ChunkLimits.defaults().nodeRate(0),
          ClusterView.single(b.nodeId()))), 5_000);
      assertThat(b.vertx().deploymentIDs()).hasSize(deploymentsOnB + 1);

      // Hazelcast reports the merge.
      Bus.publish(b.vertx().eventBus(), new NodeEvent.ClusterMerged());

      // The copy leaves and tells the members it knew to reconnect; the directory still names A.
      assertThat(onA.awaitClose()).isEqualTo((short) 1012);
      assertThat(onB.awaitClose()).isEqualTo((short) 1012);
      long deadline = System.currentTimeMillis() + 5_000;
      while (b.vertx().deploymentIDs().size() != deploymentsOnB && System.currentTimeMillis() < deadline) {
        Thread.onSpinWait();
      }
      assertThat(b.vertx().deploymentIDs()).as("the duplicate is undeployed").hasSize(deploymentsOnB);
      assertThat(TestNodes.await(a.directory().get(id), 5_000).owner()).isEqualTo(a.nodeId());

      // Both resume (crossing nodes) and talk through the one owner: each message once, seq continues.
      try (WsClient againA = nodes.ws(b, id); WsClient againB = nodes.ws(a, id)) {
        JsonObject resumedA = againA.resume(PROFILE, joinedA.getString("resumeToken"), seqBefore);
        JsonObject resumedB = againB.resume(PROFILE, joinedB.getString("resumeToken"), seqBefore);
        assertThat(resumedA.getString("memberId")).isEqualTo(joinedA.getString("memberId"));
        assertThat(resumedB.getString("memberId")).isEqualTo(joinedB.getString("memberId"));
        againA.msg("after", "QUFB");
        assertThat(againA.expect("ack").getLong("seq")).isGreaterThan(seqBefore);
        assertThat(againB.expect("msg").getString("id")).isEqualTo("after");
        againB.msg("reply", "QkJC");
        assertThat(againA.expect("msg").getString("id")).isEqualTo("reply");
        againA.msg("after", "QUFB"); // a resend of the same id is relayed once
        againA.expect("ack");
        againB.expect("ack");
        assertThat(againB.drain().stream().filter(f -> "msg".equals(f.getString("type")))).isEmpty();
      } finally {
        onA.close();
        onB.close();
      }
    }
  }

  /**
   * Found by chaos/ (PAUSE, seed 31): a node paused past failure detection came back with its room copies while the
   * other side had restored the rooms; as soon as it had the quorum again its stale copy took every other request
   * (the event bus hands an address's requests to its handlers in turn) and acknowledged messages the members never
   * got, until the next tick or the merge event made it step down. Here the copy's node "gets its quorum back" (a
   * new quorum epoch, no merge event at all) while the directory names A: the copy must acknowledge nothing, and go.
   */
  @Test
  @DisplayName("a copy whose node gets its quorum back asks the directory first: it acknowledges nothing and goes")
  void copyBackInTheQuorumAsksFirst() {
    try (TestNodes nodes = new TestNodes()) {
      BurnroomNode a = nodes.clustered();
      BurnroomNode b = nodes.clustered();
      String id = nodes.createRoom(a, 600).getString("roomId");
      WsClient onA = nodes.ws(a, id);
      WsClient onB = nodes.ws(b, id);
      onA.join(PROFILE);
      onB.join(PROFILE);
      onA.msg("before", "AAAA");
      assertThat(onB.expect("msg").getString("id")).isEqualTo("before");
      long seqBefore = onA.expect("ack").getLong("seq");

      // B's copy from before the split (restored there, then the node was cut off), with the members gone from it.
      SnapshotStore store = SnapshotStore.clustered(b.vertx(), b.hazelcast(), Clock.systemUTC(),
          RoomState.REPLICATED_FRAMES);
      RoomState copy = RoomState.fromSnapshot(TestNodes.await(store.load(id), 5_000),
          TestNodes.await(store.loadFrames(id), 5_000), new Ids(), System.currentTimeMillis(), Set.of());
      int deploymentsOnB = b.vertx().deploymentIDs().size();
      SettableClusterView view = new SettableClusterView(b.nodeId());
      TestNodes.await(b.vertx().deployVerticle(new RoomVerticle(copy, b.nodeId(), Clock.systemUTC(), 30_000,
          86_400_000L, b.directory(), store, BurnroomMetrics.noop(),
          io.burnroom.config.ChunkLimits.defaults(), io.burnroom.config.ChunkLimits.defaults().nodeRate(0), view)),
          5_000);
      view.epoch = 2; // B lost its quorum and got it back: the copy may be stale

      // A member joins after that and talks: every request either copy could take; only the owner's answers count.
      try (WsClient late = nodes.ws(b, id)) {
        late.join(PROFILE);
        for (int i = 0; i < 10; i++) {
          late.msg("late-" + i, "QUFB");
          assertThat(late.expect("ack").getLong("seq")).as("ack %d from the owner's sequence", i)
              .isEqualTo(seqBefore + 1 + i);
        }
        for (int i = 0; i < 10; i++) {
          assertThat(onA.expect("msg").getString("id")).isEqualTo("late-" + i);
          assertThat(onB.expect("msg").getString("id")).isEqualTo("late-" + i);
        }
      } finally {
        onA.close();
        onB.close();
      }
      long deadline = System.currentTimeMillis() + 5_000;
      while (b.vertx().deploymentIDs().size() != deploymentsOnB && System.currentTimeMillis() < deadline) {
        Thread.onSpinWait();
      }
      assertThat(b.vertx().deploymentIDs()).as("the stale copy stepped down without a merge event")
          .hasSize(deploymentsOnB);
      assertThat(TestNodes.await(a.directory().get(id), 5_000).owner()).isEqualTo(a.nodeId());
    }
  }
}
