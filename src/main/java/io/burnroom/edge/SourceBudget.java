package io.burnroom.edge;

import io.burnroom.metrics.BurnroomMetrics;
import io.burnroom.metrics.BurnroomMetrics.Limit;
import java.time.Clock;

/** A node-wide per-source budget ({@link SourceLimiter}) whose refusals are counted under one {@link Limit}. */
final class SourceBudget {
  private final SourceLimiter limiter;
  private final Limit limit;
  private final Clock clock;
  private final BurnroomMetrics metrics;

  SourceBudget(SourceLimiter limiter, Limit limit, Clock clock, BurnroomMetrics metrics) {
    this.limiter = limiter;
    this.limit = limit;
    this.clock = clock;
    this.metrics = metrics;
  }

  /** 0 when {@code source} may go ahead (and is counted), else the milliseconds until it may. */
  long take(String source) {
    long wait = limiter.acquire(source, clock.millis());
    if (wait > 0) {
      metrics.limited(limit);
    }
    return wait;
  }
}
