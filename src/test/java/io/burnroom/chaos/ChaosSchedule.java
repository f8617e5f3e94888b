package io.burnroom.chaos;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

/**
 * The fault plan of one run, made from a seed alone: the same seed and length always give the same list. Faults come
 * one at a time, each followed by a quiet gap; every kind appears before any repeats, in an order the seed shuffles.
 */
public final class ChaosSchedule {
  /** The kinds of fault. */
  public enum Kind {
    /** {@code kill -9} of a node, restarted after the hold. */
    KILL9,
    /** SIGTERM (graceful handover), restarted after the hold. */
    SIGTERM,
    /** SIGSTOP for the hold (2–6 s longer than failure detection), then SIGCONT. */
    PAUSE,
    /** One node cut off from the others (1|2 with three nodes), healed after the hold. */
    PARTITION,
    /** 50 ms ± 20 ms latency and 1 % loss on every link between nodes for the hold. */
    SLOW
  }

  /** One planned fault: at {@code atMs} after the start, on node {@code node} (0-based), for {@code holdMs}. */
  public record Fault(long atMs, Kind kind, int node, long holdMs) {
    @Override
    public String toString() {
      return String.format("t=%5.1fs %-9s %-7s hold %4.1fs", atMs / 1000.0, kind, kind == Kind.SLOW ? "all" : "node" + (node + 1),
          holdMs / 1000.0);
    }
  }

  private final long seed;
  private final long durationMs;
  private final List<Fault> faults;

  private ChaosSchedule(long seed, long durationMs, List<Fault> faults) {
    this.seed = seed;
    this.durationMs = durationMs;
    this.faults = List.copyOf(faults);
  }

  /**
   * Plans {@code durationMs} of faults over {@code nodes} nodes. The first {@code warmupMs} and the last
   * {@code cooldownMs} are quiet, so rooms are created before the first fault and burn after the last one heals.
   */
  public static ChaosSchedule plan(long seed, long durationMs, int nodes, long warmupMs, long cooldownMs) {
    return plan(seed, durationMs, nodes, warmupMs, cooldownMs, List.of(Kind.values()), 3_000);
  }

  /**
   * The same, with only the given kinds of fault; a pause holds 2–6 s longer than failure detection
   * ({@code detectMs}), and at least 5–9 s.
   */
  public static ChaosSchedule plan(long seed, long durationMs, int nodes, long warmupMs, long cooldownMs,
                                   List<Kind> kinds, long detectMs) {
    Random r = new Random(seed);
    List<Fault> out = new ArrayList<>();
    List<Kind> bag = new ArrayList<>();
    long t = warmupMs;
    long restartAllowance = 8_000;
    while (true) {
      if (bag.isEmpty()) {
        bag.addAll(kinds);
        Collections.shuffle(bag, r);
      }
      Kind k = bag.get(0);
      long hold = switch (k) {
        case KILL9, SIGTERM -> 3_000 + r.nextInt(5_000);
        case PAUSE -> Math.max(5_000, detectMs + 2_000) + r.nextInt(4_000);
        case PARTITION -> 8_000 + r.nextInt(7_000);
        case SLOW -> 10_000 + r.nextInt(10_000);
      };
      long recovery = k == Kind.KILL9 || k == Kind.SIGTERM ? restartAllowance : 3_000;
      if (t + hold + recovery > durationMs - cooldownMs) {
        break;
      }
      bag.remove(0);
      out.add(new Fault(t, k, r.nextInt(nodes), hold));
      t += hold + recovery + 3_000 + r.nextInt(4_000);
    }
    return new ChaosSchedule(seed, durationMs, out);
  }

  /**
   * The warm-up before the heap baseline (decision 69): each node cut off in turn (a 1|2 partition with three nodes,
   * 9 s, then a merge), then the first node paused past failure detection, as far as {@code durationMs} allows with
   * time left to merge. No kill or SIGTERM: each node keeps the process whose heap the baseline measures.
   */
  public static ChaosSchedule warmUp(int nodes, long durationMs, long detectMs) {
    List<Fault> out = new ArrayList<>();
    long t = 8_000;
    for (int i = 0; i < nodes && t + 9_000 + 10_000 <= durationMs; i++, t += 22_000) {
      out.add(new Fault(t, Kind.PARTITION, i, 9_000));
    }
    long pause = Math.max(5_000, detectMs + 3_000);
    if (t + pause + 10_000 <= durationMs) {
      out.add(new Fault(t, Kind.PAUSE, 0, pause));
    }
    return new ChaosSchedule(0, durationMs, out);
  }

  public long seed() { return seed; }
  public long durationMs() { return durationMs; }
  public List<Fault> faults() { return faults; }

  @Override
  public String toString() {
    StringBuilder b = new StringBuilder("schedule (seed " + seed + ", " + durationMs / 1000 + " s):\n");
    faults.forEach(f -> b.append("  ").append(f).append('\n'));
    return b.toString();
  }
}
