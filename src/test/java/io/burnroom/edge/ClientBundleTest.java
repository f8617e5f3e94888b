package io.burnroom.edge;

import static org.assertj.core.api.Assertions.assertThat;

import io.burnroom.app.BurnroomNode;
import io.burnroom.support.TestNodes;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Client bundle: the hashes of the client code a node serves")
class ClientBundleTest {

  static String sha256(byte[] bytes) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  @DisplayName("the digest is the SHA-256 of 'path, newline, hex SHA-256, newline' per file, in byte order of the paths")
  void digestDefinition() throws Exception {
    Map<String, byte[]> files = new LinkedHashMap<>();
    files.put("/js/ui.js", utf8("ui"));
    files.put("/a.css", utf8("css"));
    files.put("/Z.svg", utf8(""));
    files.put("/js/\u00e9.js", utf8("e"));
    ClientBundle b = ClientBundle.of(files);
    assertThat(b.files()).extracting(ClientBundle.File::path).containsExactly("/Z.svg", "/a.css", "/js/ui.js", "/js/\u00e9.js");
    String manifest = "/Z.svg\n" + sha256(utf8("")) + "\n/a.css\n" + sha256(utf8("css")) + "\n/js/ui.js\n"
        + sha256(utf8("ui")) + "\n/js/\u00e9.js\n" + sha256(utf8("e")) + "\n";
    assertThat(b.manifest()).isEqualTo(manifest);
    assertThat(b.sha256()).isEqualTo(sha256(utf8(manifest)))
        .as("computed apart, with Python's hashlib").isEqualTo("c85856e4f7c42a58d2b2af17191c6e9c1ce8ae0536b5019f42ad032ff3c0a636");
    assertThat(b.files().get(2)).isEqualTo(new ClientBundle.File("/js/ui.js", sha256(utf8("ui")), 2));
    JsonObject json = b.toJson();
    assertThat(json.getString("sha256")).isEqualTo(b.sha256());
    assertThat(json.getJsonArray("files").getJsonObject(1))
        .isEqualTo(new JsonObject().put("path", "/a.css").put("sha256", sha256(utf8("css"))).put("bytes", 3));
    files.put("/a.css", utf8("css!"));
    assertThat(ClientBundle.of(files).sha256()).as("one changed byte changes the digest").isNotEqualTo(b.sha256());
  }

  @Test
  @DisplayName("the served bundle is the checkout's webroot plus qrcode, never uPlot or the tests, and tools/client-hash.sh agrees")
  void servedBundleMatchesTheScript() throws Exception {
    ClientBundle served = StaticFiles.load("webroot").bundle();
    List<String> paths = served.files().stream().map(ClientBundle.File::path).toList();
    assertThat(paths).contains("/index.html", "/js/ui.js", "/vendor/qrcode.min.js")
        .noneMatch(p -> p.startsWith("/vendor/uplot") || p.startsWith("/test/") || p.equals("/package.json"));
    assertThat(served.files()).filteredOn(f -> f.path().equals("/js/ui.js")).singleElement()
        .isEqualTo(new ClientBundle.File("/js/ui.js", sha256(Files.readAllBytes(Path.of("webroot", "js", "ui.js"))),
            Files.size(Path.of("webroot", "js", "ui.js"))));

    Process p = new ProcessBuilder("bash", "tools/client-hash.sh", "--list").redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(out).isZero();
    List<String> lines = out.lines().toList();
    assertThat(lines.get(lines.size() - 1)).isEqualTo("client=sha256:" + served.sha256());
    assertThat(lines.subList(0, lines.size() - 1)).containsExactlyElementsOf(served.files().stream()
        .map(f -> f.sha256() + "  " + f.bytes() + "  " + f.path()).toList());
  }

  @Test
  @DisplayName("help.html (no script at all) pins its stylesheet with Subresource Integrity that matches")
  void helpPageIntegrity() throws Exception {
    StaticFiles files = StaticFiles.load("webroot");
    String help = files.get("/help.html").content().toString(StandardCharsets.UTF_8);
    assertThat(help).doesNotContain("<script").doesNotContain("style=").doesNotContain("<style");
    assertThat(pinned(files, help)).containsOnlyKeys("/css/app.css");
  }

  @Test
  @DisplayName("index.html pins every script, stylesheet and imported module with Subresource Integrity that matches")
  void subresourceIntegrity() throws Exception {
    StaticFiles files = StaticFiles.load("webroot");
    String index = files.get("/index.html").content().toString(StandardCharsets.UTF_8);
    Map<String, String> pinned = pinned(files, index);
    assertThat(pinned).containsKeys("/css/app.css", "/vendor/qrcode.min.js", "/js/ui.js");
    // every module the page's modules import is preloaded with its integrity, so no unpinned code can run
    // an import may span lines, and a module name hold lower-case letters, digits or hyphens: none slips past
    java.util.regex.Pattern imports = java.util.regex.Pattern.compile("(?m)^import [^;]*? from '\\./([a-z0-9-]+\\.js)';");
    for (String path : List.copyOf(pinned.keySet())) {
      if (!path.startsWith("/js/")) {
        continue;
      }
      java.util.regex.Matcher m = imports.matcher(files.get(path).content().toString(StandardCharsets.UTF_8));
      while (m.find()) {
        assertThat(pinned).as(path + " imports " + m.group(1)).containsKey("/js/" + m.group(1));
      }
    }
  }

  /** Every script and stylesheet tag of a page: path → its integrity, each checked against the served file. */
  private static Map<String, String> pinned(StaticFiles files, String index) throws Exception {
    java.util.regex.Matcher tag = java.util.regex.Pattern
        .compile("<(script|link)\\b[^>]*?(?:src|href)=\"(/[^\"]+\\.(?:js|css))\"[^>]*>").matcher(index);
    Map<String, String> pinned = new LinkedHashMap<>();
    while (tag.find()) {
      java.util.regex.Matcher integrity = java.util.regex.Pattern.compile("integrity=\"sha384-([^\"]+)\"").matcher(tag.group());
      assertThat(integrity.find()).as("integrity on " + tag.group(2)).isTrue();
      pinned.put(tag.group(2), integrity.group(1));
    }
    for (Map.Entry<String, String> e : pinned.entrySet()) {
      byte[] bytes = files.get(e.getKey()).content().getBytes();
      String actual = java.util.Base64.getEncoder().encodeToString(MessageDigest.getInstance("SHA-384").digest(bytes));
      assertThat(e.getValue()).as(e.getKey() + " is stale: run tools/sri.sh").isEqualTo(actual);
    }
    return pinned;
  }

  @Test
  @DisplayName("the management port serves the bundle; the chat port serves neither it nor the ops page's uPlot")
  void servedOnManagementOnly() throws IOException {
    try (TestNodes nodes = new TestNodes()) {
      BurnroomNode node = nodes.embedded();
      TestNodes.Reply listing = nodes.request(HttpMethod.GET, node.mgmtPort(), "/client-bundle", null);
      assertThat(listing.status()).isEqualTo(200);
      assertThat(listing.headers().get("content-type")).startsWith("application/json");
      assertThat(listing.body()).isEqualTo(node.clientBundle().toJson());
      assertThat(listing.body().getString("sha256")).hasSize(64);
      for (String path : List.of("/client-bundle", "/vendor/uplot/uPlot.iife.min.js", "/vendor/uplot/uPlot.min.css",
          "/vendor/uplot/LICENSE")) {
        assertThat(nodes.request(HttpMethod.GET, node.httpPort(), path, null).status()).as(path).isEqualTo(404);
      }
      assertThat(nodes.request(HttpMethod.GET, node.httpPort(), "/vendor/qrcode.min.js", null).status()).isEqualTo(200);
      assertThat(nodes.request(HttpMethod.GET, node.mgmtPort(), "/ops/vendor/uPlot.iife.min.js", null).status())
          .isEqualTo(200);
      assertThat(nodes.request(HttpMethod.GET, node.mgmtPort(), "/ops/vendor/uPlot.LICENSE", null).status())
          .isEqualTo(200);
    }
  }
}
