package io.burnroom.http;

import java.net.URI;
import java.util.List;
import java.util.Locale;

/**
 * The WebSocket handshake's Origin rule: with no configured list, the Origin's host must equal the Host the request
 * was sent to (same origin); with a list, the Origin must be on it. A request without an Origin header is not a
 * browser page (browsers always send one on WebSocket handshakes) and is allowed: it carries no ambient credentials.
 */
public final class OriginCheck {
  private final List<String> allowed;

  public OriginCheck(List<String> allowed) {
    this.allowed = allowed.stream().map(OriginCheck::normalize).toList();
  }

  public boolean allows(String origin, String host) {
    if (origin == null) {
      return true;
    }
    String o = normalize(origin);
    if (!allowed.isEmpty()) {
      return allowed.contains(o);
    }
    if (host == null) {
      return false;
    }
    try {
      URI u = URI.create(o);
      String authority = u.getRawAuthority();
      return authority != null && authority.equalsIgnoreCase(host)
          && ("http".equals(u.getScheme()) || "https".equals(u.getScheme()));
    } catch (IllegalArgumentException e) {
      return false;
    }
  }

  private static String normalize(String origin) {
    String o = origin.trim().toLowerCase(Locale.ROOT);
    return o.endsWith("/") ? o.substring(0, o.length() - 1) : o;
  }
}
