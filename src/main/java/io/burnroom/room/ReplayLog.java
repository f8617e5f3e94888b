package io.burnroom.room;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The last relayed ciphertext frames, kept in memory only so that a member whose socket dropped gets what it missed
 * when it resumes (frames with a seq above the one it last saw). Bounded by count, bytes and age; burns with the room.
 *
 * <p>Frames are copied as UTF-8 into one byte ring per room (chunks of {@link #CHUNK}), with their seq, sender, recipient and time in parallel
 * arrays, instead of keeping a string and an entry object per frame: a busy room's last 256 frames otherwise lived
 * just long enough to be copied by every young collection (decision 20). A resume,
 * which is rare, turns the bytes it needs back into strings. The arrays are created by the first frame, grow up to
 * {@link #MAX_BYTES} and are dropped again once the log has aged empty.
 */
final class ReplayLog {
  static final int MAX_ENTRIES = 256;
  static final int MAX_BYTES = 1 << 20;
  /**
   * The byte ring is made of chunks of this size, not one array: G1 puts an array of half a region or more (512 KiB
   * with this heap) in a whole region of its own, which made each busy room cost 1 MiB whatever it held.
   */
  static final int CHUNK = 16 * 1024;

  private long[] seqs;
  private long[] ats;
  /** Member ids: the room's own strings, which live as long as the members do. */
  private String[] froms;
  private String[] tos;
  private int[] starts;
  private int[] lengths;
  private byte[][] chunks;
  private int first;
  private int count;
  /** Where the next frame's bytes go in the ring, and how many bytes the entries hold. */
  private int head;
  private int used;

  void add(long seq, String from, String to, String frame, long now) {
    add(seq, from, to, frame.getBytes(StandardCharsets.UTF_8), now);
  }

  /** {@code utf8}: the frame's UTF-8 bytes, copied into the ring (the caller may share the array elsewhere). */
  void add(long seq, String from, String to, byte[] utf8, long now) {
    if (utf8.length > MAX_BYTES) {
      return; // could never be kept: what the bounds would have dropped at once
    }
    if (seqs == null) {
      seqs = new long[MAX_ENTRIES];
      ats = new long[MAX_ENTRIES];
      froms = new String[MAX_ENTRIES];
      tos = new String[MAX_ENTRIES];
      starts = new int[MAX_ENTRIES];
      lengths = new int[MAX_ENTRIES];
      chunks = new byte[0][];
    }
    while (count == MAX_ENTRIES || used + utf8.length > capacity()) {
      if (used + utf8.length > capacity() && capacity() < MAX_BYTES) {
        grow(used + utf8.length);
      } else {
        removeFirst();
      }
    }
    int slot = (first + count) % MAX_ENTRIES;
    seqs[slot] = seq;
    ats[slot] = now;
    froms[slot] = from;
    tos[slot] = to;
    starts[slot] = head;
    lengths[slot] = utf8.length;
    copyIn(utf8, head);
    head = (head + utf8.length) % capacity();
    used += utf8.length;
    count++;
  }

  /** Frames after {@code lastSeq} that {@code memberId} should have received, oldest first. */
  List<String> since(long lastSeq, String memberId) {
    List<String> out = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      int slot = (first + i) % MAX_ENTRIES;
      if (seqs[slot] > lastSeq && !froms[slot].equals(memberId) && (tos[slot] == null || tos[slot].equals(memberId))) {
        out.add(new String(frameBytes(slot), StandardCharsets.UTF_8));
      }
    }
    return out;
  }

  /** One frame of the log, as {@link #forEachSince} hands it out. */
  interface Visitor {
    void frame(long seq, String from, String to, String frame, long at);
  }

  /** Every frame relayed at {@code cutoff} or later, oldest first (a rare walk: each frame is decoded again). */
  void forEachSince(long cutoff, Visitor visitor) {
    for (int i = 0; i < count; i++) {
      int slot = (first + i) % MAX_ENTRIES;
      if (ats[slot] >= cutoff) {
        visitor.frame(seqs[slot], froms[slot], tos[slot], new String(frameBytes(slot), StandardCharsets.UTF_8),
            ats[slot]);
      }
    }
  }

  void dropOlderThan(long cutoff) {
    while (count > 0 && ats[first] < cutoff) {
      removeFirst();
    }
    if (count == 0 && seqs != null) {
      // A quiet room goes back to costing nothing.
      seqs = null;
      ats = null;
      froms = null;
      tos = null;
      starts = null;
      lengths = null;
      chunks = null;
      first = 0;
      head = 0;
      used = 0;
    }
  }

  int size() {
    return count;
  }

  /** Bytes of frame text held (for tests of the bounds). */
  int bytesHeld() {
    return used;
  }

  private int capacity() {
    return chunks.length * CHUNK;
  }

  private void removeFirst() {
    used -= lengths[first];
    froms[first] = null;
    tos[first] = null;
    first = (first + 1) % MAX_ENTRIES;
    count--;
  }

  /** Doubles the chunks (up to {@link #MAX_BYTES}) until {@code needed} bytes fit; frames move, oldest first. */
  private void grow(int needed) {
    int n = Math.max(1, chunks.length);
    while (n * CHUNK < needed) {
      n *= 2;
    }
    n = Math.min(n, MAX_BYTES / CHUNK);
    // Read every frame out before writing them back from the start of the larger ring, oldest first.
    byte[][] frames = new byte[count][];
    for (int i = 0; i < count; i++) {
      frames[i] = frameBytes((first + i) % MAX_ENTRIES);
    }
    int had = chunks.length;
    chunks = Arrays.copyOf(chunks, n);
    for (int i = had; i < n; i++) {
      chunks[i] = new byte[CHUNK];
    }
    int at = 0;
    for (int i = 0; i < count; i++) {
      int slot = (first + i) % MAX_ENTRIES;
      copyIn(frames[i], at);
      starts[slot] = at;
      at += frames[i].length;
    }
    head = at % capacity();
  }

  private byte[] frameBytes(int slot) {
    byte[] out = new byte[lengths[slot]];
    transfer(out, starts[slot], false);
    return out;
  }

  private void copyIn(byte[] frame, int pos) {
    transfer(frame, pos, true);
  }

  /** Copies between {@code buf} and the ring from {@code pos}, across chunk ends and the ring's wrap. */
  private void transfer(byte[] buf, int pos, boolean intoRing) {
    for (int done = 0; done < buf.length; ) {
      int inChunk = pos % CHUNK;
      int n = Math.min(buf.length - done, CHUNK - inChunk);
      byte[] chunk = chunks[pos / CHUNK];
      if (intoRing) {
        System.arraycopy(buf, done, chunk, inChunk, n);
      } else {
        System.arraycopy(chunk, inChunk, buf, done, n);
      }
      done += n;
      pos = (pos + n) % capacity();
    }
  }
}
