package io.burnroom.http;

import io.vertx.core.MultiMap;

/**
 * Headers on every response of the chat port. The client has no inline script or style, so the CSP needs no
 * 'unsafe-inline'; images allow data: only for the QR code the browser draws itself, and blob: for the attachments it
 * decrypts into object URLs (decision 47).
 */
public final class SecurityHeaders {
  static final String CSP = String.join("; ",
      "default-src 'self'",
      "script-src 'self'",
      "style-src 'self'",
      "img-src 'self' data: blob:",
      "connect-src 'self'",
      "font-src 'self'",
      "object-src 'none'",
      "base-uri 'none'",
      "form-action 'self'",
      "frame-ancestors 'none'");

  /** Only a plain host[:port] may be echoed into the policy; anything else falls back to 'self'. */
  private static final java.util.regex.Pattern HOST = java.util.regex.Pattern.compile("[A-Za-z0-9.\\-]{1,253}(:[0-9]{1,5})?|\\[[0-9a-fA-F:.]{2,45}](:[0-9]{1,5})?");

  private SecurityHeaders() {
  }

  /**
   * The headers every listener sends whatever its content policy: no referrer, no sniffing, no framing, no
   * cross-origin use, no powerful features, nothing cached. The management listener adds its own CSP to these.
   */
  public static void applyCommon(MultiMap headers) {
    headers.set("Referrer-Policy", "no-referrer");
    headers.set("X-Content-Type-Options", "nosniff");
    headers.set("X-Frame-Options", "DENY");
    headers.set("Cross-Origin-Opener-Policy", "same-origin");
    headers.set("Cross-Origin-Resource-Policy", "same-origin");
    headers.set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=(), usb=(), clipboard-read=()");
    headers.set("Cache-Control", "no-store");
  }

  public static void apply(MultiMap headers, String host, boolean tls) {
    boolean plainHost = host != null && HOST.matcher(host).matches();
    String ws = (tls ? "wss://" : "ws://") + host;
    headers.set("Content-Security-Policy", plainHost ? CSP.replace("connect-src 'self'", "connect-src 'self' " + ws) : CSP);
    applyCommon(headers);
    if (tls) {
      headers.set("Strict-Transport-Security", "max-age=31536000; includeSubDomains");
    }
  }
}
