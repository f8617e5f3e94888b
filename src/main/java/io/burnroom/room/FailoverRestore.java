package io.burnroom.room;

import io.burnroom.cluster.ClusterView;
import io.burnroom.cluster.RoomDirectory;
import io.burnroom.cluster.SnapshotStore;
import io.burnroom.metrics.BurnroomMetrics;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.time.Clock;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Failover: when a cluster member leaves, the one elected survivor (lowest live node id, {@link ClusterView}) brings
 * back every room whose owner is not alive, from its replicated snapshot and frames. It first wins a compare-and-set
 * on the room's directory entry, so a room never has two owners; a room whose time ran out while its node was down
 * is burned at once instead. Runs on the room host's event loop, which deploys what it restores.
 *
 * <p>The elected survivor may be unable to: a node that woke from a pause is a member, and the lowest id, while it
 * is still fenced (decision 48) and restores nothing. So every other node that sees the quorum keeps looking, and
 * restores an orphan itself once it has seen it orphaned for {@link #FALLBACK_MS} (decision 68); the compare-and-set
 * still lets only one node have it.
 */
final class FailoverRestore {
  /** How long a node that is not the elected restorer waits for it before it restores an orphan itself. */
  static final long FALLBACK_MS = 1_000;

  /** The room host, as the restore sees it. */
  interface Host {
    /** True when the room is deployed or starting on this node. */
    boolean hosts(String roomId);

    /** Deploys a restored room (its members are asked to reconnect, see {@link RoomVerticle#resyncMembersOnStart}). */
    Future<String> deployRestored(RoomState state);

    /** Forgets a room whose restore failed. */
    void gone(String roomId);
  }

  private final String nodeId;
  private final Clock clock;
  private final Ids ids;
  private final RoomDirectory directory;
  private final SnapshotStore snapshots;
  private final BurnroomMetrics metrics;
  private final ClusterView cluster;
  /** Orphans seen while another node was the elected restorer, with when each was first seen (room ids, in memory). */
  private final Map<String, Long> orphanedSince = new HashMap<>();

  FailoverRestore(String nodeId, Clock clock, Ids ids, RoomDirectory directory, SnapshotStore snapshots,
                  BurnroomMetrics metrics, ClusterView cluster) {
    this.nodeId = nodeId;
    this.clock = clock;
    this.ids = ids;
    this.directory = directory;
    this.snapshots = snapshots;
    this.metrics = metrics;
    this.cluster = cluster;
  }

  /**
   * One pass: if this node sees the quorum, bring back every room whose owner is not alive, and every room this node
   * claimed earlier but could not bring back; a node that is not the elected restorer takes only the orphans it has
   * seen for {@link #FALLBACK_MS}. Completes true when nothing is left to do here (every orphan restored, burned or
   * taken by another node), false when the pass must
   * run again: the node lacks the quorum (the other side restores them, or this one once it has the quorum back,
   * decision 48), or a look-up, a claim or a load failed. During a pause or a partition the maps' operations can
   * fail for seconds (a partition still owned by the lost node, a migration); a pass that gave up then left the
   * room with no owner for the rest of its life (found by chaos/: a paused node's rooms acknowledged nothing until
   * they expired, and their members learned of the burn by a 4004, 10 s late).
   */
  Future<Boolean> restoreOrphans(Host host) {
    if (!snapshots.enabled()) {
      return Future.succeededFuture(true);
    }
    if (!cluster.hasQuorum()) {
      return Future.succeededFuture(false);
    }
    boolean elected = cluster.isRestorer();
    Set<String> live = cluster.liveNodes();
    return directory.all().transform(ar -> {
      if (ar.failed()) {
        return Future.succeededFuture(false);
      }
      List<RoomDirectory.Entry> orphans = ar.result().stream()
          .filter(e -> (!live.contains(e.owner()) || e.owner().equals(nodeId)) && !host.hosts(e.roomId()))
          .toList();
      List<RoomDirectory.Entry> mine = elected ? orphans : waitedFor(orphans);
      List<Future<Boolean>> restores = mine.stream().map(e -> restore(host, e, live)).toList();
      // A node that is not the restorer keeps passing while it sees orphans: the restorer may never take them.
      return Future.join(restores).transform(all -> Future.succeededFuture(
          restores.stream().allMatch(f -> f.succeeded() && f.result()) && mine.size() == orphans.size()));
    });
  }

  /** The orphans this node has seen for {@link #FALLBACK_MS} or more; forgets the ones no longer orphaned. */
  private List<RoomDirectory.Entry> waitedFor(List<RoomDirectory.Entry> orphans) {
    long now = clock.millis();
    Set<String> ids = new HashSet<>();
    orphans.forEach(e -> ids.add(e.roomId()));
    orphanedSince.keySet().retainAll(ids);
    orphans.forEach(e -> orphanedSince.putIfAbsent(e.roomId(), now));
    return orphans.stream().filter(e -> now - orphanedSince.get(e.roomId()) >= FALLBACK_MS).toList();
  }

  /** True when the room is settled: restored here, burned, gone, or claimed by another node. */
  private Future<Boolean> restore(Host host, RoomDirectory.Entry entry, Set<String> live) {
    String roomId = entry.roomId();
    return Future.all(snapshots.load(roomId), snapshots.loadFrames(roomId)).compose(loaded -> {
      JsonObject snapshot = loaded.resultAt(0);
      // The room lives until the later of the two expiries. The entry's may be older (chaos/, seed 25's r59: an
      // extended room's entry on the surviving side held the old expiry), and a room judged by it burned at once; or
      // the snapshot's (seed 25's r63: its replica had missed the extend's write, the entry's had not, decision 63).
      // Either is a write the room made, so the later one is the room's (RestoreExpiryTest).
      long expiresAt = snapshot == null ? entry.expiresAt()
          : Math.max(entry.expiresAt(), RoomState.expiresAtOf(snapshot));
      RoomDirectory.Entry mine = new RoomDirectory.Entry(roomId, nodeId, expiresAt);
      return directory.claim(entry, mine).compose(won -> {
        if (!won) {
          return Future.succeededFuture(true); // another node claimed it first, or the entry changed meanwhile
        }
        long now = clock.millis();
        if (expiresAt <= now) {
          // Its time ran out while its node was down: burn it at once, everywhere.
          metrics.roomBurned(BurnroomMetrics.BurnReason.FAILOVER_EXPIRED, now - expiresAt);
          Future.join(directory.remove(roomId), snapshots.remove(roomId, List.of())); // frames expire with it
          return Future.succeededFuture(true);
        }
        if (snapshot == null) {
          return directory.remove(roomId).map(true);
        }
        if (host.hosts(roomId)) {
          return Future.succeededFuture(true); // a pass that overlapped this one brought it back
        }
        // The entry gets the room's expiry before the room serves, so no write of this restore can land after an
        // extend of the restored room. A failed write leaves the claim: the next pass takes the room up again.
        return directory.put(mine).compose(v -> {
          if (host.hosts(roomId)) {
            return Future.succeededFuture(true);
          }
          RoomState state = RoomState.fromSnapshot(snapshot, loaded.resultAt(1), ids, clock.millis(), live);
          // The room lives until the later expiry, the one its entry now holds: the snapshot's may be the older one
          // (chaos/, seed 25's r63: restored with the snapshot's, it burned 5 s before its extended expiry).
          state.atLeastUntil(expiresAt);
          return host.deployRestored(state)
              .onFailure(e -> host.gone(roomId))
              .map(id -> {
                metrics.failover();
                return true;
              });
        });
      });
    }).otherwise(false); // the entry now names this node, so the next pass takes the room up again
  }
}
