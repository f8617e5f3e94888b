package io.burnroom.room;

import static org.assertj.core.api.Assertions.assertThat;

import io.burnroom.bus.Bus;
import io.burnroom.bus.BusCodecs;
import io.burnroom.bus.HostRequest;
import io.burnroom.cluster.RoomDirectory;
import io.burnroom.cluster.SnapshotStore;
import io.burnroom.config.AppConfig;
import io.burnroom.metrics.BurnroomMetrics;
import io.burnroom.support.SettableClusterView;
import io.burnroom.wire.ErrorCode;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Vertx;
import java.time.Clock;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * A room is created only by a node that kept its quorum from the request to the directory write. Found by chaos/: a
 * node cut off by a partition, still with its quorum when a create came, finished the directory write alone once it
 * saw nobody else (the write waits out partitions owned by nodes that are gone); the room then existed only on the
 * losing side, and its members, sent to the other side, were told 4004 for 7–11 s, until the halves merged.
 */
@DisplayName("room creation and the quorum")
class CreateQuorumTest {
  private static final String NODE = "node-a";

  @Test
  @DisplayName("a node that loses its quorum while it creates a room answers 503 and keeps no room")
  void quorumLostDuringCreate() throws Exception {
    SettableClusterView view = new SettableClusterView(NODE);
    view.onAsk = secondAsk(() -> view.quorum = false);
    assertCreate(view, ErrorCode.NODE_SHUTTING_DOWN);
  }

  @Test
  @DisplayName("a node that lost its quorum and got it back meanwhile (another epoch) keeps no room either")
  void quorumEpochChangedDuringCreate() throws Exception {
    SettableClusterView view = new SettableClusterView(NODE);
    view.onAsk = secondAsk(() -> view.epoch++);
    assertCreate(view, ErrorCode.NODE_SHUTTING_DOWN);
  }

  @Test
  @DisplayName("a node that keeps its quorum creates the room")
  void quorumKept() throws Exception {
    assertCreate(new SettableClusterView(NODE), null);
  }

  /**
   * The create is the only caller of hasQuorum() here (no snapshots: no restore passes): the first question, before
   * the room is made, sees the view as it was; the second, after the directory write, sees {@code change}.
   */
  private static Runnable secondAsk(Runnable change) {
    AtomicInteger asked = new AtomicInteger();
    return () -> {
      if (asked.incrementAndGet() == 2) {
        change.run();
      }
    };
  }

  private static void assertCreate(SettableClusterView cluster, ErrorCode expected) throws Exception {
    Vertx vertx = Vertx.vertx();
    try {
      BusCodecs.register(vertx.eventBus());
      RoomDirectory directory = new RoomDirectory(vertx, Clock.systemUTC());
      AppConfig config = AppConfig.defaults();
      RoomHostVerticle host = new RoomHostVerticle(new RoomHostVerticle.Settings(NODE, 10, 10, 30_000,
          3_600_000, config.chunkLimits()), Clock.systemUTC(), new Ids(), directory, SnapshotStore.disabled(),
          new BurnroomMetrics(new SimpleMeterRegistry()), cluster);
      vertx.deployVerticle(host).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
      var reply = Bus.request(vertx.eventBus(), new HostRequest.Create(600, null))
          .toCompletionStage().toCompletableFuture().handle((r, e) -> e == null ? r : e).get(10, TimeUnit.SECONDS);
      int entries = directory.size().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
      if (expected == null) {
        assertThat(reply).isInstanceOf(io.burnroom.bus.HostReply.Created.class);
        assertThat(entries).as("directory entries").isEqualTo(1);
        assertThat(host.roomCount()).as("rooms on the node").isEqualTo(1);
      } else {
        assertThat(reply).isInstanceOf(Throwable.class);
        assertThat(Bus.errorOf((Throwable) reply)).isEqualTo(expected);
        assertThat(entries).as("directory entries left").isZero();
        Thread.sleep(200); // the undeploy is asynchronous
        assertThat(host.roomCount()).as("rooms left on the node").isZero();
        assertThat(vertx.deploymentIDs()).as("only the host is deployed").hasSize(1);
      }
    } finally {
      vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
  }
}
