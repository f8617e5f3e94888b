package io.burnroom.config;

/**
 * A byte budget that paces instead of refusing: {@code bytesPerSecond} sustained, {@code burstBytes} at once, and a
 * debt of up to {@code maxDebtBytes} taken on credit. {@link #take} answers how long the caller should hold back the
 * acknowledgement of what it just let through, so a sender that waits for its acks is slowed to the rate without an
 * error; only a sender that ignores them runs past the debt and is refused. Pure: the caller passes the time, so
 * the rule is tested without sleeping. Used for attachment chunks, per connection (edge), per room and per node
 * (decision 47); the node's is shared by the rooms of every event loop, so the methods are synchronized (uncontended
 * for the others).
 */
public final class ByteRate {
  private final double bytesPerMs;
  private final double burst;
  private final double maxDebt;
  /** Bytes available now; negative while in debt. */
  private double balance;
  private long last;

  public ByteRate(long bytesPerSecond, long burstBytes, long maxDebtBytes, long now) {
    if (bytesPerSecond <= 0 || burstBytes < 0 || maxDebtBytes < 0) {
      throw new IllegalArgumentException("rates and sizes must be positive");
    }
    this.bytesPerMs = bytesPerSecond / 1000.0;
    this.burst = burstBytes;
    this.maxDebt = maxDebtBytes;
    this.balance = burstBytes;
    this.last = now;
  }

  /**
   * Takes {@code bytes}: answers the milliseconds until the budget is out of debt again (0 when it never went into
   * debt), or -1 when taking them would run the debt past its maximum; then nothing is taken.
   */
  public synchronized long take(long bytes, long now) {
    refill(now);
    double after = balance - bytes;
    if (after < -maxDebt) {
      return -1;
    }
    balance = after;
    return after >= 0 ? 0 : (long) Math.ceil(-after / bytesPerMs);
  }

  /** Gives back {@code bytes} taken a moment ago for something that was refused after all. */
  public synchronized void refund(long bytes) {
    balance = Math.min(burst, balance + bytes);
  }

  private void refill(long now) {
    if (now > last) {
      balance = Math.min(burst, balance + (now - last) * bytesPerMs);
      last = now;
    }
  }
}
