package io.burnroom.security;

import static org.assertj.core.api.Assertions.assertThat;

import io.burnroom.wire.ErrorCode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/** Shared checks of the security suites: headers every response must carry, leak patterns, raw HTTP. */
final class Hostile {
  static final Set<String> KNOWN_CODES = Arrays.stream(ErrorCode.values()).map(ErrorCode::code).collect(Collectors.toSet());
  /** Text that would reveal internals: stack traces, class or package names, library names. */
  static final List<String> LEAKS = List.of("io.vertx", "io.netty", "java.", "javax.", "jdk.", "Exception", "at io.",
      "com.fasterxml", "com.hazelcast", "io.burnroom", "Caused by", "NullPointer", "\tat ");

  private Hostile() {
  }

  /** The headers promised on every chat-port response; {@code tls} says whether HSTS must be there or absent. */
  static void assertSecurityHeaders(Map<String, String> headers, String what, boolean tls) {
    Map<String, String> h = lower(headers);
    String csp = h.get("content-security-policy");
    assertThat(csp).as(what + ": CSP").isNotNull();
    assertThat(csp).as(what + ": CSP").contains("default-src 'self'").contains("frame-ancestors 'none'")
        .contains("object-src 'none'").doesNotContain("unsafe-inline").doesNotContain("unsafe-eval");
    String connect = Arrays.stream(csp.split(";")).map(String::trim).filter(d -> d.startsWith("connect-src"))
        .findFirst().orElse("");
    assertThat(connect).as(what + ": connect-src").startsWith("connect-src 'self'");
    for (String source : connect.substring("connect-src".length()).trim().split("\\s+")) {
      assertThat(source).as(what + ": connect-src allows only self and same-origin ws(s)")
          .matches("'self'|wss?://(127\\.0\\.0\\.1|localhost)(:\\d+)?");
    }
    // images: the page's own, the QR code it draws (data:) and attachments it decrypted into object URLs (blob:)
    assertThat(Arrays.stream(csp.split(";")).map(String::trim).filter(d -> d.startsWith("img-src")).toList())
        .as(what + ": img-src").containsExactly("img-src 'self' data: blob:");
    assertThat(h.get("referrer-policy")).as(what).isEqualTo("no-referrer");
    assertThat(h.get("x-content-type-options")).as(what).isEqualTo("nosniff");
    assertThat(h.get("permissions-policy")).as(what).contains("camera=()").contains("microphone=()")
        .contains("geolocation=()");
    assertThat(h.get("cache-control")).as(what).isEqualTo("no-store");
    if (tls) {
      assertThat(h.get("strict-transport-security")).as(what + ": HSTS").startsWith("max-age=");
    } else {
      assertThat(h).as(what + ": no HSTS over plain HTTP").doesNotContainKey("strict-transport-security");
    }
  }

  static void assertNoLeak(String text, String what) {
    for (String leak : LEAKS) {
      assertThat(text).as(what + " leaks internals").doesNotContain(leak);
    }
  }

  static Map<String, String> lower(Map<String, String> headers) {
    Map<String, String> out = new HashMap<>();
    headers.forEach((k, v) -> out.put(k.toLowerCase(Locale.ROOT), v));
    return out;
  }

  /** A raw HTTP exchange: what the server answered to exactly these bytes. */
  record RawResponse(int status, Map<String, String> headers, String body) {
  }

  static RawResponse raw(int port, byte[] request) throws IOException {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
      s.setSoTimeout(5_000);
      try {
        s.getOutputStream().write(request);
        s.getOutputStream().flush();
        s.shutdownOutput();
      } catch (java.net.SocketException e) {
        // the server answered (and closed) before reading everything, e.g. a body it refuses by its length
      }
      InputStream in = s.getInputStream();
      ByteArrayOutputStream all = new ByteArrayOutputStream();
      byte[] buf = new byte[8192];
      int n;
      try {
        while ((n = in.read(buf)) > 0) {
          all.write(buf, 0, n);
          if (all.size() > 4 << 20) {
            break;
          }
        }
      } catch (java.net.SocketException | java.net.SocketTimeoutException e) {
        // a reset after the answer was sent still leaves the answer readable
      }
      return parse(all.toString(StandardCharsets.ISO_8859_1));
    }
  }

  static RawResponse parse(String text) {
    int headEnd = text.indexOf("\r\n\r\n");
    if (!text.startsWith("HTTP/") || headEnd < 0) {
      return new RawResponse(-1, Map.of(), text);
    }
    String[] lines = text.substring(0, headEnd).split("\r\n");
    int status = Integer.parseInt(lines[0].split(" ")[1]);
    Map<String, String> headers = new HashMap<>();
    for (int i = 1; i < lines.length; i++) {
      int c = lines[i].indexOf(':');
      if (c > 0) {
        headers.put(lines[i].substring(0, c).trim().toLowerCase(Locale.ROOT), lines[i].substring(c + 1).trim());
      }
    }
    return new RawResponse(status, headers, text.substring(headEnd + 4));
  }
}
