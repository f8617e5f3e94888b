package io.burnroom.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.burnroom.app.BurnroomNode;
import io.burnroom.support.TestNodes;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * A room or a socket session that asks the cluster maps continues on its own event loop. The maps' futures are bound
 * to the context that created them, and Vert.x runs callbacks on a future's own context, so they used to continue on
 * another loop (found by chaos/: a session seated its member from the wrong loop after a retried request, and the
 * room's next delivery to that member was dropped).
 */
@DisplayName("Cluster map results come back on the caller's context")
class ClusterMapContextTest {
  @Test
  void directoryAndSnapshotsAnswerOnTheCallersContext() throws Exception {
    try (TestNodes nodes = new TestNodes()) {
      BurnroomNode a = nodes.clustered();
      // Made here, on the test thread: their map futures belong to another context than the callers below.
      RoomDirectory directory = new RoomDirectory(a.vertx(), Clock.systemUTC());
      SnapshotStore snapshots = SnapshotStore.clustered(a.vertx(), a.hazelcast(), Clock.systemUTC(), 4);
      long later = System.currentTimeMillis() + 60_000;
      Map<String, Supplier<Future<?>>> calls = new java.util.LinkedHashMap<>();
      calls.put("directory.put", () -> directory.put(new RoomDirectory.Entry("r", "n", later)));
      calls.put("directory.get", () -> directory.get("r"));
      calls.put("directory.all", directory::all);
      calls.put("directory.isBurned", () -> directory.isBurned("r"));
      calls.put("directory.bury", () -> directory.bury("r", later));
      calls.put("snapshots.save", () -> snapshots.save("r", new JsonObject(), later));
      calls.put("snapshots.load", () -> snapshots.load("r"));
      calls.put("snapshots.loadFrames", () -> snapshots.loadFrames("r"));
      calls.put("snapshots.remove", () -> snapshots.remove("r", List.of(0)));
      for (Map.Entry<String, Supplier<Future<?>>> call : calls.entrySet()) {
        Context caller = a.vertx().getOrCreateContext();
        CompletableFuture<Boolean> same = new CompletableFuture<>();
        caller.runOnContext(v -> call.getValue().get().onComplete(ar -> same.complete(Vertx.currentContext() == caller)));
        assertThat(same.get(10, TimeUnit.SECONDS)).as(call.getKey() + " continues on the caller's context").isTrue();
      }
    }
  }
}
