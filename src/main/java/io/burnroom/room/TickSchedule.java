package io.burnroom.room;

/**
 * When the room's next timer fires: on every 10-second mark of the remaining time, on every second in the last
 * minute, and exactly at expiry. Always computed from the wall clock, so a late timer never shifts later ones.
 */
public final class TickSchedule {
  public static final long LAST_MINUTE_MS = 60_000;
  public static final long SLOW_TICK_MS = 10_000;
  public static final long FAST_TICK_MS = 1_000;

  private TickSchedule() {
  }

  /** Milliseconds from {@code now} until the next mark (0 when the room is due to burn). */
  public static long delayUntilNextMark(long now, long expiresAt) {
    long remaining = expiresAt - now;
    if (remaining <= 0) {
      return 0;
    }
    return remaining - nextMark(remaining);
  }

  /** The remaining time at the next mark: the largest mark strictly below {@code remaining}. */
  static long nextMark(long remaining) {
    if (remaining > LAST_MINUTE_MS) {
      return Math.max(LAST_MINUTE_MS, ((remaining - 1) / SLOW_TICK_MS) * SLOW_TICK_MS);
    }
    return ((remaining - 1) / FAST_TICK_MS) * FAST_TICK_MS;
  }
}
