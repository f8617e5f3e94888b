package io.burnroom.edge;

import io.vertx.core.buffer.Buffer;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Enumeration;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.stream.Stream;

/**
 * The web client, loaded into memory once at start-up and served from there. Vert.x's StaticHandler would extract
 * class-path files into a cache directory on disk; this never writes anything. Also serves the vendored browser
 * library the client needs from its webjar (never from a CDN). The ops page's charting library is not here: only the
 * management listener serves it, so the chat origin carries nothing but the client. {@link #bundle()} is the hash
 * of everything served.
 */
public final class StaticFiles {
  public record Asset(Buffer content, String contentType) {
  }

  /**
   * URL path → class-path resource of the browser libraries we serve ourselves. tools/client-hash.sh lists the same
   * files (ClientBundleTest compares the two).
   */
  private static final Map<String, String> VENDOR = Map.of(
      "/vendor/qrcode.min.js", "META-INF/resources/webjars/qrcodejs/07f829d/qrcode.min.js");

  private final Map<String, Asset> assets;
  private final ClientBundle bundle;

  private StaticFiles(Map<String, Asset> assets, ClientBundle bundle) {
    this.assets = Map.copyOf(assets);
    this.bundle = bundle;
  }

  /** Loads {@code webroot/**} and the vendor files from the class path (a jar or a directory). */
  public static StaticFiles load(String root) {
    ClassLoader cl = StaticFiles.class.getClassLoader();
    Map<String, byte[]> out = new HashMap<>();
    URL url = cl.getResource(root + "/index.html");
    if (url == null) {
      throw new IllegalStateException(root + "/index.html is missing from the class path");
    }
    try {
      if ("jar".equals(url.getProtocol())) {
        String jarPath = url.getPath().substring("file:".length(), url.getPath().indexOf("!/"));
        try (JarFile jar = new JarFile(java.net.URLDecoder.decode(jarPath, java.nio.charset.StandardCharsets.UTF_8))) {
          Enumeration<JarEntry> entries = jar.entries();
          while (entries.hasMoreElements()) {
            JarEntry e = entries.nextElement();
            if (!e.isDirectory() && e.getName().startsWith(root + "/")) {
              try (InputStream in = jar.getInputStream(e)) {
                put(out, e.getName().substring(root.length()), in.readAllBytes());
              }
            }
          }
        }
      } else {
        Path dir = Paths.get(url.toURI()).getParent();
        try (Stream<Path> files = Files.walk(dir)) {
          for (Path p : files.filter(Files::isRegularFile).toList()) {
            put(out, "/" + dir.relativize(p).toString().replace('\\', '/'), Files.readAllBytes(p));
          }
        }
      }
      for (Map.Entry<String, String> v : VENDOR.entrySet()) {
        try (InputStream in = cl.getResourceAsStream(v.getValue())) {
          if (in != null) {
            put(out, v.getKey(), in.readAllBytes());
          }
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
    Map<String, Asset> assets = new HashMap<>();
    out.forEach((path, bytes) -> assets.put(path, new Asset(Buffer.buffer(bytes), contentType(path))));
    return new StaticFiles(assets, ClientBundle.of(out));
  }

  public Asset get(String path) {
    return assets.get(path);
  }

  public int size() {
    return assets.size();
  }

  /** The SHA-256 of every file served here, and the digest over them. */
  public ClientBundle bundle() {
    return bundle;
  }

  private static void put(Map<String, byte[]> out, String path, byte[] bytes) {
    out.put(path, bytes);
  }

  static String contentType(String path) {
    String p = path.toLowerCase(Locale.ROOT);
    if (p.endsWith(".html")) return "text/html; charset=utf-8";
    if (p.endsWith(".js") || p.endsWith(".mjs")) return "text/javascript; charset=utf-8";
    if (p.endsWith(".css")) return "text/css; charset=utf-8";
    if (p.endsWith(".svg")) return "image/svg+xml";
    if (p.endsWith(".png")) return "image/png";
    if (p.endsWith(".ico")) return "image/x-icon";
    if (p.endsWith(".json") || p.endsWith(".webmanifest")) return "application/json";
    return "text/plain; charset=utf-8";
  }
}
