package io.burnroom.edge;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Rate limits")
class RateRulesTest {
  @Test
  @DisplayName("a token bucket allows its burst, then its rate, and says how long to wait")
  void tokenBucket() {
    TokenBucket b = new TokenBucket(10, 20, 0);
    for (int i = 0; i < 20; i++) {
      assertThat(b.tryTake(0)).isTrue();
    }
    assertThat(b.tryTake(0)).isFalse();
    assertThat(b.millisUntilNext(0)).isEqualTo(100);
    assertThat(b.tryTake(99)).isFalse();
    assertThat(b.tryTake(100)).isTrue();
    assertThat(b.isFull(100 + 2_000)).isTrue();
  }

  @Test
  @DisplayName("room creation is limited per source; other sources are unaffected; idle sources are forgotten")
  void perSource() {
    SourceLimiter l = new SourceLimiter(10 / 60.0, 10);
    for (int i = 0; i < 10; i++) {
      assertThat(l.acquire("1.2.3.4", 0)).isZero();
    }
    long wait = l.acquire("1.2.3.4", 0);
    assertThat(wait).isBetween(5_000L, 6_000L);
    assertThat(l.acquire("5.6.7.8", 0)).isZero();
    for (int i = 0; i < 2000; i++) {
      l.acquire("10.0." + (i / 256) + "." + (i % 256), 1_000);
    }
    assertThat(l.trackedSources()).isGreaterThan(900);
    for (int i = 0; i < 1100; i++) {
      l.acquire("9.9.9.9", 600_000 + i * 10_000L);
    }
    assertThat(l.trackedSources()).isLessThan(5);
  }
}
