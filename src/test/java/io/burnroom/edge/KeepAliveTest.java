package io.burnroom.edge;

import static org.assertj.core.api.Assertions.assertThat;

import io.burnroom.app.BurnroomNode;
import io.burnroom.support.TestNodes;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * One keep-alive connection carries hundreds of mixed requests (pages, API, errors with and without bodies), each
 * answered in order with its own status. Written with a raw socket on purpose: it proves the server side of
 * keep-alive independently of any HTTP client library (see TestNodes.request for the one client-side oddity the tests work around).
 */
@DisplayName("A keep-alive connection answers every request in order")
class KeepAliveTest {
  private record Req(String method, String path, String body, int status) {
  }

  @Test
  void hundredsOfMixedRequestsOnOneConnection() throws IOException {
    try (TestNodes nodes = new TestNodes()) {
      BurnroomNode node = nodes.embedded();
      List<Req> kinds = List.of(
          new Req("GET", "/api/rooms/AAAAAAAAAAAAAAAAAAAAAA", null, 404),
          new Req("GET", "/no/such/page", null, 404),
          new Req("POST", "/api/rooms", "{\"ttlSeconds\":600}", 201),
          new Req("POST", "/api/rooms", "{\"ttlSeconds\":\"x\"}", 400),
          new Req("GET", "/", null, 200),
          new Req("DELETE", "/index.html", null, 405),
          new Req("GET", "/health/ready", null, 200));
      Random random = new Random(7);
      try (Socket socket = new Socket("127.0.0.1", node.httpPort())) {
        socket.setSoTimeout(5_000);
        OutputStream out = socket.getOutputStream();
        InputStream in = socket.getInputStream();
        for (int i = 0; i < 600; i++) {
          Req r = kinds.get(random.nextInt(kinds.size()));
          byte[] body = r.body() == null ? new byte[0] : r.body().getBytes(StandardCharsets.UTF_8);
          String head = r.method() + " " + r.path() + " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
              + (body.length > 0 ? "Content-Type: application/json\r\nContent-Length: " + body.length + "\r\n" : "")
              + "\r\n";
          out.write(head.getBytes(StandardCharsets.US_ASCII));
          out.write(body);
          out.flush();
          assertThat(readStatus(in)).as("request %d: %s %s", i, r.method(), r.path()).isEqualTo(r.status());
        }
      }
    }
  }

  /** Reads one response (status line, headers, Content-Length body) and returns its status. */
  private static int readStatus(InputStream in) throws IOException {
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    int matched = 0;
    while (matched < 4) {
      int b = in.read();
      if (b < 0) {
        throw new IOException("connection closed by the server");
      }
      head.write(b);
      matched = (b == "\r\n\r\n".charAt(matched)) ? matched + 1 : (b == '\r' ? 1 : 0);
    }
    String[] lines = head.toString(StandardCharsets.US_ASCII).split("\r\n");
    int length = 0;
    for (String line : lines) {
      if (line.toLowerCase(Locale.ROOT).startsWith("content-length:")) {
        length = Integer.parseInt(line.substring(15).trim());
      }
    }
    in.readNBytes(length);
    return Integer.parseInt(lines[0].split(" ")[1]);
  }
}
