package io.burnroom.room;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Tick schedule")
class TickScheduleTest {
  @Test
  @DisplayName("with more than a minute left, the timer fires on the next 10-second mark of remaining time")
  void slowTicks() {
    long exp = 1_000_000;
    assertThat(TickSchedule.delayUntilNextMark(exp - 300_000, exp)).isEqualTo(10_000);
    assertThat(TickSchedule.delayUntilNextMark(exp - 295_500, exp)).isEqualTo(5_500);
    assertThat(TickSchedule.delayUntilNextMark(exp - 61_000, exp)).isEqualTo(1_000);
    assertThat(TickSchedule.delayUntilNextMark(exp - 65_000, exp)).isEqualTo(5_000);
  }

  @Test
  @DisplayName("in the last minute it fires every second, and the last timer fires exactly at expiry")
  void fastTicksAndBurn() {
    long exp = 1_000_000;
    assertThat(TickSchedule.delayUntilNextMark(exp - 60_000, exp)).isEqualTo(1_000);
    assertThat(TickSchedule.delayUntilNextMark(exp - 1_500, exp)).isEqualTo(500);
    assertThat(TickSchedule.delayUntilNextMark(exp - 1_000, exp)).isEqualTo(1_000);
    assertThat(TickSchedule.delayUntilNextMark(exp - 999, exp)).isEqualTo(999);
    assertThat(TickSchedule.delayUntilNextMark(exp - 1, exp)).isEqualTo(1);
  }

  @Test
  @DisplayName("at or after expiry the delay is zero: burn now")
  void expired() {
    assertThat(TickSchedule.delayUntilNextMark(10, 10)).isZero();
    assertThat(TickSchedule.delayUntilNextMark(20, 10)).isZero();
  }

  @Test
  @DisplayName("a late timer never pushes later marks: the schedule is recomputed from the wall clock")
  void lateTimerDoesNotDrift() {
    long exp = 1_000_000;
    long now = exp - 30_000 + 250; // fired 250 ms late for the 30 s mark
    assertThat(now + TickSchedule.delayUntilNextMark(now, exp)).isEqualTo(exp - 29_000);
  }
}
