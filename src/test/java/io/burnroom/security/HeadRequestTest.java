package io.burnroom.security;

import static io.burnroom.security.Hostile.assertSecurityHeaders;
import static org.assertj.core.api.Assertions.assertThat;

import io.burnroom.app.BurnroomNode;
import io.burnroom.security.Hostile.RawResponse;
import io.burnroom.support.TestNodes;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * HEAD is GET without a body, on the wire: raw sockets, so the test sees the bytes the node sends (a client library
 * would hide a body it did not expect after a HEAD).
 */
@DisplayName("HEAD answers like GET without a body: pages, assets, the help page and health, on both ports")
class HeadRequestTest {
  private static TestNodes nodes;
  private static BurnroomNode node;
  private static String roomId;

  @BeforeAll
  static void start() {
    nodes = new TestNodes();
    node = nodes.embedded();
    roomId = nodes.createRoom(node, 600).getString("roomId");
  }

  @AfterAll
  static void stop() {
    nodes.close();
  }

  private static RawResponse send(int port, String method, String path) throws Exception {
    String req = method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\nConnection: close\r\n\r\n";
    // Not Hostile.raw: that half-closes the socket after the request, and a half-closed connection does not wait for
    // an answer that comes from the cluster (the room info). "Connection: close" makes the node close after answering.
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
      s.setSoTimeout(5_000);
      s.getOutputStream().write(req.getBytes(StandardCharsets.ISO_8859_1));
      s.getOutputStream().flush();
      return Hostile.parse(new String(s.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1));
    }
  }

  /** The headers that must be the same for GET and HEAD: all of them (the node sends no Date). */
  private static Map<String, String> comparable(Map<String, String> headers) {
    Map<String, String> h = new HashMap<>(headers);
    h.remove("date");
    h.remove("connection");
    return h;
  }

  private static void assertHeadLikeGet(int port, String path, int status, String type, boolean chatPort)
      throws Exception {
    RawResponse get = send(port, "GET", path);
    RawResponse head = send(port, "HEAD", path);
    String what = "HEAD " + path + " on port " + port;
    assertThat(get.status()).as("GET " + path).isEqualTo(status);
    assertThat(get.body()).as("GET " + path + " has a body").isNotEmpty();
    assertThat(head.status()).as(what).isEqualTo(status);
    assertThat(head.body()).as(what + ": no body").isEmpty();
    assertThat(head.headers().get("content-type")).as(what).startsWith(type);
    assertThat(comparable(head.headers())).as(what + ": same headers as GET").isEqualTo(comparable(get.headers()));
    assertThat(head.headers().get("content-length")).as(what + ": the GET body's length")
        .isEqualTo(String.valueOf(get.body().getBytes(StandardCharsets.ISO_8859_1).length));
    if (chatPort) {
      assertSecurityHeaders(head.headers(), what, false);
    } else {
      assertThat(head.headers().get("content-security-policy")).as(what).isNotNull();
      assertThat(head.headers().get("x-content-type-options")).as(what).isEqualTo("nosniff");
    }
  }

  @Test
  @DisplayName("chat port: /, /r/{id}, /help.html, scripts, styles, the vendored QR library and /health/*")
  void chatPort() throws Exception {
    int port = node.httpPort();
    assertHeadLikeGet(port, "/", 200, "text/html", true);
    assertHeadLikeGet(port, "/r/" + roomId, 200, "text/html", true);
    assertHeadLikeGet(port, "/index.html", 200, "text/html", true);
    assertHeadLikeGet(port, "/help.html", 200, "text/html", true);
    assertHeadLikeGet(port, "/css/app.css", 200, "text/css", true);
    assertHeadLikeGet(port, "/js/ui.js", 200, "text/javascript", true);
    assertHeadLikeGet(port, "/vendor/qrcode.min.js", 200, "text/javascript", true);
    assertHeadLikeGet(port, "/favicon.svg", 200, "image/svg+xml", true);
    assertHeadLikeGet(port, "/health/live", 200, "application/json", true);
    assertHeadLikeGet(port, "/health/ready", 200, "application/json", true);
    assertHeadLikeGet(port, "/api/rooms/" + roomId, 200, "application/json", true);
    // errors too: an unknown page is a 404 either way, with the JSON error's length and no body
    assertHeadLikeGet(port, "/no/such/page", 404, "application/json", true);
  }

  @Test
  @DisplayName("management port: /health/live and /health/ready")
  void managementPort() throws Exception {
    for (String path : List.of("/health/live", "/health/ready")) {
      assertHeadLikeGet(node.mgmtPort(), path, 200, "application/json", false);
    }
  }

  @Test
  @DisplayName("other methods stay refused: DELETE / is still 405, so HEAD was added, not everything")
  void otherMethods() throws Exception {
    RawResponse delete = send(node.httpPort(), "DELETE", "/");
    assertThat(delete.status()).isEqualTo(405);
    // the socket route is GET only: HEAD there is an unknown page, as docs/protocol.md says
    assertThat(send(node.httpPort(), "HEAD", "/ws/rooms/" + roomId).status()).isEqualTo(404);
    assertSecurityHeaders(delete.headers(), "DELETE /", false);
  }
}
