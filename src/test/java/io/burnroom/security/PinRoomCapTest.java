package io.burnroom.security;

import static org.assertj.core.api.Assertions.assertThat;

import io.burnroom.room.PinGuard;
import io.burnroom.room.PinGuard.Verdict;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("PIN guard: the per-room cap against distributed guessing")
class PinRoomCapTest {
  private static final long MIN = 60_000;
  private static final int CAP = PinGuard.MAX_ROOM_FAILURES;

  @Test
  @DisplayName("many sources together get at most the room cap of wrong PINs per ten minutes")
  void capAcrossSources() {
    PinGuard g = new PinGuard();
    for (int i = 0; i < CAP - 1; i++) {
      assertThat(g.check("src" + i, i)).isEqualTo(Verdict.ALLOWED);
      assertThat(g.recordFailure("src" + i, i)).isEqualTo(Verdict.ALLOWED);
    }
    assertThat(g.recordFailure("last", CAP)).isEqualTo(Verdict.ROOM_LOCKED_OUT);
    assertThat(g.check("fresh-source", CAP + 1)).isEqualTo(Verdict.ROOM_LOCKED_OUT);
    // One try per failure that ages out: the budget slides, it never resets to a new burst at once.
    assertThat(g.check("fresh-source", 10 * MIN - 1)).isEqualTo(Verdict.ROOM_LOCKED_OUT);
    assertThat(g.check("fresh-source", 10 * MIN)).isEqualTo(Verdict.ALLOWED);
    assertThat(g.recordFailure("fresh-source", 10 * MIN)).isEqualTo(Verdict.ROOM_LOCKED_OUT);
    assertThat(g.check("another", 10 * MIN + 1)).isEqualTo(Verdict.ALLOWED);
  }

  @Test
  @DisplayName("a source's own lockout still wins over the room cap, so its socket is closed with 4029")
  void sourceLockoutFirst() {
    PinGuard g = new PinGuard();
    for (int i = 0; i < CAP - 3; i++) {
      g.recordFailure("src" + i, 0);
    }
    g.recordFailure("a", 1);
    g.recordFailure("a", 2);
    assertThat(g.recordFailure("a", 3)).isEqualTo(Verdict.LOCKED_OUT);
    assertThat(g.check("a", 4)).isEqualTo(Verdict.LOCKED_OUT);
    assertThat(g.check("b", 4)).isEqualTo(Verdict.ROOM_LOCKED_OUT);
  }

  @Test
  @DisplayName("the room's count survives a snapshot round trip, so a failover does not hand out a fresh budget")
  void snapshot() {
    PinGuard g = new PinGuard();
    for (int i = 0; i < CAP; i++) {
      g.recordFailure("src" + i, i);
    }
    PinGuard copy = PinGuard.fromJson(g.toJson());
    assertThat(copy.check("new", CAP + 1)).isEqualTo(Verdict.ROOM_LOCKED_OUT);
    copy.prune(11 * MIN);
    assertThat(copy.check("new", 11 * MIN)).isEqualTo(Verdict.ALLOWED);
    assertThat(PinGuard.fromJson(new PinGuard().toJson().copy()).check("x", 0)).isEqualTo(Verdict.ALLOWED);
  }
}
