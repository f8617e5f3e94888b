package io.burnroom.edge;

import io.burnroom.config.ByteRate;
import io.burnroom.config.ChunkLimits;

/**
 * One connection's attachment chunks (decision 47): at most {@link ChunkLimits#maxUnackedChunks()} unacknowledged,
 * paid for from the connection's byte budget instead of the frame rate. Pure and single-threaded, on the socket's
 * loop; the caller passes the time.
 */
final class ChunkWindow {
  /**
   * How a chunk frame begins when written as the web client writes it (type first): such a frame skips the frame
   * rate before it is parsed, so a sender is paced by bytes alone.
   */
  private static final String PREFIX = "{\"type\":\"chunk\"";

  private final ByteRate rate;
  private final int max;
  private int unacked;

  ChunkWindow(ChunkLimits limits, long now) {
    this.rate = limits.connectionRate(now);
    this.max = limits.maxUnackedChunks();
  }

  /** True when {@code text} is a chunk frame written type first. */
  static boolean isChunk(String text) {
    return text.startsWith(PREFIX);
  }

  boolean full() {
    return unacked >= max;
  }

  /**
   * Takes a chunk of {@code frameBytes} into the window: answers the earliest time its ack may leave (acks then leave
   * in the order their chunks came), or -1 when the window is full or the budget's debt would run past its maximum.
   */
  long admit(int frameBytes, long now) {
    long wait = full() ? -1 : rate.take(frameBytes, now);
    if (wait < 0) {
      return -1;
    }
    unacked++;
    return now + wait;
  }

  /** A chunk left the window: acknowledged, or refused by the room. */
  void release() {
    unacked--;
  }
}
