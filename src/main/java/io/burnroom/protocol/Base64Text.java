package io.burnroom.protocol;

/** Cheap alphabet check for base64 / base64url text, so the relay only ever carries opaque encoded bytes. */
public final class Base64Text {
  private Base64Text() {
  }

  public static boolean isBase64(String s) {
    int n = s.length();
    int padding = 0;
    for (int i = 0; i < n; i++) {
      char c = s.charAt(i);
      if (c == '=') {
        padding++;
        if (padding > 2) {
          return false;
        }
        continue;
      }
      if (padding > 0) {
        return false;
      }
      boolean ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')
          || c == '+' || c == '/' || c == '-' || c == '_';
      if (!ok) {
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
