package io.burnroom.cluster;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.core.shareddata.AsyncMap;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.util.Base64;
import java.util.List;

/**
 * The rooms directory: roomId → {owner node, expiresAt}, in a memory-only cluster map (a local map on an embedded
 * node) whose entries expire with the room. Any node can answer "does this room exist and who owns it".
 * The room's own timer is the authority for burning; the TTL is only a backstop.
 *
 * <p>A room burned before its time leaves a tombstone in {@value #BURNED} until its {@code expiresAt}: the SHA-256 of
 * its id (never the id), so that after a split the losing side's stale copy, which the merge would otherwise put back
 * (newest write wins, and the winning side has nothing left to compare with), learns it was burned (decision 52).
 */
public final class RoomDirectory {
  public static final String MAP = "burnroom.rooms";
  public static final String BURNED = "burnroom.burned";

  public record Entry(String roomId, String owner, long expiresAt) {
    JsonObject toJson() {
      return new JsonObject().put("owner", owner).put("expiresAt", expiresAt);
    }

    static Entry fromJson(String roomId, JsonObject j) {
      return new Entry(roomId, j.getString("owner"), j.getLong("expiresAt"));
    }
  }

  private final Future<AsyncMap<String, JsonObject>> map;
  /** Tombstones of rooms burned before their time; null on an embedded node, which has no other side to merge. */
  private final Future<AsyncMap<String, Long>> burned;
  private final Clock clock;

  public RoomDirectory(Vertx vertx, Clock clock) {
    this.map = vertx.sharedData().getAsyncMap(MAP);
    this.burned = vertx.isClustered() ? vertx.sharedData().getAsyncMap(BURNED) : null;
    this.clock = clock;
  }

  public Future<Void> put(Entry e) {
    long ttl = e.expiresAt() - clock.millis();
    if (ttl <= 0) {
      return remove(e.roomId());
    }
    return OnCaller.run(() -> map.compose(m -> m.put(e.roomId(), e.toJson(), Expiry.ttl(ttl))));
  }

  public Future<Entry> get(String roomId) {
    return OnCaller.run(() -> map.compose(m -> m.get(roomId)).map(j -> j == null ? null : Entry.fromJson(roomId, j)));
  }

  /**
   * Compare-and-set: replaces the entry with {@code claimed} (this node as the owner) only if it is still exactly
   * {@code expected}. The one node that wins may restore the room; everyone else backs off. The TTL is not touched:
   * the winner writes the entry again with {@link #put}.
   */
  public Future<Boolean> claim(Entry expected, Entry claimed) {
    return OnCaller.run(() -> map.compose(m -> m.replaceIfPresent(expected.roomId(), expected.toJson(),
        claimed.toJson())));
  }

  public Future<Void> remove(String roomId) {
    return OnCaller.run(() -> map.compose(m -> m.remove(roomId)).mapEmpty());
  }

  /**
   * The room burned: its entry goes and, if it burned before {@code expiresAt}, a tombstone stays until then (the
   * longest a stale copy's entries can live). A room burned by its timer needs none.
   */
  public Future<Void> bury(String roomId, long expiresAt) {
    long ttl = expiresAt - clock.millis();
    if (burned == null || ttl <= 0) {
      return remove(roomId);
    }
    Future<Void> tomb = OnCaller.run(() -> burned.compose(m ->
        m.put(tombstoneKey(roomId), expiresAt, Expiry.ttl(ttl))));
    return Future.join(tomb, remove(roomId)).mapEmpty();
  }

  /** True when the room was burned before its time (its tombstone is there). */
  public Future<Boolean> isBurned(String roomId) {
    if (burned == null) {
      return Future.succeededFuture(false);
    }
    return OnCaller.run(() -> burned.compose(m -> m.get(tombstoneKey(roomId))).map(v -> v != null));
  }

  static String tombstoneKey(String roomId) {
    try {
      byte[] h = MessageDigest.getInstance("SHA-256").digest(roomId.getBytes(StandardCharsets.UTF_8));
      return Base64.getUrlEncoder().withoutPadding().encodeToString(h);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Every live entry; used by failover to find the rooms a lost node owned. */
  public Future<List<Entry>> all() {
    return OnCaller.run(() -> map.compose(AsyncMap::entries).map(entries -> entries.entrySet().stream()
        .map(e -> Entry.fromJson(e.getKey(), e.getValue())).toList()));
  }

  public Future<Integer> size() {
    return OnCaller.run(() -> map.compose(AsyncMap::size));
  }
}
