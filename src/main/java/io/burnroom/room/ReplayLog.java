package io.burnroom.room;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * The last relayed ciphertext frames, kept in memory only so that a member whose socket dropped gets what it missed
 * when it resumes (frames with a seq above the one it last saw). Bounded by count, bytes and age; burns with the room.
 */
final class ReplayLog {
  static final int MAX_ENTRIES = 256;
  static final long MAX_CHARS = 1L << 20;

  private record Entry(long seq, String from, String to, String frame, long at) {
  }

  private final Deque<Entry> entries = new ArrayDeque<>();
  private long chars;

  void add(long seq, String from, String to, String frame, long now) {
    entries.addLast(new Entry(seq, from, to, frame, now));
    chars += frame.length();
    while (entries.size() > MAX_ENTRIES || chars > MAX_CHARS) {
      chars -= entries.removeFirst().frame.length();
    }
  }

  /** Frames after {@code lastSeq} that {@code memberId} should have received, oldest first. */
  List<String> since(long lastSeq, String memberId) {
    List<String> out = new ArrayList<>();
    for (Entry e : entries) {
      if (e.seq > lastSeq && !e.from.equals(memberId) && (e.to == null || e.to.equals(memberId))) {
        out.add(e.frame);
      }
    }
    return out;
  }

  void dropOlderThan(long cutoff) {
    while (!entries.isEmpty() && entries.peekFirst().at < cutoff) {
      chars -= entries.removeFirst().frame.length();
    }
  }

  int size() {
    return entries.size();
  }
}
