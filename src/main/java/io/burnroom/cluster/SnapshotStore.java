package io.burnroom.cluster;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.core.shareddata.AsyncMap;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;

/**
 * A room's replicated state in memory-only cluster maps with one backup and a TTL of the room's remaining life, so
 * another node can bring a room back when its owner dies: the snapshot ({@value #MAP}, one entry per room) and the
 * relayed frames ({@value #FRAMES}, one entry per slot of the room's frame ring, key {@code roomId/slot}). An embedded
 * node has nobody to hand over to and keeps none.
 *
 * <p>Frame writes, one per relayed message, go to Hazelcast's map directly and complete on the writing room's event
 * loop: through vertx-hazelcast each completion first hopped to a pool thread and from there to the event loop, one
 * thread hand-off more per message. Values are the same strings either way, so reads may use the Vert.x map.
 */
public final class SnapshotStore {
  public static final String MAP = "burnroom.snapshots";
  public static final String FRAMES = "burnroom.frames";

  private final Future<AsyncMap<String, JsonObject>> map;
  private final Future<AsyncMap<String, String>> frames;
  private final IMap<String, String> frameWrites;
  private final Vertx vertx;
  private final Clock clock;
  private final int slots;

  private SnapshotStore(Vertx vertx, HazelcastInstance hazelcast, Clock clock, int slots) {
    this.vertx = vertx;
    this.map = vertx == null ? null : vertx.sharedData().getAsyncMap(MAP);
    this.frames = vertx == null ? null : vertx.sharedData().getAsyncMap(FRAMES);
    this.frameWrites = hazelcast == null ? null : hazelcast.getMap(FRAMES);
    this.clock = clock;
    this.slots = slots;
  }

  /** @param slots the frame slots a room can use (its ring size): what a restore reads */
  public static SnapshotStore clustered(Vertx vertx, HazelcastInstance hazelcast, Clock clock, int slots) {
    return new SnapshotStore(vertx, hazelcast, clock, slots);
  }

  public static SnapshotStore disabled() {
    return new SnapshotStore(null, null, null, 0);
  }

  public boolean enabled() {
    return map != null;
  }

  public static String frameKey(String roomId, int slot) {
    return roomId + "/" + slot;
  }

  public Future<Void> save(String roomId, JsonObject snapshot, long expiresAt) {
    if (map == null) {
      return Future.succeededFuture();
    }
    long ttl = expiresAt - clock.millis();
    if (ttl <= 0) {
      return remove(roomId, List.of());
    }
    return OnCaller.run(() -> map.compose(m -> m.put(roomId, snapshot, Expiry.ttl(ttl))));
  }

  /** Stores or clears frame slots ({@code null} record = clear), all at once; completes when every write has. */
  public Future<Void> saveFrames(String roomId, Map<Integer, String> writes, long expiresAt) {
    if (frames == null || writes.isEmpty()) {
      return Future.succeededFuture();
    }
    return writeFrames(roomId, writes, Expiry.ttl(Math.max(1, expiresAt - clock.millis())));
  }

  /** The one place frame slots are written or cleared ({@code null} record). Completes on the caller's context. */
  private Future<Void> writeFrames(String roomId, Map<Integer, String> writes, long ttl) {
    Context context = vertx.getOrCreateContext();
    Executor onContext = task -> context.runOnContext(v -> task.run());
    List<Future<?>> all = new ArrayList<>(writes.size());
    writes.forEach((slot, record) -> {
      String key = frameKey(roomId, slot);
      CompletionStage<?> write = record == null ? frameWrites.removeAsync(key)
          : frameWrites.setAsync(key, record, ttl, TimeUnit.MILLISECONDS);
      Promise<Void> done = Promise.promise();
      // Hazelcast hands the completion straight to the executor from its response thread.
      write.whenCompleteAsync((ignored, e) -> {
        if (e == null) {
          done.complete();
        } else {
          done.fail(e);
        }
      }, onContext);
      all.add(done.future());
    });
    return Future.join(all).mapEmpty();
  }

  public Future<JsonObject> load(String roomId) {
    if (map == null) {
      return Future.succeededFuture();
    }
    return OnCaller.run(() -> map.compose(m -> m.get(roomId)));
  }

  /** Every frame record the room has in the cluster, in no particular order. */
  public Future<List<String>> loadFrames(String roomId) {
    if (frames == null) {
      return Future.succeededFuture(List.of());
    }
    return OnCaller.run(() -> frames.compose(f -> {
      List<Future<String>> reads = new ArrayList<>(slots);
      for (int slot = 0; slot < slots; slot++) {
        reads.add(f.get(frameKey(roomId, slot)));
      }
      return Future.all(reads).map(all -> all.<String>list().stream().filter(Objects::nonNull).toList());
    }));
  }

  /** Removes the snapshot and the given frame slots; a slot not listed goes with its TTL at the latest. */
  public Future<Void> remove(String roomId, Collection<Integer> frameSlots) {
    if (map == null) {
      return Future.succeededFuture();
    }
    Map<Integer, String> clears = new HashMap<>();
    frameSlots.forEach(slot -> clears.put(slot, null));
    return OnCaller.run(() -> Future.join(map.compose(m -> m.remove(roomId)), writeFrames(roomId, clears, 0)).mapEmpty());
  }
}
