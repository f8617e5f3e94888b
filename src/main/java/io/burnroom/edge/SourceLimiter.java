package io.burnroom.edge;

import java.util.HashMap;
import java.util.Map;

/**
 * One {@link TokenBucket} per source address, for limits such as "rooms per minute per source". Entries whose
 * bucket has refilled are pruned so an address flood cannot grow memory without bound. Single-threaded (edge only).
 */
public final class SourceLimiter {
  private static final int PRUNE_EVERY = 1024;

  private final double ratePerSecond;
  private final double burst;
  private final Map<String, TokenBucket> buckets = new HashMap<>();
  private int sinceLastPrune;

  public SourceLimiter(double ratePerSecond, double burst) {
    this.ratePerSecond = ratePerSecond;
    this.burst = burst;
  }

  /** 0 when allowed (and counted), else the milliseconds to wait. */
  public synchronized long acquire(String source, long now) {
    if (++sinceLastPrune >= PRUNE_EVERY) {
      sinceLastPrune = 0;
      buckets.values().removeIf(b -> b.isFull(now));
    }
    TokenBucket b = buckets.computeIfAbsent(source, s -> new TokenBucket(ratePerSecond, burst, now));
    return b.tryTake(now) ? 0 : Math.max(1, b.millisUntilNext(now));
  }

  synchronized int trackedSources() {
    return buckets.size();
  }
}
