package io.burnroom.room;

import io.burnroom.cluster.ClusterView;
import io.burnroom.cluster.RoomDirectory;
import io.burnroom.cluster.SnapshotStore;
import io.burnroom.metrics.BurnroomMetrics;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.time.Clock;
import java.util.List;
import java.util.Set;

/**
 * Failover: when a cluster member leaves, the one elected survivor (lowest live node id, {@link ClusterView}) brings
 * back every room whose owner is not alive, from its replicated snapshot and frames. It first wins a compare-and-set
 * on the room's directory entry, so a room never has two owners; a room whose time ran out while its node was down
 * is burned at once instead. Runs on the room host's event loop, which deploys what it restores.
 */
final class FailoverRestore {
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
   * A node left (or the cluster changed): if this node is the elected restorer and sees the quorum, bring back every
   * room whose owner is not alive. A node without the quorum restores nothing: the other side has the quorum and
   * restores them (decision 48).
   */
  void restoreOrphans(Host host) {
    if (!snapshots.enabled() || !cluster.hasQuorum() || !cluster.isRestorer()) {
      return;
    }
    Set<String> live = cluster.liveNodes();
    directory.all().onSuccess(entries -> entries.forEach(entry -> {
      if (!live.contains(entry.owner()) && !host.hosts(entry.roomId())) {
        restore(host, entry, live);
      }
    }));
  }

  private void restore(Host host, RoomDirectory.Entry entry, Set<String> live) {
    long now = clock.millis();
    String roomId = entry.roomId();
    long expiresAt = entry.expiresAt();
    directory.claim(entry, nodeId).onSuccess(won -> {
      if (!won) {
        return; // another node claimed it first
      }
      if (expiresAt <= now) {
        // Its time ran out while its node was down: burn it at once, everywhere.
        metrics.roomBurned(BurnroomMetrics.BurnReason.FAILOVER_EXPIRED, now - expiresAt);
        Future.join(directory.remove(roomId), snapshots.remove(roomId, List.of())); // frames expire with it
        return;
      }
      Future.all(snapshots.load(roomId), snapshots.loadFrames(roomId)).onSuccess(loaded -> {
        JsonObject snapshot = loaded.resultAt(0);
        if (snapshot == null) {
          directory.remove(roomId);
          return;
        }
        RoomState state = RoomState.fromSnapshot(snapshot, loaded.resultAt(1), ids, clock.millis(), live);
        host.deployRestored(state)
            .compose(id -> directory.put(new RoomDirectory.Entry(roomId, nodeId, state.expiresAt())))
            .onSuccess(v -> metrics.failover())
            .onFailure(e -> host.gone(roomId));
      });
    });
  }
}
