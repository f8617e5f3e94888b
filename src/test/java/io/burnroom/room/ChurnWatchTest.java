package io.burnroom.room;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("after a burst of cluster changes, rooms write again once it is quiet and settled")
class ChurnWatchTest {
  private final ChurnWatch churn = new ChurnWatch();

  @Test
  @DisplayName("nothing is due without an event, nor before the cluster has been quiet for QUIET_MS")
  void quietFirst() {
    assertThat(churn.due(100_000)).isFalse();
    churn.event(100_000);
    churn.event(101_000);
    assertThat(churn.due(101_000 + ChurnWatch.QUIET_MS - 1)).isFalse();
    assertThat(churn.due(101_000 + ChurnWatch.QUIET_MS)).isTrue();
  }

  @Test
  @DisplayName("settled: the rooms write from LOOKBACK_MS before the burst's first event, once")
  void settledOnce() {
    churn.event(100_000);
    churn.event(104_000);
    long checked = 104_000 + ChurnWatch.QUIET_MS;
    assertThat(churn.settled(checked)).hasValue(100_000 - ChurnWatch.LOOKBACK_MS);
    assertThat(churn.due(checked + 10_000)).isFalse();
    assertThat(churn.settled(checked + 10_000)).isEmpty();
  }

  @Test
  @DisplayName("an event after the check began keeps the burst open: nothing now, due again once quiet")
  void eventDuringCheck() {
    churn.event(100_000);
    long checked = 100_000 + ChurnWatch.QUIET_MS;
    churn.event(checked + 500);
    assertThat(churn.settled(checked)).isEmpty();
    assertThat(churn.due(checked + 500 + ChurnWatch.QUIET_MS)).isTrue();
    assertThat(churn.settled(checked + 500 + ChurnWatch.QUIET_MS)).hasValue(100_000 - ChurnWatch.LOOKBACK_MS);
  }
}
