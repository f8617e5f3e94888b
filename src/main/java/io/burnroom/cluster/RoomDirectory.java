package io.burnroom.cluster;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.core.shareddata.AsyncMap;
import java.time.Clock;
import java.util.List;

/**
 * The rooms directory: roomId → {owner node, expiresAt}, in a memory-only cluster map (a local map on an embedded
 * node) whose entries expire with the room. Any node can answer "does this room exist and who owns it".
 * The room's own timer is the authority for burning; the TTL is only a backstop.
 */
public final class RoomDirectory {
  public static final String MAP = "burnroom.rooms";

  public record Entry(String roomId, String owner, long expiresAt) {
    /** The same room and expiry, owned by {@code node}. */
    public Entry withOwner(String node) {
      return new Entry(roomId, node, expiresAt);
    }

    JsonObject toJson() {
      return new JsonObject().put("owner", owner).put("expiresAt", expiresAt);
    }

    static Entry fromJson(String roomId, JsonObject j) {
      return new Entry(roomId, j.getString("owner"), j.getLong("expiresAt"));
    }
  }

  private final Future<AsyncMap<String, JsonObject>> map;
  private final Clock clock;

  public RoomDirectory(Vertx vertx, Clock clock) {
    this.map = vertx.sharedData().getAsyncMap(MAP);
    this.clock = clock;
  }

  public Future<Void> put(Entry e) {
    long ttl = e.expiresAt() - clock.millis();
    if (ttl <= 0) {
      return remove(e.roomId());
    }
    return map.compose(m -> m.put(e.roomId(), e.toJson(), ttl));
  }

  public Future<Entry> get(String roomId) {
    return map.compose(m -> m.get(roomId)).map(j -> j == null ? null : Entry.fromJson(roomId, j));
  }

  /**
   * Compare-and-set: makes {@code node} the owner only if the entry is still exactly {@code expected}. The one node
   * that wins may restore the room; everyone else backs off.
   */
  public Future<Boolean> claim(Entry expected, String node) {
    return map.compose(m -> m.replaceIfPresent(expected.roomId(), expected.toJson(), expected.withOwner(node).toJson()));
  }

  public Future<Void> remove(String roomId) {
    return map.compose(m -> m.remove(roomId)).mapEmpty();
  }

  /** Every live entry; used by failover to find the rooms a lost node owned. */
  public Future<List<Entry>> all() {
    return map.compose(AsyncMap::entries).map(entries -> entries.entrySet().stream()
        .map(e -> Entry.fromJson(e.getKey(), e.getValue())).toList());
  }

  public Future<Integer> size() {
    return map.compose(AsyncMap::size);
  }
}
