package io.burnroom.edge;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("A node reports a chunk delivery once all its edges wrote it (decision 50)")
class ChunkReceiptsTest {
  @Test
  @DisplayName("one edge: at once; three edges: the third one reports, per room and serial")
  void lastEdgeReports() {
    ChunkReceipts r = new ChunkReceipts();
    r.edgeStarted();
    assertThat(r.written("room", 1)).isTrue();
    r.edgeStarted();
    r.edgeStarted();
    assertThat(r.written("room", 2)).isFalse();
    assertThat(r.written("other", 2)).isFalse();
    assertThat(r.written("room", 2)).isFalse();
    assertThat(r.written("room", 2)).isTrue();
    assertThat(r.openCount()).isEqualTo(1);
    r.edgeStopped();
    assertThat(r.written("other", 2)).as("an edge stopped: two are all there are").isTrue();
    assertThat(r.openCount()).isZero();
  }

  @Test
  @DisplayName("counts left open by an edge that stopped taking deliveries are bounded")
  void bounded() {
    ChunkReceipts r = new ChunkReceipts();
    r.edgeStarted();
    r.edgeStarted();
    for (int i = 1; i <= ChunkReceipts.MAX_OPEN + 10; i++) {
      r.written("room", i);
    }
    assertThat(r.openCount()).isLessThanOrEqualTo(ChunkReceipts.MAX_OPEN + 1);
  }
}
