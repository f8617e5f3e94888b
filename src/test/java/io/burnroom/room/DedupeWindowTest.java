package io.burnroom.room;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("De-duplication window")
class DedupeWindowTest {
  @Test
  @DisplayName("remembers the seq of each client id and forgets the oldest beyond its size")
  void boundedMemory() {
    DedupeWindow w = new DedupeWindow(3);
    w.remember("a", 1);
    w.remember("b", 2);
    w.remember("c", 3);
    assertThat(w.seqOf("a")).isEqualTo(1);
    w.remember("d", 4);
    assertThat(w.seqOf("a")).isEqualTo(-1);
    assertThat(w.seqOf("d")).isEqualTo(4);
    assertThat(w.size()).isEqualTo(3);
  }

  @Test
  @DisplayName("survives a snapshot round trip")
  void snapshot() {
    DedupeWindow w = new DedupeWindow(10);
    w.remember("x", 7);
    assertThat(DedupeWindow.fromJson(w.toJson(), 10).seqOf("x")).isEqualTo(7);
  }
}
