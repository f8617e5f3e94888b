package io.burnroom.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import com.hazelcast.internal.util.ConcurrencyUtil;
import io.burnroom.app.BurnroomNode;
import io.burnroom.support.TestNodes;
import io.burnroom.support.WsClient;
import io.burnroom.room.RoomState;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.core.shareddata.AsyncMap;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Three clustered nodes in one JVM, real Hazelcast: any node reaches any room")
class ClusterRoutingTest {
  private static final String PROFILE = "cHJvZmlsZQ==";
  private static TestNodes nodes;
  private static BurnroomNode a;
  private static BurnroomNode b;
  private static BurnroomNode c;

  @BeforeAll
  static void start() {
    nodes = new TestNodes();
    a = nodes.clustered();
    b = nodes.clustered();
    c = nodes.clustered();
  }

  @AfterAll
  static void stop() {
    nodes.close();
  }

  private static JsonObject get(BurnroomNode n, String id) {
    TestNodes.Reply r = nodes.request(HttpMethod.GET, n.httpPort(), "/api/rooms/" + id, null);
    return r.body().copy().put("_status", r.status());
  }

  private static Object mapEntry(BurnroomNode n, String map, String id) {
    return TestNodes.await(n.vertx().sharedData().<String, Object>getAsyncMap(map).compose(m -> m.get(id)), 5_000);
  }

  /** Entries of a map held in memory across the cluster, primaries and backups counted separately. */
  private static long[] copies(String map) {
    long owned = 0;
    long backups = 0;
    for (BurnroomNode n : List.of(a, b, c)) {
      var stats = n.hazelcast().getMap(map).getLocalMapStats();
      owned += stats.getOwnedEntryCount();
      backups += stats.getBackupEntryCount();
    }
    return new long[] {owned, backups};
  }

  private static int deployments(BurnroomNode n) {
    return n.vertx().deploymentIDs().size();
  }

  @Test
  @DisplayName("a room created on A answers the same on every node, and members on A, B and C talk through it")
  void crossNodeConversation() {
    JsonObject room = nodes.createRoom(a, 600);
    String id = room.getString("roomId");
    for (BurnroomNode n : List.of(a, b, c)) {
      JsonObject g = get(n, id);
      assertThat(g.getInteger("_status")).isEqualTo(200);
      assertThat(g.getLong("expiresAt")).isEqualTo(room.getLong("expiresAt"));
    }
    try (WsClient onA = nodes.ws(a, id); WsClient onB = nodes.ws(b, id); WsClient onC = nodes.ws(c, id)) {
      onA.join(PROFILE);
      onB.join(PROFILE);
      onC.join(PROFILE);
      assertThat(onA.expect("member_joined")).isNotNull();
      onB.msg("from-b", "QkJC");
      assertThat(onB.expect("ack").getLong("seq")).isEqualTo(1);
      assertThat(onA.expect("msg").getString("id")).isEqualTo("from-b");
      assertThat(onC.expect("msg").getString("id")).isEqualTo("from-b");
      onC.msgTo("to-a", "Q0ND", onA.received().get(0).getString("memberId"));
      assertThat(onA.expect("msg").getString("id")).isEqualTo("to-a");
      onC.expect("ack");

      // creator operations from a member on C reach everyone, wherever they are
      onC.admin(room.getString("pin"), "lock");
      onC.expect("admin_ok");
      assertThat(onA.expect("locked").getBoolean("locked")).isTrue();
      assertThat(onB.expect("locked").getBoolean("locked")).isTrue();
      for (BurnroomNode n : List.of(a, b, c)) {
        assertThat(get(n, id).getBoolean("locked")).isTrue();
        assertThat(get(n, id).getInteger("members")).isEqualTo(3);
      }
      onC.send(new JsonObject().put("type", "admin").put("pin", room.getString("pin")).put("op", "kick")
          .put("target", onB.received().get(0).getString("memberId")));
      assertThat(onB.awaitClose()).isEqualTo((short) 4001);
      assertThat(onA.expect("member_left").getString("reason")).isEqualTo("kicked");
    }
  }

  @Test
  @DisplayName("burn crosses nodes, and afterwards no node holds the room: no deployment, no directory entry, no snapshot")
  void burnLeavesNothing() throws InterruptedException {
    // Earlier tests' rooms may still have a backup whose TTL ran out; the expiry sweep takes it within a second or so
    // (decision 53), and it must not land between the counts below.
    long settle = System.currentTimeMillis() + 10_000;
    while (List.of(RoomDirectory.MAP, SnapshotStore.MAP, SnapshotStore.FRAMES).stream().map(ClusterRoutingTest::copies)
        .anyMatch(c -> c[0] != c[1]) && System.currentTimeMillis() < settle) {
      Thread.sleep(100);
    }
    int before = deployments(b);
    long[] dirBefore = copies(RoomDirectory.MAP);
    long[] snapBefore = copies(SnapshotStore.MAP);
    long[] framesBefore = copies(SnapshotStore.FRAMES);
    JsonObject room = nodes.createRoom(b, 600);
    String id = room.getString("roomId");
    assertThat(deployments(b)).isEqualTo(before + 1);
    assertThat(mapEntry(a, RoomDirectory.MAP, id)).isNotNull();
    try (WsClient onA = nodes.ws(a, id); WsClient onC = nodes.ws(c, id)) {
      onA.join(PROFILE);
      onC.join(PROFILE);
      onA.msg("x", "AAAA");
      onC.expect("msg");
      assertThat(mapEntry(c, SnapshotStore.MAP, id)).as("the room keeps a replicated snapshot").isNotNull();
      assertThat(copies(RoomDirectory.MAP)).as("directory: one primary and one backup")
          .containsExactly(dirBefore[0] + 1, dirBefore[1] + 1);
      assertThat(copies(SnapshotStore.MAP)).as("snapshot: one primary and one backup")
          .containsExactly(snapBefore[0] + 1, snapBefore[1] + 1);
      onC.msg("y", "BBBB");
      onA.expect("msg");
      assertThat(copies(SnapshotStore.FRAMES)).as("each relayed frame: one primary and one backup")
          .containsExactly(framesBefore[0] + 2, framesBefore[1] + 2);
      onA.admin(room.getString("pin"), "burn");
      assertThat(onA.expect("burned")).isNotNull();
      assertThat(onC.expect("burned")).isNotNull();
      assertThat(onA.awaitClose()).isEqualTo((short) 4000);
      assertThat(onC.awaitClose()).isEqualTo((short) 4000);
    }
    long deadline = System.currentTimeMillis() + 5_000;
    while (deployments(b) != before && System.currentTimeMillis() < deadline) {
      Thread.onSpinWait();
    }
    assertThat(deployments(b)).isEqualTo(before);
    for (BurnroomNode n : List.of(a, b, c)) {
      assertThat(get(n, id).getInteger("_status")).isEqualTo(404);
      assertThat(mapEntry(n, RoomDirectory.MAP, id)).isNull();
      assertThat(mapEntry(n, SnapshotStore.MAP, id)).isNull();
      assertThat(mapEntry(n, SnapshotStore.FRAMES, SnapshotStore.frameKey(id, 1))).isNull();
    }
    assertThat(copies(RoomDirectory.MAP)).as("no directory copy left, backups included").containsExactly(dirBefore);
    assertThat(copies(SnapshotStore.MAP)).as("no snapshot copy left, backups included").containsExactly(snapBefore);
    assertThat(copies(SnapshotStore.FRAMES)).as("no frame copy left, backups included").containsExactly(framesBefore);
  }

  @Test
  @DisplayName("expiry burn reaches members on two nodes within 100 ms of expiresAt, with ticks crossing nodes before")
  void burnAccuracyAcrossNodes() {
    List<Long> lateness = new ArrayList<>();
    for (int round = 0; round < 3; round++) {
      JsonObject room = nodes.createRoom(a, 2);
      String id = room.getString("roomId");
      long expiresAt = room.getLong("expiresAt");
      try (WsClient onA = nodes.ws(a, id); WsClient onB = nodes.ws(b, id)) {
        onA.join(PROFILE);
        onB.join(PROFILE);
        assertThat(onB.expect("tick").getLong("expiresAt")).isEqualTo(expiresAt);
        onA.expect("burned");
        long atA = System.currentTimeMillis();
        onB.expect("burned");
        long atB = System.currentTimeMillis();
        lateness.add(atA - expiresAt);
        lateness.add(atB - expiresAt);
      }
    }
    System.out.println("burn lateness across nodes (ms, received by test client): " + lateness);
    // Generous bound for a loaded 2-core CI machine; the printed figures go on docs/figures.md.
    assertThat(lateness).allSatisfy(l -> assertThat(l).isBetween(-5L, 250L));
  }

  @Test
  @DisplayName("Hazelcast completes map writes on reused threads, not on a new thread per write (2-core machines)")
  void mapWritesReuseCallbackThreads() {
    assertThat(ConcurrencyUtil.getDefaultAsyncExecutor()).isSameAs(HazelcastCallbacks.executor());
    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    // A map of its own, configured like the frame map (burnroom.*: one synchronous backup), so that no other test
    // counts these entries.
    AsyncMap<String, String> map = TestNodes.await(a.vertx().sharedData().<String, String>getAsyncMap(
        "burnroom.test-callbacks"), 5_000);
    int writes = 2_000;
    long startedBefore = threads.getTotalStartedThreadCount();
    for (int batch = 0; batch < writes / 50; batch++) {
      List<Future<Void>> puts = new ArrayList<>();
      for (int i = 0; i < 50; i++) {
        puts.add(map.put("callbacks/" + (batch * 50 + i), "x", 60_000));
      }
      TestNodes.await(Future.all(puts), 10_000);
    }
    long started = threads.getTotalStartedThreadCount() - startedBefore;
    System.out.println("threads started during " + writes + " clustered map writes: " + started);
    // Hazelcast's own default on a machine of 2 cores or fewer starts one thread per write (about 2,000 here).
    assertThat(started).isLessThan(writes / 10);
    TestNodes.await(map.clear(), 10_000);
  }

  @Test
  @DisplayName("a relayed frame's cluster write completes on the writing room's event loop, not through a pool thread")
  void frameWritesCompleteOnTheRoomsLoop() throws Exception {
    SnapshotStore store = SnapshotStore.clustered(a.vertx(), a.hazelcast(), Clock.systemUTC(),
        RoomState.REPLICATED_FRAMES);
    String roomId = "frame-writes-test-room";
    Context room = a.vertx().getOrCreateContext();
    int writes = 500;
    long poolTasksBefore = HazelcastCallbacks.tasksRun();
    CompletableFuture<List<Boolean>> onLoop = new CompletableFuture<>();
    room.runOnContext(v -> {
      Thread loop = Thread.currentThread();
      List<Future<Boolean>> all = new ArrayList<>();
      for (int i = 0; i < writes; i++) {
        all.add(store.saveFrames(roomId, Map.of(i % RoomState.REPLICATED_FRAMES, "record " + i),
            System.currentTimeMillis() + 60_000).map(ignored -> Thread.currentThread() == loop));
      }
      Future.all(all).onComplete(ar -> onLoop.complete(ar.result().list()));
    });
    assertThat(onLoop.get(20, TimeUnit.SECONDS)).hasSize(writes).containsOnly(true);
    // Through vertx-hazelcast every write took a pool thread on its way back (at least 500 tasks here); a few
    // tasks of the cluster's own background work may land in the same window.
    assertThat(HazelcastCallbacks.tasksRun() - poolTasksBefore).isLessThan(writes / 10);
    List<Integer> slots = new ArrayList<>();
    for (int i = 0; i < RoomState.REPLICATED_FRAMES; i++) {
      slots.add(i);
    }
    CompletableFuture<Void> removed = new CompletableFuture<>();
    room.runOnContext(v -> store.remove(roomId, slots).onComplete(ar -> removed.complete(null)));
    removed.get(20, TimeUnit.SECONDS);
    assertThat(TestNodes.await(store.loadFrames(roomId), 5_000)).isEmpty();
  }

  @Test
  @DisplayName("every node answers 404 for a room that never existed")
  void unknownEverywhere() {
    for (BurnroomNode n : List.of(a, b, c)) {
      assertThat(get(n, "DDDDDDDDDDDDDDDDDDDDDD").getInteger("_status")).isEqualTo(404);
    }
  }
}
