package io.burnroom.room;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("PINs and their hashes")
class PinHashTest {
  private final Ids ids = new Ids();

  @Test
  @DisplayName("the right PIN matches in any case, a wrong one does not, and the hash never contains the PIN")
  void matches() {
    String pin = ids.pin();
    PinHash h = PinHash.of(pin, ids.salt());
    assertThat(h.matches(pin)).isTrue();
    assertThat(h.matches(pin.toLowerCase())).isTrue();
    assertThat(h.matches(" " + pin + " ")).isTrue();
    assertThat(h.matches(pin.substring(1) + "Z")).isFalse();
    assertThat(h.matches("")).isFalse();
    assertThat(h.encode()).doesNotContain(pin);
  }

  @Test
  @DisplayName("a hash survives encoding, and the same PIN under another salt hashes differently")
  void encodeAndSalt() {
    String pin = ids.pin();
    PinHash h = PinHash.of(pin, ids.salt());
    assertThat(PinHash.decode(h.encode()).matches(pin)).isTrue();
    assertThat(PinHash.of(pin, ids.salt()).encode()).isNotEqualTo(h.encode());
  }

  @Test
  @DisplayName("PINs are 8 characters from an alphabet without look-alikes, and ids are unguessable lengths")
  void shapes() {
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < 1000; i++) {
      String pin = ids.pin();
      assertThat(pin).hasSize(8).matches("[ABCDEFGHJKMNPQRSTUVWXYZ23456789]+");
      seen.add(pin);
    }
    assertThat(seen).hasSizeGreaterThan(990);
    assertThat(ids.roomId()).hasSize(22).matches("[A-Za-z0-9_-]+");
    assertThat(ids.memberId()).hasSize(12);
    assertThat(ids.resumeToken()).hasSize(32);
  }
}
