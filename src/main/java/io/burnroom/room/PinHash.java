package io.burnroom.room;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.Locale;

/**
 * A salted SHA-256 of the creator's PIN. The room keeps only this, never the PIN, so a snapshot or heap dump does
 * not reveal it; comparison is constant time.
 */
public record PinHash(byte[] salt, byte[] hash) {

  public static PinHash of(String pin, byte[] salt) {
    return new PinHash(salt.clone(), digest(salt, pin));
  }

  /** Constant-time check; PINs are case-insensitive because people type them from a screen. */
  public boolean matches(String candidate) {
    return MessageDigest.isEqual(hash, digest(salt, candidate));
  }

  /** Hashes (and so derives a stable pseudonym for) any other secret-ish text with this room's salt, e.g. a source IP. */
  public static String pseudonym(byte[] salt, String text) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(digest(salt, "src:" + text));
  }

  public String encode() {
    Base64.Encoder b = Base64.getEncoder();
    return b.encodeToString(salt) + ":" + b.encodeToString(hash);
  }

  public static PinHash decode(String s) {
    String[] parts = s.split(":", 2);
    Base64.Decoder d = Base64.getDecoder();
    return new PinHash(d.decode(parts[0]), d.decode(parts[1]));
  }

  private static byte[] digest(byte[] salt, String text) {
    try {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      md.update(salt);
      md.update(text.trim().toUpperCase(Locale.ROOT).getBytes(StandardCharsets.UTF_8));
      return md.digest();
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every JDK", e);
    }
  }
}
