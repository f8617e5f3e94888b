package io.burnroom.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.burnroom.app.BurnroomNode;
import io.burnroom.support.TestNodes;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.time.Clock;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** A room's entries in Hazelcast live until its expiresAt, not until the second before it. */
class ExpiryTest {
  @Test
  @DisplayName("directory entry and snapshot still there 1.6 s into a room with 1.9 s left (Hazelcast truncates to seconds)")
  void entriesOutliveWholeSecondTruncation() throws Exception {
    // Found by chaos/: with the exact time left as TTL, Hazelcast's whole-second TTL and expiration time made entries
    // vanish up to a second early; members resuming in a room's last second were told 4004 (Expiry).
    try (TestNodes nodes = new TestNodes()) {
      BurnroomNode a = nodes.clustered();
      Clock clock = Clock.systemUTC();
      RoomDirectory directory = new RoomDirectory(a.vertx(), clock);
      SnapshotStore snapshots = SnapshotStore.clustered(a.vertx(), a.hazelcast(), clock, 4);
      long start = clock.millis();
      long expiresAt = start + 1_900;
      String id = "ExpiryTestRoom00000001";
      await(directory.put(new RoomDirectory.Entry(id, "n1", expiresAt)));
      await(snapshots.save(id, new JsonObject().put("expiresAt", expiresAt), expiresAt));
      Thread.sleep(Math.max(0, start + 1_600 - clock.millis()));
      assertThat(await(directory.get(id))).as("directory entry 0.3 s before expiresAt").isNotNull();
      assertThat(await(snapshots.load(id))).as("snapshot 0.3 s before expiresAt").isNotNull();
    }
  }

  private static <T> T await(Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }
}
