package io.burnroom.room;

import io.burnroom.cluster.SnapshotStore;
import io.vertx.core.Future;
import java.util.Map;
import java.util.function.BooleanSupplier;

/**
 * What one room writes to the cluster, and when its effects may leave. On a clustered node every change is
 * replicated before its effects (acks, deliveries, join replies) are released, so a room restored on another node
 * never forgets anything a client saw: a relayed message as one frame record ({@link FrameReplication}), any other
 * change as a rewrite of the (small) snapshot. Several write batches may be in flight; effects are released in the
 * order they were asked for ({@link WritePipeline}). On an embedded node effects run at once.
 *
 * <p>Used on the room's event loop only. After a burn nothing is written, so nothing comes back.
 */
final class RoomReplication {
  private final RoomState state;
  private final SnapshotStore snapshots;
  /** True when nothing may be written: after a burn, and while the node lacks its quorum. */
  private final BooleanSupplier silent;
  private final WritePipeline writes = new WritePipeline(new WritePipeline.Store() {
    @Override
    public Future<Void> saveSnapshot() {
      return silent.getAsBoolean() ? Future.succeededFuture() : RoomReplication.this.saveSnapshot();
    }

    @Override
    public Future<Void> saveFrames(Map<Integer, String> frames) {
      return silent.getAsBoolean() ? Future.succeededFuture()
          : snapshots.saveFrames(state.roomId(), frames, state.expiresAt());
    }
  });

  RoomReplication(RoomState state, SnapshotStore snapshots, BooleanSupplier silent) {
    this.state = state;
    this.snapshots = snapshots;
    this.silent = silent;
    if (snapshots.enabled()) {
      state.replicateFrames();
    }
  }

  boolean enabled() {
    return snapshots.enabled();
  }

  /** Runs {@code effect} (may be null) once a snapshot containing the current state is written. */
  void afterWrite(Runnable effect) {
    replicate(effect, true);
  }

  /** Runs {@code effect} once the frame writes so far, and every write asked for before, have landed. */
  void afterReplication(Runnable effect) {
    replicate(effect, false);
  }

  /** Completes once every write asked for so far has landed. */
  Future<Void> whenIdle() {
    return writes.whenIdle();
  }

  Future<Void> saveSnapshot() {
    return snapshots.save(state.roomId(), state.toSnapshot(), state.expiresAt());
  }

  /** Removes every trace of the room: its snapshot and every frame slot it wrote. */
  Future<Void> remove() {
    return snapshots.remove(state.roomId(), state.replicatedSlots());
  }

  private void replicate(Runnable effect, boolean snapshotChanged) {
    if (!snapshots.enabled()) {
      if (effect != null) {
        effect.run();
      }
      return;
    }
    writes.add(effect == null ? () -> { } : effect, state.takeFrameWrites(), snapshotChanged);
  }
}
