package io.burnroom.room;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Write-then-effect for one clustered room, with several write batches in flight. Each effect (an ack, a delivery,
 * a join reply) is held until the batch that carries the change behind it <em>and every earlier batch</em> has
 * landed in the cluster map, so effects leave in the order they were asked for and a room restored elsewhere knows
 * everything anyone saw (P5).
 *
 * <p>Why more than one batch: a write costs a round trip through Hazelcast on two nodes, and with one batch in
 * flight every change that arrives meanwhile waits for that round trip and then for its own (decision 31;
 * docs/journal/2026-12-04-2000-frame-replication.md). Here a change starts its write at once unless one of three
 * rules holds it back, in which case it joins the next batch:
 * <ul>
 *   <li>{@value #MAX_IN_FLIGHT} batches are already in flight;</li>
 *   <li>the snapshot changed while a snapshot write is in flight (one key: two writes could land out of order);</li>
 *   <li>a frame slot it writes or clears is in a batch still in flight (same reason, per slot).</li>
 * </ul>
 * The pure ordering lives here, the cluster calls behind {@link Store}; not thread-safe, used on the room's loop.
 */
final class WritePipeline {
  /** Batches a room keeps in flight; beyond that, changes coalesce into the next one as before. */
  static final int MAX_IN_FLIGHT = 8;

  /** The cluster writes a batch makes. Each returned future completes on the room's context. */
  interface Store {
    Future<Void> saveSnapshot();

    /** Stores or clears (null record) frame slots. */
    Future<Void> saveFrames(Map<Integer, String> writes);
  }

  private static final class Batch {
    final List<Runnable> effects;
    final long slots;
    final boolean snapshot;
    boolean landed;

    Batch(List<Runnable> effects, long slots, boolean snapshot) {
      this.effects = effects;
      this.slots = slots;
      this.snapshot = snapshot;
    }
  }

  private final Store store;
  private final ArrayDeque<Batch> inFlight = new ArrayDeque<>();
  private List<Runnable> waiting = new ArrayList<>();
  private Map<Integer, String> frames = new HashMap<>();
  private boolean snapshotDirty;
  private boolean snapshotInFlight;
  private long slotsInFlight;
  private boolean releasing;
  private Promise<Void> idle;

  WritePipeline(Store store) {
    this.store = store;
  }

  /**
   * Runs {@code effect} once {@code frameWrites} (slot to record, null = clear; newer writes of a slot replace older
   * ones not yet sent), the snapshot if {@code snapshotChanged}, and every write asked for before have landed.
   */
  void add(Runnable effect, Map<Integer, String> frameWrites, boolean snapshotChanged) {
    waiting.add(effect);
    frames.putAll(frameWrites);
    snapshotDirty |= snapshotChanged;
    tryStart();
  }

  /** Completes when nothing is waiting or in flight (at once if so now). */
  Future<Void> whenIdle() {
    if (isIdle()) {
      return Future.succeededFuture();
    }
    if (idle == null) {
      idle = Promise.promise();
    }
    return idle.future();
  }

  int inFlight() {
    return inFlight.size();
  }

  private boolean isIdle() {
    return inFlight.isEmpty() && waiting.isEmpty();
  }

  private void tryStart() {
    if (waiting.isEmpty() || inFlight.size() >= MAX_IN_FLIGHT || (snapshotDirty && snapshotInFlight)) {
      return;
    }
    long slots = maskOf(frames);
    if ((slots & slotsInFlight) != 0) {
      return;
    }
    Batch batch = new Batch(waiting, slots, snapshotDirty);
    Map<Integer, String> writes = frames;
    waiting = new ArrayList<>();
    frames = new HashMap<>();
    snapshotDirty = false;
    inFlight.add(batch);
    slotsInFlight |= slots;
    snapshotInFlight |= batch.snapshot;
    Future<Void> snapshot = batch.snapshot ? store.saveSnapshot() : Future.succeededFuture();
    Future<Void> frameWrites = writes.isEmpty() ? Future.succeededFuture() : store.saveFrames(writes);
    // Availability over durability: if the cluster map cannot take the write, the effects still go out.
    Future.join(snapshot, frameWrites).onComplete(ar -> landed(batch));
  }

  private void landed(Batch batch) {
    batch.landed = true;
    slotsInFlight &= ~batch.slots;
    if (batch.snapshot) {
      snapshotInFlight = false;
    }
    if (releasing) {
      return; // an effect's own write landed at once: the release loop below picks it up, in order
    }
    releasing = true;
    try {
      while (!inFlight.isEmpty() && inFlight.peekFirst().landed) {
        inFlight.pollFirst().effects.forEach(Runnable::run);
      }
    } finally {
      releasing = false;
    }
    tryStart();
    if (isIdle() && idle != null) {
      Promise<Void> p = idle;
      idle = null;
      p.complete();
    }
  }

  private static long maskOf(Map<Integer, String> writes) {
    long mask = 0;
    for (int slot : writes.keySet()) {
      mask |= 1L << slot;
    }
    return mask;
  }
}
