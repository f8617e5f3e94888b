package io.burnroom.cluster;

import io.vertx.core.Vertx;

/**
 * A node that was stopped (SIGSTOP, a frozen VM, a GC pause) past failure detection wakes up with a member list
 * that is no longer true: the others removed it and restored its rooms, yet for a second or two it still sees them
 * and would serve, and what it writes then is newer than the other side's rooms and wins the merge (found by
 * chaos/, decision 48). The fence notices the gap in its own heartbeat (a timer every 100 ms) and keeps the node from
 * serving until Hazelcast had time to tell it where it stands.
 */
public final class PauseFence {
  static final long TICK_MS = 100;
  private final long gapNanos;
  private final long fenceNanos;
  private volatile long lastTick;
  private volatile long fencedUntil;
  /** True while Hazelcast merges this node into another cluster (see {@link #followMerges}). */
  private volatile boolean merging;

  /**
   * @param gapMs   a silence this long counts as a pause (the caller passes failure detection minus a margin)
   * @param fenceMs how long not to serve after one (failure detection + 2 s: a merge or a member update by then)
   */
  PauseFence(long gapMs, long fenceMs, long now) {
    this.gapNanos = gapMs * 1_000_000;
    this.fenceNanos = fenceMs * 1_000_000;
    this.lastTick = now;
    this.fencedUntil = now;
  }

  /** A fence ticking on {@code vertx}'s timers for as long as it runs. */
  public static PauseFence start(Vertx vertx, long gapMs, long fenceMs) {
    PauseFence f = new PauseFence(gapMs, fenceMs, System.nanoTime());
    vertx.setPeriodic(TICK_MS, id -> f.tick(System.nanoTime()));
    return f;
  }

  void tick(long now) {
    check(now);
    lastTick = now;
  }

  /** True while the node is just back from a pause; checked on every call, so the first request after one sees it. */
  public boolean fenced() {
    return check(System.nanoTime());
  }

  /**
   * Keeps the node from serving while Hazelcast merges it into the other half of a split, and for {@code graceMs}
   * after: in between, the node is already a member of the merged cluster (it sees the quorum) but Vert.x has not yet
   * published its consumers there again (it does on MERGED, asynchronously), so a room elsewhere that delivered to
   * this node's edges found nobody and the frame was dropped (found by chaos/: a member's message, acknowledged just
   * after a partition healed, never reached another member).
   */
  public void followMerges(com.hazelcast.core.HazelcastInstance hz, long graceMs) {
    hz.getLifecycleService().addLifecycleListener(e -> {
      switch (e.getState()) {
        case MERGING -> merging(true, System.nanoTime(), graceMs);
        case MERGED, MERGE_FAILED -> merging(false, System.nanoTime(), graceMs);
        default -> { }
      }
    });
  }

  void merging(boolean started, long now, long graceMs) {
    if (!started) {
      fencedUntil = Math.max(fencedUntil, now + graceMs * 1_000_000);
    }
    merging = started;
  }

  boolean check(long now) {
    if (now - lastTick > gapNanos) {
      fencedUntil = Math.max(fencedUntil, now + fenceNanos);
    }
    return merging || now - fencedUntil < 0;
  }
}
