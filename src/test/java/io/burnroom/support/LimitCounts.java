package io.burnroom.support;

import io.burnroom.metrics.BurnroomMetrics;
import io.burnroom.metrics.BurnroomMetrics.Limit;
import java.util.EnumMap;
import java.util.Map;

/** The counts of {@code burnroom_rate_limited_total}, one per {@link Limit}, to tell which cause moved. */
public final class LimitCounts {
  private final BurnroomMetrics metrics;
  private final Map<Limit, Double> before;

  private LimitCounts(BurnroomMetrics metrics) {
    this.metrics = metrics;
    this.before = now(metrics);
  }

  /** Remembers the counts now; {@link #moved} then tells what changed since. */
  public static LimitCounts of(BurnroomMetrics metrics) {
    return new LimitCounts(metrics);
  }

  /** The limits whose count changed since {@link #of}, with the change: a test expects exactly its own cause. */
  public Map<Limit, Double> moved() {
    Map<Limit, Double> m = now(metrics);
    m.replaceAll((limit, n) -> n - before.get(limit));
    m.values().removeIf(n -> n == 0);
    return m;
  }

  private static Map<Limit, Double> now(BurnroomMetrics metrics) {
    Map<Limit, Double> m = new EnumMap<>(Limit.class);
    for (Limit l : Limit.values()) {
      m.put(l, metrics.limitedCount(l));
    }
    return m;
  }
}
