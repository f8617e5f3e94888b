package io.burnroom.room;

import static org.assertj.core.api.Assertions.assertThat;

import io.burnroom.room.PinGuard.Verdict;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("PIN guard")
class PinGuardTest {
  private static final long MIN = 60_000;

  @Test
  @DisplayName("two wrong PINs are tolerated, the third locks the source out for ten minutes")
  void thirdFailureLocksOut() {
    PinGuard g = new PinGuard();
    assertThat(g.recordFailure("a", 0)).isEqualTo(Verdict.ALLOWED);
    assertThat(g.recordFailure("a", MIN)).isEqualTo(Verdict.ALLOWED);
    assertThat(g.check("a", 2 * MIN)).isEqualTo(Verdict.ALLOWED);
    assertThat(g.recordFailure("a", 2 * MIN)).isEqualTo(Verdict.LOCKED_OUT);
    assertThat(g.check("a", 2 * MIN + 1)).isEqualTo(Verdict.LOCKED_OUT);
    assertThat(g.check("a", 12 * MIN - 1)).isEqualTo(Verdict.LOCKED_OUT);
    assertThat(g.check("a", 12 * MIN)).isEqualTo(Verdict.ALLOWED);
  }

  @Test
  @DisplayName("failures older than the ten-minute window do not count")
  void windowSlides() {
    PinGuard g = new PinGuard();
    g.recordFailure("a", 0);
    g.recordFailure("a", 5 * MIN);
    assertThat(g.recordFailure("a", 10 * MIN + 1)).isEqualTo(Verdict.ALLOWED);
    assertThat(g.recordFailure("a", 11 * MIN)).isEqualTo(Verdict.LOCKED_OUT);
  }

  @Test
  @DisplayName("one source's failures never lock out another source")
  void sourcesAreIndependent() {
    PinGuard g = new PinGuard();
    for (int i = 0; i < 3; i++) {
      g.recordFailure("attacker", i);
    }
    assertThat(g.check("attacker", 10)).isEqualTo(Verdict.LOCKED_OUT);
    assertThat(g.check("creator", 10)).isEqualTo(Verdict.ALLOWED);
  }

  @Test
  @DisplayName("a lockout survives a snapshot round trip, and pruning forgets only what no longer matters")
  void snapshotAndPrune() {
    PinGuard g = new PinGuard();
    for (int i = 0; i < 3; i++) {
      g.recordFailure("a", i);
    }
    g.recordFailure("b", 0);
    PinGuard copy = PinGuard.fromJson(g.toJson());
    assertThat(copy.check("a", 5 * MIN)).isEqualTo(Verdict.LOCKED_OUT);
    copy.prune(5 * MIN);
    assertThat(copy.check("a", 5 * MIN)).isEqualTo(Verdict.LOCKED_OUT);
    copy.prune(11 * MIN);
    assertThat(copy.toJson().getJsonObject("lockedUntil")).isEmpty();
    assertThat(copy.toJson().getJsonObject("failures")).isEmpty();
  }
}
