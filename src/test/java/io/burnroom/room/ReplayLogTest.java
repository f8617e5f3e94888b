package io.burnroom.room;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Replay log")
class ReplayLogTest {
  private record Frame(long seq, String from, String to, String text, long at) {
    int bytes() {
      return text.getBytes(StandardCharsets.UTF_8).length;
    }
  }

  @Test
  @DisplayName("replays to a resuming member what it missed: newer than its seq, not its own, not addressed to others")
  void whatAMemberMissed() {
    ReplayLog log = new ReplayLog();
    log.add(1, "alice", null, "one", 0);
    log.add(2, "bob", null, "two", 0);
    log.add(3, "alice", "bob", "three, to bob", 0);
    log.add(4, "alice", "carol", "four, to carol", 0);
    log.add(5, "carol", null, "five ✓", 0);
    assertThat(log.since(1, "bob")).containsExactly("three, to bob", "five ✓");
    assertThat(log.since(0, "alice")).containsExactly("two", "five ✓");
    assertThat(log.since(5, "bob")).isEmpty();
  }

  @Test
  @DisplayName("keeps at most 256 frames and 1 MiB, oldest out first, exactly like a plain bounded list")
  void agreesWithAModel() {
    Random random = new Random(5);
    ReplayLog log = new ReplayLog();
    Deque<Frame> model = new ArrayDeque<>();
    long modelBytes = 0;
    String[] members = {"m1", "m2", "m3"};
    for (int seq = 1; seq <= 3_000; seq++) {
      String text = frameText(random, seq);
      Frame f = new Frame(seq, members[random.nextInt(3)], random.nextInt(5) == 0 ? members[random.nextInt(3)] : null,
          text, seq);
      log.add(f.seq(), f.from(), f.to(), f.text(), f.at());
      model.addLast(f);
      modelBytes += f.bytes();
      while (model.size() > ReplayLog.MAX_ENTRIES || modelBytes > ReplayLog.MAX_BYTES) {
        modelBytes -= model.removeFirst().bytes();
      }
      assertThat(log.size()).as("after seq %d", seq).isEqualTo(model.size());
      assertThat(log.bytesHeld()).isEqualTo((int) modelBytes);
      if (seq % 97 == 0) {
        long since = seq - random.nextInt(400);
        for (String m : members) {
          assertThat(log.since(since, m)).as("seq %d since %d for %s", seq, since, m)
              .containsExactlyElementsOf(expected(model, since, m));
        }
      }
    }
  }

  @Test
  @DisplayName("a frame larger than the whole budget is not kept, and the rest stays")
  void oversizeFrame() {
    ReplayLog log = new ReplayLog();
    log.add(1, "a", null, "small", 0);
    log.add(2, "a", null, "x".repeat(ReplayLog.MAX_BYTES + 1), 0);
    assertThat(log.since(0, "b")).containsExactly("small");
  }

  @Test
  @DisplayName("ages out by time, and an emptied log starts afresh")
  void agesOut() {
    ReplayLog log = new ReplayLog();
    log.add(1, "a", null, "old", 1_000);
    log.add(2, "a", null, "new", 5_000);
    log.dropOlderThan(2_000);
    assertThat(log.since(0, "b")).containsExactly("new");
    log.dropOlderThan(10_000);
    assertThat(log.size()).isZero();
    assertThat(log.bytesHeld()).isZero();
    log.add(3, "a", null, "again", 11_000);
    assertThat(log.since(0, "b")).containsExactly("again");
  }

  private static List<String> expected(Deque<Frame> model, long since, String member) {
    List<String> out = new ArrayList<>();
    for (Frame f : model) {
      if (f.seq() > since && !f.from().equals(member) && (f.to() == null || f.to().equals(member))) {
        out.add(f.text());
      }
    }
    return out;
  }

  /** Mostly 1 KiB frames, some tiny, some of 20-70 KiB (they force growth, wrap-around and the byte bound). */
  private static String frameText(Random random, int seq) {
    int kind = random.nextInt(20);
    int length = kind == 0 ? 20_000 + random.nextInt(50_000) : kind < 4 ? random.nextInt(40) : 1_000 + random.nextInt(100);
    StringBuilder b = new StringBuilder(length + 16).append(seq).append(':');
    for (int i = 0; i < length; i++) {
      b.append(i % 97 == 0 ? 'é' : (char) ('a' + (i + seq) % 26));
    }
    return b.toString();
  }
}
