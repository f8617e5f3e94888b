package io.burnroom.cluster;

import io.vertx.core.Future;
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

/**
 * A room's replicated state in memory-only cluster maps with one backup and a TTL of the room's remaining life, so
 * another node can bring a room back when its owner dies: the snapshot ({@value #MAP}, one entry per room) and the
 * relayed frames ({@value #FRAMES}, one entry per slot of the room's frame ring, key {@code roomId/slot}). An embedded
 * node has nobody to hand over to and keeps none.
 */
public final class SnapshotStore {
  public static final String MAP = "burnroom.snapshots";
  public static final String FRAMES = "burnroom.frames";

  private final Future<AsyncMap<String, JsonObject>> map;
  private final Future<AsyncMap<String, String>> frames;
  private final Clock clock;
  private final int slots;

  private SnapshotStore(Future<AsyncMap<String, JsonObject>> map, Future<AsyncMap<String, String>> frames, Clock clock,
                        int slots) {
    this.map = map;
    this.frames = frames;
    this.clock = clock;
    this.slots = slots;
  }

  /** @param slots the frame slots a room can use (its ring size): what a restore reads */
  public static SnapshotStore clustered(Vertx vertx, Clock clock, int slots) {
    return new SnapshotStore(vertx.sharedData().getAsyncMap(MAP), vertx.sharedData().getAsyncMap(FRAMES), clock, slots);
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
    return map.compose(m -> m.put(roomId, snapshot, ttl));
  }

  /** Stores or clears frame slots ({@code null} record = clear), all at once; completes when every write has. */
  public Future<Void> saveFrames(String roomId, Map<Integer, String> writes, long expiresAt) {
    if (frames == null || writes.isEmpty()) {
      return Future.succeededFuture();
    }
    return writeFrames(roomId, writes, Math.max(1, expiresAt - clock.millis()));
  }

  /** The one place frame slots are written or cleared ({@code null} record). */
  private Future<Void> writeFrames(String roomId, Map<Integer, String> writes, long ttl) {
    return frames.compose(f -> {
      List<Future<?>> all = new ArrayList<>(writes.size());
      writes.forEach((slot, record) -> all.add(record == null
          ? f.remove(frameKey(roomId, slot))
          : f.put(frameKey(roomId, slot), record, ttl)));
      return Future.join(all).mapEmpty();
    });
  }

  public Future<JsonObject> load(String roomId) {
    if (map == null) {
      return Future.succeededFuture();
    }
    return map.compose(m -> m.get(roomId));
  }

  /** Every frame record the room has in the cluster, in no particular order. */
  public Future<List<String>> loadFrames(String roomId) {
    if (frames == null) {
      return Future.succeededFuture(List.of());
    }
    return frames.compose(f -> {
      List<Future<String>> reads = new ArrayList<>(slots);
      for (int slot = 0; slot < slots; slot++) {
        reads.add(f.get(frameKey(roomId, slot)));
      }
      return Future.all(reads).map(all -> all.<String>list().stream().filter(Objects::nonNull).toList());
    });
  }

  /** Removes the snapshot and the given frame slots; a slot not listed goes with its TTL at the latest. */
  public Future<Void> remove(String roomId, Collection<Integer> frameSlots) {
    if (map == null) {
      return Future.succeededFuture();
    }
    Map<Integer, String> clears = new HashMap<>();
    frameSlots.forEach(slot -> clears.put(slot, null));
    return Future.join(map.compose(m -> m.remove(roomId)), writeFrames(roomId, clears, 0)).mapEmpty();
  }
}
