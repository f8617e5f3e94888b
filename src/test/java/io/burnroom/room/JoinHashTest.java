package io.burnroom.room;

import static org.assertj.core.api.Assertions.assertThat;

import java.security.MessageDigest;
import java.util.Base64;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

@DisplayName("Join hash: the SHA-256 of a room's join token")
class JoinHashTest {
  private static final Base64.Encoder B64URL = Base64.getUrlEncoder().withoutPadding();

  static byte[] token(int seed) {
    byte[] t = new byte[32];
    for (int i = 0; i < t.length; i++) {
      t[i] = (byte) (seed * 31 + i * 7);
    }
    return t;
  }

  static String hashOf(byte[] token) throws Exception {
    return B64URL.encodeToString(MessageDigest.getInstance("SHA-256").digest(token));
  }

  @Test
  @DisplayName("admits exactly the token whose SHA-256 was registered")
  void admitsItsToken() throws Exception {
    JoinHash h = JoinHash.fromWire(hashOf(token(1)));
    assertThat(h).isNotNull();
    assertThat(h.admits(B64URL.encodeToString(token(1)))).isTrue();
    assertThat(h.admits(B64URL.encodeToString(token(2)))).isFalse();
    assertThat(h.admits(hashOf(token(1)))).as("the hash itself is not a token").isFalse();
    assertThat(h.admits(null)).isFalse();
    assertThat(h.admits("")).isFalse();
    assertThat(JoinHash.of(token(1)).toWire()).isEqualTo(hashOf(token(1)));
  }

  @Test
  @DisplayName("reads back what it writes, and never prints the hash")
  void roundTrip() throws Exception {
    String wire = hashOf(token(3));
    assertThat(JoinHash.fromWire(wire).toWire()).isEqualTo(wire);
    assertThat(JoinHash.fromWire(wire).toString()).doesNotContain(wire.substring(0, 8));
  }

  @ParameterizedTest(name = "\"{0}\"")
  @DisplayName("only canonical unpadded base64url of exactly 32 bytes is a hash")
  @ValueSource(strings = {
      "",
      "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", // 42 characters
      "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", // 44 characters: 33 bytes
      "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", // padded
      "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA+", // base64, not base64url
      "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA/",
      "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA.",
      "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB", // unused low bits set: a second spelling of another value
      "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAé"})
  void malformed(String wire) {
    assertThat(JoinHash.fromWire(wire)).isNull();
    assertThat(JoinHash.fromWire("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")).isNotNull();
    assertThat(JoinHash.fromWire("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAE")).isNotNull();
  }
}
