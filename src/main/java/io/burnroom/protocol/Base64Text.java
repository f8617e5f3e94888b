package io.burnroom.protocol;

/** Cheap alphabet check for base64 / base64url text, so the relay only ever carries opaque encoded bytes. */
public final class Base64Text {
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
}
