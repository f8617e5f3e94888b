package io.burnroom.room;

import io.burnroom.bus.Addresses;
import io.burnroom.bus.Bus;
import io.burnroom.bus.HostReply;
import io.burnroom.bus.HostRequest;
import io.burnroom.bus.NodeEvent;
import io.burnroom.cluster.ClusterView;
import io.burnroom.cluster.RoomDirectory;
import io.burnroom.cluster.SnapshotStore;
import io.burnroom.config.ByteRate;
import io.burnroom.config.ChunkLimits;
import io.burnroom.metrics.BurnroomMetrics;
import io.burnroom.wire.ErrorCode;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Owns this node's set of room deployments: creates rooms (enforcing rooms-per-node), undeploys a room once it has
 * burned, and deploys the rooms its {@link FailoverRestore} brings back when a node dies. Listens locally on
 * {@code burnroom.host}: {@link HostRequest.Create} is answered {@link io.burnroom.bus.HostReply.Created};
 * {@link HostRequest.Gone} removes a burned room; and on {@code burnroom.node-left}.
 */
public final class RoomHostVerticle extends VerticleBase {
  /** How often a restore pass that could not finish is tried again. */
  static final long RESTORE_RETRY_MS = 500;

  public record Settings(String nodeId, int maxRoomsPerNode, int maxMembersPerRoom, long resumeGraceMs,
                         long maxLifetimeMs, ChunkLimits chunkLimits) {
  }

  private final Settings settings;
  /** What all rooms of this node may deliver of attachment chunks, shared by them (decision 47). */
  private final ByteRate nodeChunkRate;
  /** The chunk deliveries all rooms of this node may have in flight to each node (decision 50). */
  private final DeliveryCredit.Share nodeCredit = new DeliveryCredit.Share(ChunkLimits.NODE_DELIVERIES_IN_FLIGHT);
  private final Clock clock;
  private final Ids ids;
  private final RoomDirectory directory;
  private final SnapshotStore snapshots;
  private final BurnroomMetrics metrics;
  private final FailoverRestore failover;
  private final ClusterView cluster;
  /** roomId → deployment id; a null value marks a deployment still starting. */
  private final Map<String, String> deployments = new HashMap<>();
  private final Map<String, RoomVerticle> rooms = new HashMap<>();
  private MessageConsumer<HostRequest> consumer;
  private MessageConsumer<NodeEvent.NodeLeft> nodeLeft;
  private MessageConsumer<NodeEvent.NodeJoined> nodeJoined;
  private MessageConsumer<NodeEvent.ClusterMerged> merged;
  private boolean closing;
  /** Restore passes asked for (cluster changes) and the last one a completed pass covered (see {@link #restoreOrphans}). */
  private int restoreAsked;
  private int restoreDone;
  private boolean restoring;
  /** The quorum epoch of the last pass: a node that gets its quorum back without a member event passes again. */
  private long restoredInEpoch;
  private long restoreTimer = -1;
  /** Cluster changes since the rooms last wrote what they know again (decision 65), and a settled check under way. */
  private final ChurnWatch churn = new ChurnWatch();
  private boolean settling;

  public RoomHostVerticle(Settings settings, Clock clock, Ids ids, RoomDirectory directory, SnapshotStore snapshots,
                          BurnroomMetrics metrics, ClusterView cluster) {
    this.settings = settings;
    this.nodeChunkRate = settings.chunkLimits().nodeRate(clock.millis());
    this.clock = clock;
    this.ids = ids;
    this.directory = directory;
    this.snapshots = snapshots;
    this.metrics = metrics;
    metrics.chunkDeliveriesInFlight(nodeCredit::total);
    this.cluster = cluster;
    this.failover = new FailoverRestore(settings.nodeId(), clock, ids, directory, snapshots, metrics, cluster);
  }

  @Override
  public Future<?> start() {
    consumer = vertx.eventBus().localConsumer(Addresses.ROOM_HOST, this::onRequest);
    // The node's rooms hear of cluster changes through this one consumer, not one each on the shared address (see
    // RoomVerticle.onNodeLeft): the cost of a room's deploy and undeploy does not grow with the rooms on the node.
    nodeLeft = vertx.eventBus().localConsumer(Addresses.NODE_LEFT, m -> {
      churn.event(clock.millis());
      String gone = m.body().nodeId();
      rooms.values().forEach(r -> r.onNodeLeft(gone));
      restoreOrphans();
    });
    // A side that lacked the quorum when a node left restores that node's rooms once it has the quorum again.
    nodeJoined = vertx.eventBus().localConsumer(Addresses.NODE_JOINED, m -> {
      churn.event(clock.millis());
      restoreOrphans();
    });
    // After a merge a room burned early on the other side (its tombstone, decision 52) burns here too.
    merged = vertx.eventBus().localConsumer(Addresses.CLUSTER_MERGED, m -> {
      churn.event(clock.millis());
      rooms.forEach((id, room) -> directory.isBurned(id)
          .onComplete(gone -> room.onMerged(gone.succeeded() && gone.result() && snapshots.enabled())));
      restoreOrphans();
    });
    restoredInEpoch = cluster.quorumEpoch();
    restoreTimer = vertx.setPeriodic(RESTORE_RETRY_MS, id -> {
      if (cluster.quorumEpoch() != restoredInEpoch) {
        restoreAsked++;
      }
      if (restoreAsked != restoreDone) {
        restorePass();
      }
      rewriteOnceSettled();
    });
    return Future.all(consumer.completion(), nodeLeft.completion(), nodeJoined.completion(), merged.completion());
  }

  @Override
  public Future<?> stop() {
    vertx.cancelTimer(restoreTimer);
    return Future.succeededFuture();
  }

  /**
   * Runs a restore pass now, unless one is running (the timer then runs another after it). A pass that could not
   * finish (no quorum yet, a map operation failed during the split or the migration) is run again every
   * {@link #RESTORE_RETRY_MS} until one does: a room must not stay without an owner because the one event that
   * should have brought it back came at a bad moment.
   */
  private void restoreOrphans() {
    restoreAsked++;
    restorePass();
  }

  private void restorePass() {
    if (closing || restoring) {
      return;
    }
    restoring = true;
    int asked = restoreAsked;
    long epoch = cluster.quorumEpoch();
    failover.restoreOrphans(restoreTarget()).onComplete(done -> {
      restoring = false;
      if (done.succeeded() && done.result()) {
        restoreDone = asked;
        restoredInEpoch = epoch;
      }
    });
  }

  /** After a burst of cluster changes, once Hazelcast reports it settled, every room writes what it knows again. */
  private void rewriteOnceSettled() {
    long now = clock.millis();
    if (closing || settling || !churn.due(now) || !snapshots.enabled()) {
      return;
    }
    settling = true;
    vertx.executeBlocking(cluster::settled, false).onComplete(ar -> {
      settling = false;
      if (ar.succeeded() && ar.result()) {
        churn.settled(now).ifPresent(since -> rooms.values().forEach(room -> room.rewrite(since)));
      }
    });
  }

  private void onRequest(Message<HostRequest> msg) {
    Object body = msg.body();
    if (body instanceof HostRequest.Create c) {
      create(msg, c.ttlSeconds(), JoinHash.fromWire(c.joinHash()));
    } else if (body instanceof HostRequest.Gone g) {
      gone(g.roomId());
    } else {
      Bus.fail(msg, ErrorCode.BAD_REQUEST);
    }
  }

  /** @param joinHash null for an open room (the edge refused a malformed one) */
  private void create(Message<HostRequest> msg, long ttlSeconds, JoinHash joinHash) {
    if (closing || !cluster.hasQuorum()) {
      Bus.fail(msg, ErrorCode.NODE_SHUTTING_DOWN);
      return;
    }
    long epoch = cluster.quorumEpoch();
    if (deployments.size() >= settings.maxRoomsPerNode()) {
      Bus.fail(msg, ErrorCode.NODE_FULL);
      return;
    }
    long now = clock.millis();
    String roomId = ids.roomId();
    String pin = ids.pin();
    long expiresAt = now + ttlSeconds * 1000;
    RoomState state = new RoomState(roomId, now, expiresAt, PinHash.of(pin, ids.salt()), ids.salt(),
        settings.maxMembersPerRoom(), ids);
    state.replaceJoinHash(joinHash);
    deployments.put(roomId, null);
    deploy(state, false)
        .compose(v -> directory.put(new RoomDirectory.Entry(roomId, settings.nodeId(), expiresAt)))
        .onSuccess(v -> {
          // The directory write waits out a partition owned by a node that is gone: a node cut off by a split, which
          // had its quorum when the request came, finished it alone once it saw nobody else. Its room then existed on
          // the losing side only, and its members, sent to the other side, were told 4004 until the halves merged
          // (found by chaos/: rooms created 5.4–5.9 s into a partition, 4004 for 7–11 s). Created counts only if the
          // node kept its quorum throughout.
          if (!cluster.hasQuorum() || cluster.quorumEpoch() != epoch) {
            gone(roomId);
            directory.remove(roomId);
            Bus.fail(msg, ErrorCode.NODE_SHUTTING_DOWN);
            return;
          }
          metrics.roomCreated();
          Bus.reply(msg, new HostReply.Created(roomId, pin, expiresAt));
        })
        .onFailure(e -> {
          gone(roomId);
          Bus.fail(msg, ErrorCode.INTERNAL);
        });
  }

  private Future<String> deploy(RoomState state, boolean restored) {
    RoomVerticle room = new RoomVerticle(state, settings.nodeId(), clock, settings.resumeGraceMs(),
        settings.maxLifetimeMs(), directory, snapshots, metrics, settings.chunkLimits(), nodeChunkRate, nodeCredit, cluster);
    if (restored) {
      room.resyncMembersOnStart();
    }
    rooms.put(state.roomId(), room);
    return vertx.deployVerticle(room).onSuccess(id -> {
      if (deployments.containsKey(state.roomId())) {
        deployments.put(state.roomId(), id);
      } else {
        vertx.undeploy(id);
      }
    });
  }

  /** This host as its failover restore sees it. */
  private FailoverRestore.Host restoreTarget() {
    return new FailoverRestore.Host() {
      @Override
      public boolean hosts(String roomId) {
        return deployments.containsKey(roomId);
      }

      @Override
      public Future<String> deployRestored(RoomState state) {
        deployments.put(state.roomId(), null);
        return deploy(state, true);
      }

      @Override
      public void gone(String roomId) {
        RoomHostVerticle.this.gone(roomId);
      }
    };
  }

  /**
   * Graceful shutdown: refuse new rooms, and let every local room stop serving with its final state written.
   * When this node then leaves the cluster, the survivors restore the rooms from those snapshots.
   */
  public Future<Void> quiesceAll() {
    Promise<Void> done = Promise.promise();
    context.runOnContext(v -> {
      closing = true;
      List<Future<Void>> all = new ArrayList<>();
      rooms.values().forEach(r -> all.add(r.quiesce()));
      Future.join(all).<Void>mapEmpty().onComplete(ar -> done.complete());
    });
    return done.future();
  }

  private void gone(String roomId) {
    rooms.remove(roomId);
    String deploymentId = deployments.remove(roomId);
    if (deploymentId != null) {
      vertx.undeploy(deploymentId);
    }
  }

  /** Rooms deployed or starting on this node. */
  public int roomCount() {
    return deployments.size();
  }
}
