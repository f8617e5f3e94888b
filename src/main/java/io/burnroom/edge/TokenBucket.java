package io.burnroom.edge;

/**
 * A token bucket: {@code ratePerSecond} sustained, {@code burst} at once. Pure: the caller passes the time, so the
 * rule is tested without sleeping.
 */
public final class TokenBucket {
  private final double ratePerMs;
  private final double burst;
  private double tokens;
  private long last;

  public TokenBucket(double ratePerSecond, double burst, long now) {
    this.ratePerMs = ratePerSecond / 1000.0;
    this.burst = burst;
    this.tokens = burst;
    this.last = now;
  }

  /** Takes one token if there is one. */
  public boolean tryTake(long now) {
    refill(now);
    if (tokens >= 1) {
      tokens -= 1;
      return true;
    }
    return false;
  }

  /** Milliseconds until the next token (0 when one is available now). */
  public long millisUntilNext(long now) {
    refill(now);
    return tokens >= 1 ? 0 : (long) Math.ceil((1 - tokens) / ratePerMs);
  }

  /** True when the bucket is full again, so a per-source entry can be forgotten. */
  public boolean isFull(long now) {
    refill(now);
    return tokens >= burst;
  }

  private void refill(long now) {
    if (now > last) {
      tokens = Math.min(burst, tokens + (now - last) * ratePerMs);
      last = now;
    }
  }
}
