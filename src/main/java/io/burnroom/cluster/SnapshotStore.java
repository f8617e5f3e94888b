package io.burnroom.cluster;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.core.shareddata.AsyncMap;
import java.time.Clock;

/**
 * Room snapshots in a memory-only cluster map with one backup and a TTL of the room's remaining life, so another
 * node can bring a room back when its owner dies. An embedded node has nobody to hand over to and keeps none.
 */
public final class SnapshotStore {
  public static final String MAP = "burnroom.snapshots";

  private final Future<AsyncMap<String, JsonObject>> map;
  private final Clock clock;

  private SnapshotStore(Future<AsyncMap<String, JsonObject>> map, Clock clock) {
    this.map = map;
    this.clock = clock;
  }

  public static SnapshotStore clustered(Vertx vertx, Clock clock) {
    return new SnapshotStore(vertx.sharedData().getAsyncMap(MAP), clock);
  }

  public static SnapshotStore disabled() {
    return new SnapshotStore(null, null);
  }

  public boolean enabled() {
    return map != null;
  }

  public Future<Void> save(String roomId, JsonObject snapshot, long expiresAt) {
    if (map == null) {
      return Future.succeededFuture();
    }
    long ttl = expiresAt - clock.millis();
    if (ttl <= 0) {
      return remove(roomId);
    }
    return map.compose(m -> m.put(roomId, snapshot, ttl));
  }

  public Future<JsonObject> load(String roomId) {
    if (map == null) {
      return Future.succeededFuture();
    }
    return map.compose(m -> m.get(roomId));
  }

  public Future<Void> remove(String roomId) {
    if (map == null) {
      return Future.succeededFuture();
    }
    return map.compose(m -> m.remove(roomId)).mapEmpty();
  }
}
