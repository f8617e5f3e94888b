package io.burnroom.edge;

import static org.assertj.core.api.Assertions.assertThat;

import io.burnroom.config.ChunkLimits;
import io.burnroom.config.Limits;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("A connection's chunk window (decision 47)")
class ChunkWindowTest {
  /** 1 MiB/s: a full frame (66,560 bytes) is ~63 ms of budget; burst and debt are 8 frames each. */
  private final ChunkWindow window = new ChunkWindow(new ChunkLimits(10 << 20, 1 << 20, 64 << 20, 256 << 20, 8), 0);

  @Test
  @DisplayName("8 chunks fit the burst and their acks may leave at once; a 9th is refused until one is released")
  void windowOfEight() {
    for (int i = 0; i < 8; i++) {
      assertThat(window.admit(Limits.FRAME_MAX, 0)).isZero();
    }
    assertThat(window.full()).isTrue();
    assertThat(window.admit(100, 0)).isEqualTo(-1);
    window.release();
    assertThat(window.full()).isFalse();
    assertThat(window.admit(Limits.FRAME_MAX, 0)).as("past the burst: its ack waits for the budget").isEqualTo(64);
  }

  @Test
  @DisplayName("acks of later chunks never may leave before those of earlier ones, and the debt is bounded")
  void ordered() {
    long last = 0;
    int admitted = 0;
    for (int i = 0; i < 16; i++) {
      long at = window.admit(Limits.FRAME_MAX, 0);
      if (at < 0) {
        break;
      }
      assertThat(at).isGreaterThanOrEqualTo(last);
      last = at;
      admitted++;
      window.release();
    }
    assertThat(admitted).as("burst plus debt, 8 frames each").isEqualTo(16);
    assertThat(window.admit(Limits.FRAME_MAX, 0)).isEqualTo(-1);
  }

  @Test
  @DisplayName("a chunk frame written type first is known before parsing; other field orders are not")
  void sniff() {
    assertThat(ChunkWindow.isChunk("{\"type\":\"chunk\",\"id\":\"a\",\"body\":\"QQ\"}")).isTrue();
    assertThat(ChunkWindow.isChunk("{\"id\":\"a\",\"type\":\"chunk\",\"body\":\"QQ\"}")).isFalse();
    assertThat(ChunkWindow.isChunk("{\"type\":\"msg\",\"id\":\"a\",\"body\":\"QQ\"}")).isFalse();
  }
}
