package io.burnroom.room;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Frame ring: which replicated frame slots a room occupies")
class FrameRingTest {
  private final FrameRing ring = new FrameRing();

  @Test
  @DisplayName("a frame SLOTS seqs newer overwrites the older one in place: nothing to clear, memory stays bounded")
  void overwritesInPlace() {
    for (long seq = 1; seq <= 3 * FrameRing.SLOTS; seq++) {
      assertThat(ring.put(seq, 1_000)).isEmpty();
    }
    assertThat(ring.chars()).isEqualTo(FrameRing.SLOTS * 1_000L);
    assertThat(ring.everUsed()).hasSize(FrameRing.SLOTS);
    assertThat(FrameRing.slot(1)).isEqualTo(FrameRing.slot(1 + FrameRing.SLOTS));
  }

  @Test
  @DisplayName("over the character budget the oldest other slots are cleared, and the newest frame always stays")
  void charBudgetClearsOldest() {
    int big = (int) (FrameRing.MAX_CHARS / 3);
    assertThat(ring.put(1, big)).isEmpty();
    assertThat(ring.put(2, big)).isEmpty();
    assertThat(ring.put(3, big)).isEmpty();
    assertThat(ring.put(4, 10)).containsExactly(FrameRing.slot(1));
    assertThat(ring.chars()).isLessThanOrEqualTo(FrameRing.MAX_CHARS);
    assertThat(ring.put(5, (int) FrameRing.MAX_CHARS + 5)).as("even a frame over the budget on its own is kept")
        .containsExactly(FrameRing.slot(2), FrameRing.slot(3), FrameRing.slot(4));
    assertThat(ring.chars()).isEqualTo(FrameRing.MAX_CHARS + 5);
    assertThat(ring.everUsed()).as("a burn still removes the cleared slots, in case a clear failed")
        .containsExactly(1, 2, 3, 4, 5);
  }
}
