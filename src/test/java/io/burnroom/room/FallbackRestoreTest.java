package io.burnroom.room;

import static org.assertj.core.api.Assertions.assertThat;

import io.burnroom.app.BurnroomNode;
import io.burnroom.cluster.RoomDirectory;
import io.burnroom.cluster.SnapshotStore;
import io.burnroom.metrics.BurnroomMetrics;
import io.burnroom.support.SettableClusterView;
import io.burnroom.support.TestNodes;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Found by chaos/ (seed 26 on 5c26cb4, r99): node1, the owner, was killed 7 s after node3 woke from a pause. node3 was a
 * member again, the lowest id and so the elected restorer, but still fenced, so it restored nothing; node2, serving,
 * waited for it, and the room acknowledged nothing until it expired 9 s later. Decision 68: a node that is not the
 * elected restorer restores an orphan itself once it has seen it orphaned for {@link FailoverRestore#FALLBACK_MS}.
 */
@DisplayName("a serving node restores an orphan the elected restorer leaves alone")
class FallbackRestoreTest {
  private static TestNodes nodes;
  private static BurnroomNode a;

  @BeforeAll
  static void start() {
    nodes = new TestNodes();
    a = nodes.clustered();
  }

  @AfterAll
  static void stop() {
    nodes.close();
  }

  /** A host that records what it is asked to deploy and deploys nothing. */
  private static final class Recorder implements FailoverRestore.Host {
    final List<String> deployed = new ArrayList<>();

    @Override
    public boolean hosts(String roomId) {
      return deployed.contains(roomId);
    }

    @Override
    public Future<String> deployRestored(RoomState state) {
      deployed.add(state.roomId());
      return Future.succeededFuture("deployment");
    }

    @Override
    public void gone(String roomId) {
    }
  }

  /** This node's view: it has the quorum and is not the elected restorer (that one is fenced, elsewhere). */
  private static SettableClusterView notElected(String me) {
    SettableClusterView view = new SettableClusterView(me);
    view.elected = false;
    return view;
  }

  @Test
  @DisplayName("not at first sight, then once it has waited for the elected restorer")
  void restoresAfterTheFallbackWait() throws Exception {
    String id = nodes.createRoom(a, 600).getString("roomId");
    RoomDirectory directory = new RoomDirectory(a.vertx(), Clock.systemUTC());
    RoomDirectory.Entry entry = TestNodes.await(directory.get(id), 10_000);
    // Its owner is gone, as a killed node's rooms are to the survivors.
    TestNodes.await(directory.put(new RoomDirectory.Entry(id, "killed-owner", entry.expiresAt())), 10_000);
    FailoverRestore restore = new FailoverRestore("survivor", Clock.systemUTC(), new Ids(), directory,
        SnapshotStore.clustered(a.vertx(), a.hazelcast(), Clock.systemUTC(), RoomState.REPLICATED_FRAMES),
        BurnroomMetrics.noop(), notElected("survivor"));
    Recorder host = new Recorder();

    assertThat(pass(restore, host)).as("first pass done").isFalse();
    assertThat(host.deployed).as("restored at first sight").isEmpty();
    Thread.sleep(FailoverRestore.FALLBACK_MS + 100);
    assertThat(pass(restore, host)).as("second pass done").isTrue();
    assertThat(host.deployed).containsExactly(id);
    assertThat(TestNodes.await(directory.get(id), 10_000).owner()).isEqualTo("survivor");
  }

  /** One restore pass, run on a's event loop as the room host runs it. */
  private static boolean pass(FailoverRestore restore, Recorder host) {
    Promise<Boolean> done = Promise.promise();
    a.vertx().getOrCreateContext().runOnContext(v -> restore.restoreOrphans(host).onComplete(done));
    return TestNodes.await(done.future(), 15_000);
  }
}
