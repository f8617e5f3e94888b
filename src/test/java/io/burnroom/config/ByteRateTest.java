package io.burnroom.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("ByteRate: a byte budget that paces acknowledgements and refuses only past its debt")
class ByteRateTest {
  private static final long KIB = 1024;

  @Test
  @DisplayName("within the burst nothing waits")
  void burstIsFree() {
    ByteRate r = new ByteRate(1000 * KIB, 256 * KIB, 512 * KIB, 0);
    for (int i = 0; i < 4; i++) {
      assertThat(r.take(64 * KIB, 0)).isZero();
    }
    assertThat(r.take(0, 0)).isZero();
  }

  @Test
  @DisplayName("past the burst the wait is the debt divided by the rate, and it shrinks as time passes")
  void debtMeansWaiting() {
    ByteRate r = new ByteRate(1_000_000, 0, 1_000_000, 0); // 1000 bytes per ms
    assertThat(r.take(50_000, 0)).isEqualTo(50);
    assertThat(r.take(50_000, 0)).isEqualTo(100);
    assertThat(r.take(0, 40)).isEqualTo(60);
    assertThat(r.take(0, 100)).isZero();
    assertThat(r.take(1_000, 100)).isEqualTo(1);
  }

  @Test
  @DisplayName("a take that would run the debt past its maximum is refused and takes nothing")
  void refusedPastMaxDebt() {
    ByteRate r = new ByteRate(1_000_000, 0, 100_000, 0);
    assertThat(r.take(100_000, 0)).isEqualTo(100);
    assertThat(r.take(1, 0)).isEqualTo(-1);
    assertThat(r.take(0, 0)).as("the refused take left the debt as it was").isEqualTo(100);
    assertThat(r.take(10_000, 10)).as("time pays the debt back").isEqualTo(100);
  }

  @Test
  @DisplayName("a refund gives back what a refused action took, never past the burst")
  void refund() {
    ByteRate r = new ByteRate(1_000_000, 10_000, 100_000, 0);
    assertThat(r.take(60_000, 0)).isEqualTo(50);
    r.refund(60_000);
    assertThat(r.take(0, 0)).isZero();
    r.refund(1_000_000);
    assertThat(r.take(10_000, 0)).as("a full burst, no more").isZero();
    assertThat(r.take(1_000, 0)).isEqualTo(1);
  }

  @Test
  @DisplayName("a sender that waits for each wait is held to the rate over a long run")
  void pacedSenderGetsTheRate() {
    long rate = 8L * 1024 * 1024;
    ByteRate r = new ByteRate(rate, KIB * KIB, KIB * KIB, 0);
    long now = 0;
    long sent = 0;
    while (sent < 100L * 1024 * 1024) {
      long wait = r.take(65_540, now);
      assertThat(wait).isNotNegative();
      sent += 65_540;
      now += wait;
    }
    // 100 MiB at 8 MiB/s, less the 1 MiB burst: 12.375 s
    assertThat(now).isBetween(12_300L, 12_450L);
  }

  @Test
  @DisplayName("the balance never grows past the burst while idle, and the clock going back changes nothing")
  void idleAndClockBack() {
    ByteRate r = new ByteRate(1_000_000, 10_000, 0, 0);
    assertThat(r.take(10_000, 1_000_000)).isZero();
    assertThat(r.take(1, 1_000_000)).isEqualTo(-1);
    assertThat(r.take(1, 999_000)).isEqualTo(-1);
    assertThat(r.take(1_000, 1_000_001)).isZero();
    assertThatThrownBy(() -> new ByteRate(0, 1, 1, 0)).isInstanceOf(IllegalArgumentException.class);
  }
}
