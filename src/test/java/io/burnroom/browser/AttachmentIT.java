package io.burnroom.browser;

import static org.assertj.core.api.Assertions.assertThat;

import io.burnroom.app.BurnroomNode;
import io.burnroom.support.TestNodes;
import io.vertx.core.json.JsonObject;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.openqa.selenium.By;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * Encrypted attachments in real Chromium (issue 28): Alice sends a 3 MiB image and a 5 MiB PDF through the file
 * input; Bob (same node) and Carol (the other node of a 2-node cluster) see the image inline and the PDF as a
 * download whose bytes hash like the original. Every WebSocket frame of all three pages, tapped from DevTools, is
 * searched for the file names and for runs of the files' bytes. An 11 MiB file is refused before upload. After the
 * burn no object URL resolves and no attachment is left in the DOM.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@DisplayName("Encrypted attachments in real Chromium, across a 2-node cluster")
class AttachmentIT {
  private static final Duration TRANSFER = Duration.ofSeconds(90);

  private final String tag = UUID.randomUUID().toString().substring(0, 8);
  private final String imageName = "harbour-photo-" + tag + ".png";
  private final String pdfName = "quarterly-plan-" + tag + ".pdf";
  private final String bigName = "too-big-" + tag + ".bin";

  private TestNodes nodes;
  private Path dir;
  private byte[] image;
  private byte[] pdf;
  private Chromium a;
  private Chromium b;
  private Chromium c;
  /** Object URLs Bob and Carol had before the burn; none may resolve after it. */
  private List<String> urlsB;
  private List<String> urlsC;

  @BeforeAll
  void start() throws IOException {
    System.setProperty("webdriver.chrome.driver", Chromium.CHROMEDRIVER);
    nodes = new TestNodes();
    BurnroomNode one = nodes.clustered();
    BurnroomNode two = nodes.clustered();
    dir = Files.createDirectories(Path.of("target", "attachment-it-" + tag));
    image = scenePng(1024, 640, 3L << 20);
    pdf = fakePdf(5 << 20);
    Files.write(dir.resolve(imageName), image);
    Files.write(dir.resolve(pdfName), pdf);
    Files.write(dir.resolve(bigName), new byte[11 << 20]);
    String base1 = "http://127.0.0.1:" + one.httpPort();
    String base2 = "http://127.0.0.1:" + two.httpPort();
    a = new Chromium("alice", base1, 1280, 900);
    b = new Chromium("bob", base1, 1100, 800);
    c = new Chromium("carol", base2, 1100, 800);
  }

  @AfterAll
  void stop() throws IOException {
    Chromium.quitAll(a, b, c);
    if (nodes != null) {
      nodes.close();
    }
    if (dir != null) {
      try (var files = Files.walk(dir)) {
        for (Path p : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
          Files.delete(p);
        }
      }
    }
  }

  @Test
  @Order(1)
  @DisplayName("a 3 MiB image shows inline and a 5 MiB PDF downloads, byte for byte, on both nodes")
  void imageAndPdfArrive() throws Exception {
    a.driver.get(a.origin + "/");
    a.byTest("create-room").click();
    a.join("Alice " + tag);
    String link = a.byTest("share-link").getAttribute("value");
    b.driver.get(link);
    b.join("Bob " + tag);
    c.driver.get(link.replace(a.origin, c.origin));
    c.join("Carol " + tag);
    for (Chromium x : List.of(a, b, c)) {
      x.wait.until(d -> x.verifiedMembers().size() == 3);
    }
    WebElement input = a.driver.findElement(By.cssSelector("[data-testid='attach-input']"));
    input.sendKeys(dir.resolve(imageName).toAbsolutePath().toString());
    input.sendKeys(dir.resolve(pdfName).toAbsolutePath().toString());

    for (Chromium x : List.of(b, c)) {
      WebDriverWait slow = new WebDriverWait(x.driver, TRANSFER);
      slow.until(d -> doneItems(x) == 2);
      assertThat(x.allByTest("attachment-error")).as(x.who + " errors").noneMatch(WebElement::isDisplayed);
      WebElement img = x.driver.findElement(By.cssSelector("[data-testid='attachment'] img"));
      slow.until(d -> ((Number) x.js("return arguments[0].naturalWidth", img)).intValue() == 1024);
      assertThat(img.getAttribute("alt")).isEqualTo(imageName);
      WebElement imageLink = x.driver.findElement(By.cssSelector("[data-testid='attachment'] a[download='" + imageName + "']"));
      assertThat(downloaded(x, imageLink, imageName, image.length)).as(x.who + " image").isEqualTo(hex(image));
      WebElement download = x.driver.findElement(By.cssSelector("[data-testid='attachment'] a[download='" + pdfName + "']"));
      assertThat(download.getText()).isEqualTo("Download " + pdfName + " (5.0 MB)");
      assertThat(downloaded(x, download, pdfName, pdf.length)).as(x.who + " PDF").isEqualTo(hex(pdf));
    }
    new WebDriverWait(a.driver, TRANSFER).until(d -> doneItems(a) == 2);
    urlsB = objectUrls(b);
    urlsC = objectUrls(c);
    // The probe can tell: before the burn the picture's object URL loads (img-src allows blob:; fetch may not).
    assertThat(probe(b, b.driver.findElement(By.cssSelector("[data-testid='attachment'] img")).getAttribute("src")))
        .isEqualTo("resolved");
    assertThat(urlsB).hasSize(1).allMatch(u -> u.startsWith("blob:"));
    b.screenshot("attachments");
  }

  @Test
  @Order(2)
  @DisplayName("a room showing attachments has no serious or critical axe violation, dark or light")
  void attachmentsAreAccessible() throws IOException {
    Path axe = Path.of(System.getProperty("burnroom.axe", "/opt/burnroom-axe"), "node_modules", "axe-core", "axe.min.js");
    assertThat(axe).as("axe-core is installed (.ci/run)").exists();
    String source = Files.readString(axe, StandardCharsets.UTF_8);
    for (Chromium x : List.of(a, b)) {
      for (String scheme : List.of("dark", "light")) {
        x.driver.executeCdpCommand("Emulation.setEmulatedMedia",
            Map.of("features", List.of(Map.of("name", "prefers-color-scheme", "value", scheme))));
        x.js(source + "\n;return true;");
        Object found = x.driver.executeAsyncScript("""
            const done = arguments[arguments.length - 1];
            axe.run(document, {resultTypes: ['violations']}).then(r => done(r.violations
              .filter(v => v.impact === 'serious' || v.impact === 'critical')
              .map(v => v.id + ' ' + v.nodes.map(n => n.target).join(' '))), e => done(['axe-error ' + e]));""");
        assertThat((List<?>) found).as(x.who + " " + scheme).isEmpty();
      }
    }
  }

  @Test
  @Order(3)
  @DisplayName("no frame on any page carries a file name or a run of a file's bytes")
  void framesHoldNoPlaintext() {
    int chunks = 0;
    byte[][] probes = {
        Arrays.copyOfRange(image, 100_000, 100_032), Arrays.copyOfRange(image, image.length - 40, image.length - 8),
        Arrays.copyOfRange(pdf, 2_000_000, 2_000_032), Arrays.copyOfRange(pdf, pdf.length - 40, pdf.length - 8),
    };
    for (Chromium x : List.of(a, b, c)) {
      x.collect();
      for (String payload : x.framePayloads) {
        for (String name : List.of(imageName, pdfName)) {
          assertThat(payload).as(x.who + " frame").doesNotContain(name);
        }
        JsonObject f = new JsonObject(payload);
        String body = f.getString("body");
        if (body == null) {
          continue;
        }
        byte[] raw = Base64.getUrlDecoder().decode(body.replace('+', '-').replace('/', '_').replace("=", ""));
        String text = new String(raw, StandardCharsets.ISO_8859_1);
        assertThat(text).doesNotContain(imageName).doesNotContain(pdfName);
        for (byte[] probe : probes) {
          assertThat(text).as(x.who + " decoded body").doesNotContain(new String(probe, StandardCharsets.ISO_8859_1));
        }
        if ("chunk".equals(f.getString("type"))) {
          chunks++;
          assertThat(body).as("every chunk is one size").hasSize(65_500);
        }
      }
    }
    // Alice sent ceil(3 MiB / 49,024) + ceil(5 MiB / 49,024) chunks; Bob and Carol each got them all.
    int perFile = (int) Math.ceil(image.length / 49_024.0) + (int) Math.ceil(pdf.length / 49_024.0);
    assertThat(chunks).as("the tap saw the chunks go by").isGreaterThanOrEqualTo(3 * perFile);
  }

  @Test
  @Order(4)
  @DisplayName("an 11 MiB file is refused before anything is sent, saying why")
  void tooBigIsRefused() {
    a.collect();
    int before = a.framePayloads.size();
    a.driver.findElement(By.cssSelector("[data-testid='attach-input']"))
        .sendKeys(dir.resolve(bigName).toAbsolutePath().toString());
    WebElement error = a.byTest("attachment-error");
    assertThat(error.getText()).isEqualTo(bigName + " is 11.0 MB; this room takes files up to 10.0 MB. Nothing was sent.");
    a.collect();
    assertThat(a.framePayloads.subList(before, a.framePayloads.size()))
        .noneMatch(p -> p.startsWith("{\"type\":\"chunk\""));
    assertThat(doneItems(a)).isEqualTo(2);
    assertThat(a.allByTest("attachment")).hasSize(2);
  }

  @Test
  @Order(5)
  @DisplayName("after the burn no object URL resolves and the DOM holds no attachment")
  void burnWipesAttachments() {
    a.byTest("burn-now").click();
    a.byTest("confirm-burn").click();
    for (Chromium x : List.of(a, b, c)) {
      x.byTest("burned");
      x.wait.until(d -> x.allByTest("attachment").isEmpty());
      String html = (String) x.js("return document.documentElement.outerHTML");
      assertThat(html).doesNotContain(imageName).doesNotContain(pdfName).doesNotContain("blob:");
      assertThat(x.driver.findElements(By.cssSelector("img[src^='blob:'], a[href^='blob:']"))).isEmpty();
    }
    for (var e : List.of(List.of(b, urlsB), List.of(c, urlsC))) {
      Chromium x = (Chromium) e.get(0);
      @SuppressWarnings("unchecked")
      List<String> urls = (List<String>) e.get(1);
      for (String url : urls) {
        assertThat(probe(x, url)).as(x.who + " " + url).isEqualTo("gone");
      }
    }
  }

  /** Loads an object URL as a picture: "resolved" while it lives, "gone" once revoked. */
  private static Object probe(Chromium x, String url) {
    return x.driver.executeAsyncScript("""
        const done = arguments[arguments.length - 1];
        const img = new Image();
        img.onload = () => done('resolved');
        img.onerror = () => done('gone');
        img.src = arguments[0];""", url);
  }

  private static long doneItems(Chromium x) {
    return x.allByTest("attachment").stream().filter(el -> "done".equals(el.getAttribute("data-state"))).count();
  }

  private static List<String> objectUrls(Chromium x) {
    return x.driver.findElements(By.cssSelector("[data-testid='attachment'] img"))
        .stream().map(el -> el.getAttribute("src")).distinct().toList();
  }

  /**
   * Clicks a download link and hashes the file Chromium saved (the page's CSP keeps fetch() off blob: URLs, so the
   * bytes are read the way a person gets them).
   */
  private String downloaded(Chromium x, WebElement link, String name, int size) throws Exception {
    Path into = Files.createDirectories(dir.resolve("downloads-" + x.who));
    x.driver.executeCdpCommand("Browser.setDownloadBehavior",
        Map.of("behavior", "allow", "downloadPath", into.toAbsolutePath().toString()));
    link.click();
    Path file = into.resolve(name);
    new WebDriverWait(x.driver, TRANSFER).until(d -> {
      try {
        return Files.exists(file) && Files.size(file) == size;
      } catch (IOException e) {
        return false;
      }
    });
    return hex(Files.readAllBytes(file));
  }

  private static String hex(byte[] bytes) throws NoSuchAlgorithmException {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
  }

  /**
   * A PNG of a harbour at sunset (it compresses to little), padded with random bytes in a private ancillary chunk,
   * which decoders skip, to exactly {@code size}.
   */
  static byte[] scenePng(int width, int height, long size) throws IOException {
    BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
    java.awt.Graphics2D g = img.createGraphics();
    g.setRenderingHint(java.awt.RenderingHints.KEY_ANTIALIASING, java.awt.RenderingHints.VALUE_ANTIALIAS_ON);
    int horizon = height * 3 / 5;
    g.setPaint(new java.awt.GradientPaint(0, 0, new java.awt.Color(0x2b, 0x2d, 0x6e), 0, horizon,
        new java.awt.Color(0xff, 0x9a, 0x4d)));
    g.fillRect(0, 0, width, horizon);
    g.setColor(new java.awt.Color(0xff, 0xd2, 0x6b));
    g.fillOval(width / 2 - 90, horizon - 110, 180, 180);
    g.setPaint(new java.awt.GradientPaint(0, horizon, new java.awt.Color(0x1f, 0x3a, 0x5f), 0, height,
        new java.awt.Color(0x0b, 0x16, 0x2b)));
    g.fillRect(0, horizon, width, height - horizon);
    g.setColor(new java.awt.Color(0xff, 0xb3, 0x6b));
    for (int i = 0; i < 14; i++) {
      int w = 220 - i * 14;
      g.fillRect(width / 2 - w / 2, horizon + 12 + i * 16, w, 4);
    }
    g.dispose();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ImageIO.write(img, "png", out);
    byte[] png = out.toByteArray();
    int pad = (int) (size - png.length - 12);
    assertThat(pad).as("the picture is smaller than the target size").isPositive();
    // Insert a "prVt" chunk (ancillary, private: decoders skip it) before IEND, the last 12 bytes.
    byte[] data = new byte[pad];
    new Random(28).nextBytes(data);
    java.util.zip.CRC32 crc = new java.util.zip.CRC32();
    byte[] type = "prVt".getBytes(StandardCharsets.US_ASCII);
    crc.update(type);
    crc.update(data);
    ByteArrayOutputStream whole = new ByteArrayOutputStream();
    whole.write(png, 0, png.length - 12);
    whole.write(java.nio.ByteBuffer.allocate(4).putInt(pad).array());
    whole.write(type);
    whole.write(data);
    whole.write(java.nio.ByteBuffer.allocate(4).putInt((int) crc.getValue()).array());
    whole.write(png, png.length - 12, 12);
    return whole.toByteArray();
  }

  /** A PDF header and body of random bytes, exactly {@code size} long: content the browser only ever downloads. */
  static byte[] fakePdf(int size) {
    byte[] pdf = new byte[size];
    new Random(5).nextBytes(pdf);
    byte[] head = "%PDF-1.7\n%\u00e2\u00e3\u00cf\u00d3\n".getBytes(StandardCharsets.ISO_8859_1);
    System.arraycopy(head, 0, pdf, 0, head.length);
    byte[] tail = "\n%%EOF\n".getBytes(StandardCharsets.US_ASCII);
    System.arraycopy(tail, 0, pdf, size - tail.length, tail.length);
    return pdf;
  }
}
