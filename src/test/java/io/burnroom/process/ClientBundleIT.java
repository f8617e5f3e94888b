package io.burnroom.process;

import static org.assertj.core.api.Assertions.assertThat;

import io.burnroom.support.NodeProcess;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * A node started as an operator starts it prints the digest of the client it serves on its one ready line, and its
 * management port lists the same bundle, file by file, as a user can check by fetching each file from the chat origin.
 */
@DisplayName("Client bundle of a real node process")
class ClientBundleIT {
  private static final Pattern DIGEST = Pattern.compile(
      "^Burnroom ready: chat \\S+ management \\S+ mode=\\S+ node=\\S+ transport=\\S+ client=sha256:([0-9a-f]{64})$",
      Pattern.MULTILINE);
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

  private HttpResponse<byte[]> get(int port, String path) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofByteArray());
  }

  private static String sha256(byte[] bytes) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
  }

  @Test
  @DisplayName("the ready line's digest is /client-bundle's; every listed file is served with its hash; uPlot is not on the chat port")
  void readyLineMatchesTheListing() throws Exception {
    try (NodeProcess node = NodeProcess.startEmbedded()) {
      String stdout = node.stdout();
      Matcher ready = DIGEST.matcher(stdout);
      assertThat(ready.find()).as(stdout).isTrue();
      assertThat(stdout.lines().filter(l -> !l.isBlank())).as("the ready line is the only console line").hasSize(1);

      HttpResponse<byte[]> listing = get(node.mgmtPort(), "/client-bundle");
      assertThat(listing.statusCode()).isEqualTo(200);
      assertThat(listing.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t).startsWith("application/json"));
      JsonObject bundle = new JsonObject(new String(listing.body(), java.nio.charset.StandardCharsets.UTF_8));
      assertThat(bundle.getString("sha256")).isEqualTo(ready.group(1));

      StringBuilder manifest = new StringBuilder();
      boolean sawUi = false;
      for (Object o : bundle.getJsonArray("files")) {
        JsonObject f = (JsonObject) o;
        HttpResponse<byte[]> served = get(node.httpPort(), f.getString("path"));
        assertThat(served.statusCode()).as(f.getString("path")).isEqualTo(200);
        assertThat(sha256(served.body())).as(f.getString("path")).isEqualTo(f.getString("sha256"));
        assertThat((long) served.body().length).isEqualTo(f.getLong("bytes"));
        manifest.append(f.getString("path")).append('\n').append(f.getString("sha256")).append('\n');
        if (f.getString("path").equals("/js/ui.js")) {
          sawUi = true;
          assertThat(f.getString("sha256")).isEqualTo(sha256(Files.readAllBytes(Path.of("webroot", "js", "ui.js"))));
        }
      }
      assertThat(sawUi).isTrue();
      assertThat(sha256(manifest.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8))).isEqualTo(ready.group(1));

      assertThat(get(node.httpPort(), "/client-bundle").statusCode()).isEqualTo(404);
      assertThat(get(node.httpPort(), "/vendor/uplot/uPlot.iife.min.js").statusCode()).isEqualTo(404);
      assertThat(get(node.mgmtPort(), "/ops/vendor/uPlot.iife.min.js").statusCode()).isEqualTo(200);
    }
  }
}
