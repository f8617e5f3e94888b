package io.burnroom.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.burnroom.app.BurnroomNode;
import io.burnroom.config.AppConfig;
import io.burnroom.support.TestNodes;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.PemTrustOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Direct HTTPS/WSS from PEM files. The self-signed certificate is made by {@code openssl} under {@code target/}
 * (test only; the server itself reads the files once and writes nothing).
 */
@DisplayName("TLS on the chat port")
class TlsTest {
  private static TestNodes nodes;
  private static BurnroomNode node;
  private static Path cert;
  private static Path key;

  @BeforeAll
  static void start() throws Exception {
    Path dir = Path.of("target", "tls-test");
    Files.createDirectories(dir);
    cert = dir.resolve("cert.pem");
    key = dir.resolve("key.pem");
    Process p = new ProcessBuilder("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
        "-nodes", "-days", "1", "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
        "-keyout", key.toString(), "-out", cert.toString()).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(out).isZero();
    nodes = new TestNodes();
    node = nodes.embedded(Map.of("BURNROOM_TLS_CERT", cert.toString(), "BURNROOM_TLS_KEY", key.toString()));
  }

  @AfterAll
  static void stop() {
    if (nodes != null) {
      nodes.close();
    }
  }

  @Test
  @DisplayName("HTTPS answers with HSTS and a CSP that allows wss of the same origin; a room works over WSS")
  void httpsAndWss() throws Exception {
    PemTrustOptions trust = new PemTrustOptions().addCertPath(cert.toString());
    HttpClient https = nodes.clientVertx().createHttpClient(new HttpClientOptions().setSsl(true).setTrustOptions(trust)
        .setVerifyHost(true));
    Map<String, String> headers = new HashMap<>();
    JsonObject created = TestNodes.await(https.request(new RequestOptions().setMethod(HttpMethod.POST).setHost("127.0.0.1")
            .setPort(node.httpPort()).setURI("/api/rooms"))
        .compose(req -> req.send(new JsonObject().put("ttlSeconds", 600).encode()))
        .compose(res -> {
          res.headers().forEach(e -> headers.put(e.getKey(), e.getValue()));
          return res.body();
        }), 10_000).toJsonObject();
    Hostile.assertSecurityHeaders(headers, "HTTPS API", true);
    assertThat(Hostile.lower(headers).get("content-security-policy")).contains("wss://127.0.0.1:" + node.httpPort());

    WebSocketClient wss = nodes.clientVertx().createWebSocketClient(new WebSocketClientOptions().setSsl(true)
        .setTrustOptions(trust).setVerifyHost(true));
    WebSocket ws = TestNodes.await(wss.connect(new WebSocketConnectOptions().setHost("127.0.0.1").setPort(node.httpPort())
        .setURI("/ws/rooms/" + created.getString("roomId")).setSsl(true)), 10_000);
    CompletableFuture<JsonObject> joined = new CompletableFuture<>();
    ws.textMessageHandler(t -> joined.complete(new JsonObject(t)));
    ws.writeTextMessage(new JsonObject().put("type", "join").put("profile", "cHJvZmlsZQ==").encode());
    assertThat(joined.get(10, TimeUnit.SECONDS).getString("type")).isEqualTo("joined");
    ws.close();
    https.close();
    wss.close();
  }

  @Test
  @DisplayName("plain HTTP to the TLS port gets no page; a lone cert or key, or a file that is not PEM, fails at start")
  void misuse() throws Exception {
    Hostile.RawResponse plain = Hostile.raw(node.httpPort(),
        "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
    assertThat(plain.status()).isNotEqualTo(200);
    assertThat(plain.body()).doesNotContain("<html");
    assertThatThrownBy(() -> AppConfig.from(Map.of("BURNROOM_TLS_CERT", cert.toString())))
        .hasMessageContaining("BURNROOM_TLS_KEY");
    Path notPem = Path.of("target", "tls-test", "not.pem");
    Files.writeString(notPem, "hello");
    assertThatThrownBy(() -> AppConfig.from(Map.of("BURNROOM_TLS_CERT", notPem.toString(), "BURNROOM_TLS_KEY",
        key.toString()))).hasMessageContaining("BURNROOM_TLS_CERT");
    AppConfig ok = AppConfig.from(Map.of("BURNROOM_TLS_CERT", cert.toString(), "BURNROOM_TLS_KEY", key.toString()));
    assertThat(ok.toString()).doesNotContain("PRIVATE KEY");
  }
}
