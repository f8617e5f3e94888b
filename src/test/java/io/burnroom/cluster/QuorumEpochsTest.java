package io.burnroom.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Quorum epochs: a new epoch each time the quorum comes back, none while it holds")
class QuorumEpochsTest {
  @Test
  void countsReturnsOfTheQuorum() {
    QuorumEpochs e = new QuorumEpochs();
    assertThat(e.current()).as("alone at start").isZero();
    assertThat(e.observe(false)).isFalse();
    assertThat(e.current()).isZero();
    assertThat(e.observe(true)).isTrue();
    assertThat(e.current()).as("the quorum, first time").isEqualTo(1);
    for (int i = 0; i < 100; i++) {
      e.observe(true);
    }
    assertThat(e.current()).as("held: the same epoch").isEqualTo(1);
    e.observe(false); // fenced after a pause, or cut off
    e.observe(false);
    assertThat(e.current()).as("without it: no new epoch yet").isEqualTo(1);
    e.observe(true);
    assertThat(e.current()).as("back: a new epoch").isEqualTo(2);
  }
}
