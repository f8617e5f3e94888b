package io.burnroom.wire;

import java.util.Base64;

/** Cheap alphabet check for base64 / base64url text, so the relay only ever carries opaque encoded bytes. */
public final class Base64Text {
  /** Length of 32 bytes in unpadded base64url: join tokens and join hashes. */
  public static final int KEY32_CHARS = 43;
  private static final Base64.Encoder URL_ENCODER = Base64.getUrlEncoder().withoutPadding();

  /** Characters of base64 and base64url (every message body is checked against it, so a table, not a chain of ifs). */
  private static final boolean[] ALPHABET = new boolean[128];

  static {
    for (char c : "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/-_".toCharArray()) {
      ALPHABET[c] = true;
    }
  }

  private Base64Text() {
  }

  public static boolean isBase64(String s) {
    int end = s.length();
    while (end > 0 && s.length() - end < 2 && s.charAt(end - 1) == '=') {
      end--; // up to two padding characters, only at the end
    }
    for (int i = 0; i < end; i++) {
      char c = s.charAt(i);
      if (c >= 128 || !ALPHABET[c]) {
        return false;
      }
    }
    return true;
  }

  /** A room id or member id: base64url only, bounded length. */
  public static boolean isId(String s, int maxChars) {
    if (s == null || s.isEmpty() || s.length() > maxChars) {
      return false;
    }
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      boolean ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
      if (!ok) {
        return false;
      }
    }
    return true;
  }

  /**
   * The 32 bytes of {@code s} when it is exactly their canonical unpadded base64url text (43 characters, its unused
   * last two bits zero); null for anything else, so one value has exactly one spelling.
   */
  public static byte[] key32(String s) {
    if (s == null || s.length() != KEY32_CHARS || !isId(s, KEY32_CHARS)) {
      return null;
    }
    byte[] bytes = Base64.getUrlDecoder().decode(s);
    return URL_ENCODER.encodeToString(bytes).equals(s) ? bytes : null;
  }

  public static boolean isKey32(String s) {
    return key32(s) != null;
  }
}
