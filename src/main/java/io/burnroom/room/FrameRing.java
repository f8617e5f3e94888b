package io.burnroom.room;

import java.util.ArrayList;
import java.util.List;

/**
 * Which replicated frame slots a room occupies. Each relayed frame is written once to the cluster under
 * {@code roomId/slot} with {@code slot = seq mod SLOTS}, so a newer frame simply overwrites the one {@link #SLOTS}
 * seqs older and a room never holds more than {@link #SLOTS} frames in the cluster, without a delete per message.
 * A character budget keeps rooms of very large messages small too: when it is exceeded, the oldest other slots are
 * cleared. The newest frame always stays, so the highest seq handed out can always be recovered.
 *
 * <p>Pure bookkeeping (no I/O): the room verticle turns {@link #put}'s answer into map writes and removals.
 */
final class FrameRing {
  /** Frames replicated per room; 64 so that every slot ever used fits one bit of a long. */
  static final int SLOTS = 64;
  /** Characters replicated per room: three frames of the largest legal body fit. */
  static final long MAX_CHARS = 256 * 1024;

  private final long[] seqs = new long[SLOTS];
  private final int[] chars = new int[SLOTS];
  private long total;
  private long everUsed;

  static int slot(long seq) {
    return (int) Math.floorMod(seq, (long) SLOTS);
  }

  /**
   * Records the frame {@code seq} of {@code length} characters in its slot (replacing what was there) and returns
   * the slots that must be cleared to stay within {@link #MAX_CHARS}, oldest first.
   */
  List<Integer> put(long seq, int length) {
    int s = slot(seq);
    total -= chars[s];
    seqs[s] = seq;
    chars[s] = length;
    total += length;
    everUsed |= 1L << s;
    List<Integer> cleared = List.of();
    while (total > MAX_CHARS) {
      int oldest = oldestOtherThan(s);
      if (oldest < 0) {
        break;
      }
      if (cleared.isEmpty()) {
        cleared = new ArrayList<>(2);
      }
      cleared.add(oldest);
      total -= chars[oldest];
      seqs[oldest] = 0;
      chars[oldest] = 0;
    }
    return cleared;
  }

  /** True when {@code seq}'s frame still holds its slot (not overwritten by a newer one, nor cleared). */
  boolean holds(long seq) {
    return seq > 0 && seqs[slot(seq)] == seq;
  }

  private int oldestOtherThan(int keep) {
    int oldest = -1;
    for (int i = 0; i < SLOTS; i++) {
      if (i != keep && seqs[i] > 0 && (oldest < 0 || seqs[i] < seqs[oldest])) {
        oldest = i;
      }
    }
    return oldest;
  }

  /** Every slot this room has ever written (even if cleared since): what a burn must remove from the cluster. */
  List<Integer> everUsed() {
    List<Integer> out = new ArrayList<>(Long.bitCount(everUsed));
    for (int i = 0; i < SLOTS; i++) {
      if ((everUsed & (1L << i)) != 0) {
        out.add(i);
      }
    }
    return out;
  }

  long chars() {
    return total;
  }
}
