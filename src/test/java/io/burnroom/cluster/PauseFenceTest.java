package io.burnroom.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Found by chaos/: a node woken from a SIGSTOP past failure detection served for a second or two on its old member
 * list, and its writes, newer than the other side's, won the merge. The fence keeps it from serving meanwhile.
 */
@DisplayName("Pause fence: a node silent past detection does not serve until the cluster could tell it where it stands")
class PauseFenceTest {
  private static final long MS = 1_000_000;

  @Test
  @DisplayName("ticks every 100 ms: never fenced; a 5 s silence: fenced at once, for 5 s after it")
  void fencesAfterAGap() {
    long t = 1_000 * MS;
    PauseFence f = new PauseFence(2_000, 5_000, t);
    for (int i = 0; i < 50; i++) {
      t += 100 * MS;
      f.tick(t);
      assertThat(f.check(t)).isFalse();
    }
    t += 5_000 * MS; // SIGSTOP: no tick for 5 s
    assertThat(f.check(t)).as("the first request after the pause, before any tick").isTrue();
    f.tick(t);
    for (int i = 0; i < 49; i++) {
      t += 100 * MS;
      f.tick(t);
      assertThat(f.check(t)).as("still fenced %d ms after the pause", (i + 1) * 100).isTrue();
    }
    t += 200 * MS;
    f.tick(t);
    assertThat(f.check(t)).as("5 s after the pause").isFalse();
  }

  @Test
  @DisplayName("a silence shorter than the gap (a GC pause, a busy loop) does not fence")
  void shortSilenceIsNoPause() {
    long t = 0;
    PauseFence f = new PauseFence(2_000, 5_000, t);
    t += 1_900 * MS;
    assertThat(f.check(t)).isFalse();
    f.tick(t);
    assertThat(f.check(t + 100 * MS)).isFalse();
  }

  @Test
  @DisplayName("while Hazelcast merges the node into the other half, and 2 s after: fenced")
  void fencedWhileMerging() {
    // Found by chaos/: merged but not yet republished, the node served, and frames delivered to its edges were lost.
    long t = 1_000 * MS;
    PauseFence f = new PauseFence(2_000, 5_000, t);
    f.tick(t);
    assertThat(f.check(t)).isFalse();
    f.merging(true, t, 2_000);
    for (int i = 0; i < 30; i++) {
      t += 100 * MS;
      f.tick(t);
      assertThat(f.check(t)).as("merging, %d ms", (i + 1) * 100).isTrue();
    }
    f.merging(false, t, 2_000);
    t += 1_900 * MS;
    f.tick(t);
    assertThat(f.check(t)).as("1.9 s after the merge").isTrue();
    t += 200 * MS;
    f.tick(t);
    assertThat(f.check(t)).as("2.1 s after the merge").isFalse();
  }
}
