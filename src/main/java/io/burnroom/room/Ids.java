package io.burnroom.room;

import java.security.SecureRandom;
import java.util.Base64;

/** Random identifiers and secrets, all from one {@link SecureRandom}. */
public final class Ids {
  private static final Base64.Encoder URL = Base64.getUrlEncoder().withoutPadding();
  /** No 0/O, 1/I/L: a PIN is read off a screen and typed by hand. */
  private static final char[] PIN_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789".toCharArray();
  public static final int PIN_LENGTH = 8;

  private final SecureRandom random;

  public Ids(SecureRandom random) {
    this.random = random;
  }

  public Ids() {
    this(new SecureRandom());
  }

  /** 128 random bits: a room id that nobody can guess. */
  public String roomId() {
    return bytes(16);
  }

  /** 72 random bits: unique among a room's members and unguessable by outsiders. */
  public String memberId() {
    return bytes(9);
  }

  /** 192 random bits: the secret that lets a dropped member take its seat back. */
  public String resumeToken() {
    return bytes(24);
  }

  public byte[] salt() {
    byte[] b = new byte[16];
    random.nextBytes(b);
    return b;
  }

  /** 8 characters of a 31-letter alphabet: about 40 bits, far beyond 3 guesses per 10 minutes. */
  public String pin() {
    char[] c = new char[PIN_LENGTH];
    for (int i = 0; i < c.length; i++) {
      c[i] = PIN_ALPHABET[random.nextInt(PIN_ALPHABET.length)];
    }
    return new String(c);
  }

  private String bytes(int n) {
    byte[] b = new byte[n];
    random.nextBytes(b);
    return URL.encodeToString(b);
  }
}
