package io.burnroom.edge;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * The client code a node serves on the chat port, hashed once at start so that a user or an operator can compare
 * it with a release: each file's SHA-256, and one digest over them all.
 *
 * <p>The digest is the SHA-256 of the bundle's manifest, the UTF-8 text that lists, for every served file in
 * ascending order of its URL path's UTF-8 bytes, {@code path + "\n" + hex SHA-256 of the file's bytes + "\n"}
 * (hex in lower case). {@code tools/client-hash.sh} computes the same from a checkout.
 *
 * @param sha256 the bundle digest, lower-case hex
 * @param files  every served file, in manifest order
 */
public record ClientBundle(String sha256, List<File> files) {
  /** One served file: its URL path on the chat port, its SHA-256 (lower-case hex) and its size. */
  public record File(String path, String sha256, long bytes) {
  }

  public ClientBundle {
    files = List.copyOf(files);
  }

  /** The bundle of {@code contents}, URL path → the bytes served there. */
  public static ClientBundle of(Map<String, byte[]> contents) {
    List<String> paths = new ArrayList<>(contents.keySet());
    paths.sort((a, b) -> Arrays.compareUnsigned(a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8)));
    List<File> files = new ArrayList<>(paths.size());
    for (String path : paths) {
      byte[] bytes = contents.get(path);
      files.add(new File(path, hex(sha256(bytes)), bytes.length));
    }
    return new ClientBundle(hex(sha256(manifest(files).getBytes(StandardCharsets.UTF_8))), files);
  }

  /** The text whose SHA-256 is the digest. */
  public String manifest() {
    return manifest(files);
  }

  private static String manifest(List<File> files) {
    StringBuilder b = new StringBuilder();
    for (File f : files) {
      b.append(f.path()).append('\n').append(f.sha256()).append('\n');
    }
    return b.toString();
  }

  /** {@code {"sha256":"<hex>","files":[{"path","sha256","bytes"},...]}}, as the management port serves it. */
  public JsonObject toJson() {
    JsonArray list = new JsonArray();
    for (File f : files) {
      list.add(new JsonObject().put("path", f.path()).put("sha256", f.sha256()).put("bytes", f.bytes()));
    }
    return new JsonObject().put("sha256", sha256).put("files", list);
  }

  private static byte[] sha256(byte[] bytes) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(bytes);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every JDK", e);
    }
  }

  private static String hex(byte[] bytes) {
    return HexFormat.of().formatHex(bytes);
  }
}
