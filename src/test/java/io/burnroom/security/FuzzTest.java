package io.burnroom.security;

import static org.assertj.core.api.Assertions.assertThat;

import io.burnroom.app.BurnroomNode;
import io.burnroom.security.Hostile.RawResponse;
import io.burnroom.security.RawWebSocket.Frame;
import io.burnroom.support.TestNodes;
import io.burnroom.support.WsClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Seeded fuzzing of a real node: random and mutated WebSocket frames (wrong types, huge numbers, deep nesting,
 * invalid UTF-8, binary frames, fragments, broken framing, oversize) and raw HTTP requests (bad JSON, bad methods,
 * huge bodies, odd paths, smuggling headers). The inputs are a pure function of the seed ({@code -Dfuzz.seed=},
 * {@code -Dfuzz.cases=}); only their interleaving with the server's answers depends on timing.
 */
@DisplayName("Fuzz: hostile frames and requests never crash, leak, or touch another room")
class FuzzTest {
  private static final long SEED = Long.getLong("fuzz.seed", 0x5EC_0008L);
  private static final int CASES = Integer.getInteger("fuzz.cases", 10_000);
  private static final String PROFILE = "cHJvZmlsZQ==";
  private static final Set<String> SERVER_TYPES = Set.of("joined", "member_joined", "member_left", "msg", "ack", "tick",
      "locked", "extended", "burned", "error", "admin_ok", "pong");
  /** Close codes a hostile client may see: ours, and the RFC ones Netty uses for broken framing. Never 1011. */
  private static final Set<Integer> CLOSE_CODES = Set.of(-1, 1000, 1002, 1003, 1005, 1007, 1008, 1009, 4000, 4003, 4004,
      4008, 4013, 4029);
  private static final Set<Integer> HTTP_STATUSES = Set.of(101, 200, 201, 400, 403, 404, 405, 413, 429, 501, 503);

  private static final String MUTATION_CHARS = "{}[]\":,\\0-e9";
  private static TestNodes nodes;
  private static BurnroomNode node;
  private final List<String> problems = Collections.synchronizedList(new ArrayList<>());
  private final Random rnd = new Random(SEED);
  private int wsCases;
  /** Set while generating bytes that may happen to form a client close frame, whose code the server echoes. */
  private boolean garbage;
  private final Set<RawWebSocket> echoesAnything = Collections.newSetFromMap(new java.util.IdentityHashMap<>());
  private int httpCases;

  @BeforeAll
  static void start() {
    nodes = new TestNodes();
    node = nodes.embedded(Map.of("BURNROOM_MAX_MEMBERS_PER_ROOM", "1000", "BURNROOM_RESUME_GRACE_MS", "200",
        "BURNROOM_JOIN_TIMEOUT_MS", "2000"));
  }

  @AfterAll
  static void stop() {
    nodes.close();
  }

  @Test
  @DisplayName("10,000 seeded cases: node stays ready, a bystander room talks on unharmed, no leaks, only stable codes, bounded heap")
  void fuzz() throws Exception {
    String bystanderRoom = nodes.createRoom(node, 3600).getString("roomId");
    try (WsClient a = nodes.ws(node, bystanderRoom); WsClient b = nodes.ws(node, bystanderRoom)) {
      a.join(PROFILE);
      b.join(PROFILE);
      a.expect("member_joined");
      long heapBefore = usedHeapAfterGc();
      String fuzzRoom = nodes.createRoom(node, 3600).getString("roomId");
      RawWebSocket current = null;
      List<RawWebSocket> done = new ArrayList<>();
      for (int i = 0; i < CASES; i++) {
        if (i % 1000 == 0) {
          fuzzRoom = nodes.createRoom(node, 3600).getString("roomId");
        }
        if (rnd.nextInt(100) < 25) {
          httpCase(i, fuzzRoom);
          continue;
        }
        wsCases++;
        boolean fresh = rnd.nextInt(100) < 8;
        boolean joinFirst = rnd.nextBoolean();
        String path = rnd.nextInt(20) == 0 ? oddWsPath(fuzzRoom) : "/ws/rooms/" + fuzzRoom;
        garbage = false;
        byte[][] frame = wsFrame();
        if (current == null || current.isClosed() || fresh) {
          if (current != null) {
            done.add(current);
          }
          current = openSocket(path, joinFirst);
          if (current == null) {
            continue;
          }
        }
        if (garbage) {
          echoesAnything.add(current);
        }
        try {
          for (byte[] raw : frame) {
            current.sendBytes(raw);
          }
        } catch (IOException e) {
          // the server closed this socket (strikes, oversize, broken framing): the next case opens another
        }
        if (done.size() > 32) {
          done.forEach(this::checkAndClose);
          done.clear();
        }
        if (i % 250 == 249) {
          checkBystanders(a, b, i);
        }
      }
      if (current != null) {
        done.add(current);
      }
      Thread.sleep(300);
      done.forEach(this::checkAndClose);
      checkBystanders(a, b, CASES);
      assertThat(a.received()).noneMatch(f -> "error".equals(f.getString("type")) || "member_left".equals(f.getString("type")));
      assertThat(b.received()).noneMatch(f -> "error".equals(f.getString("type")) || "member_left".equals(f.getString("type")));
      long heapAfter = usedHeapAfterGc();
      assertThat(heapAfter - heapBefore).as("heap growth after %d cases (MB)", CASES).isLessThan(96L << 20);
    }
    assertThat(problems).as("seed %d: %d ws + %d http cases", SEED, wsCases, httpCases).isEmpty();
    assertThat(wsCases + httpCases).isGreaterThanOrEqualTo(CASES - 1);
  }

  // ---- bystanders ----

  private void checkBystanders(WsClient a, WsClient b, int i) throws IOException {
    long t0 = System.nanoTime();
    RawResponse ready = Hostile.raw(node.httpPort(),
        "GET /health/ready HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
    assertThat(ready.status()).as("ready after case %d (seed %d), answered in %d ms", i, SEED,
        (System.nanoTime() - t0) / 1_000_000).isEqualTo(200);
    String body = Base64.getEncoder().encodeToString(("case " + i).getBytes(StandardCharsets.UTF_8));
    a.msg("a" + i, body);
    JsonObject got = b.nextNonTick(WsClient.WAIT_MS);
    assertThat(got).as("bystander B after case %d", i).isNotNull();
    assertThat(got.getString("type")).as("B's next frame after case %d: %s", i, got).isEqualTo("msg");
    assertThat(got.getString("id")).isEqualTo("a" + i);
    assertThat(got.getString("body")).isEqualTo(body);
    assertThat(a.nextNonTick(WsClient.WAIT_MS).getString("type")).as("A's ack after case %d", i).isEqualTo("ack");
    b.msg("b" + i, body);
    JsonObject back = a.nextNonTick(WsClient.WAIT_MS);
    assertThat(back.getString("id")).as("A's next frame after case %d: %s", i, back).isEqualTo("b" + i);
    assertThat(b.nextNonTick(WsClient.WAIT_MS).getString("type")).isEqualTo("ack");
  }

  // ---- WebSocket cases ----

  private RawWebSocket openSocket(String path, boolean joinFirst) {
    RawWebSocket ws;
    try {
      ws = RawWebSocket.connect(node.httpPort(), path, Map.of(), 0).startReading();
    } catch (IOException e) {
      String m = String.valueOf(e.getMessage());
      if (!m.contains("handshake refused: HTTP/1.1 4") && !m.contains("connection closed during handshake")) {
        problems.add("handshake to " + path + ": " + m);
      }
      return null;
    }
    if (joinFirst) {
      try {
        ws.sendText(new JsonObject().put("type", "join").put("profile", PROFILE).encode());
      } catch (IOException e) {
        // accepted, then closed at once (an id that cannot exist answers 4004): checked with its frames later
      }
    }
    return ws;
  }

  /** Validates every frame a fuzz socket received, then closes it. */
  private void checkAndClose(RawWebSocket ws) {
    Frame f;
    try {
      while ((f = ws.next(0)) != null) {
        if (f.opcode() == RawWebSocket.CLOSE) {
          if (!CLOSE_CODES.contains(f.closeCode()) && !echoesAnything.contains(ws)) {
            problems.add("close code " + f.closeCode());
          }
          assertNoLeakInto(new String(f.payload(), StandardCharsets.UTF_8), "close reason");
        } else if (f.opcode() == RawWebSocket.TEXT) {
          checkServerFrame(f.text());
        } else if (f.opcode() != RawWebSocket.PONG && f.opcode() != RawWebSocket.PING) {
          problems.add("server sent opcode " + f.opcode());
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    ws.close();
    echoesAnything.remove(ws);
  }

  private void checkServerFrame(String text) {
    assertNoLeakInto(text, "frame");
    JsonObject j;
    try {
      j = new JsonObject(text);
    } catch (RuntimeException e) {
      problems.add("server frame is not JSON: " + abbreviate(text));
      return;
    }
    String type = j.getString("type");
    if (!SERVER_TYPES.contains(type)) {
      problems.add("unknown server frame type: " + abbreviate(text));
    } else if ("error".equals(type) && !Hostile.KNOWN_CODES.contains(j.getString("code"))) {
      problems.add("unknown error code: " + abbreviate(text));
    }
  }

  private void assertNoLeakInto(String text, String what) {
    for (String leak : Hostile.LEAKS) {
      if (text.contains(leak)) {
        problems.add(what + " leaks '" + leak + "': " + abbreviate(text));
      }
    }
  }

  /** One case: the raw bytes of one or more frames (several for fragmentation). */
  private byte[][] wsFrame() {
    int kind = rnd.nextInt(100);
    if (kind < 35) {
      return new byte[][] {text(randomJson())};
    } else if (kind < 55) {
      return new byte[][] {text(mutate(validFrame()))};
    } else if (kind < 60) {
      return new byte[][] {text(deepNesting())};
    } else if (kind < 67) {
      return new byte[][] {frame(0x81, invalidUtf8(), true)};
    } else if (kind < 73) {
      return new byte[][] {frame(0x82, randomBytes(rnd.nextInt(300)), true)};
    } else if (kind < 85) {
      return fragments();
    } else if (kind < 88) {
      return new byte[][] {frame(0x81, ("{\"type\":\"msg\",\"id\":\"x\",\"body\":\"" + "A".repeat(66_600 + rnd.nextInt(80_000))
          + "\"}").getBytes(StandardCharsets.UTF_8), true)};
    } else if (kind < 94) {
      return new byte[][] {brokenFraming()};
    } else {
      return new byte[][] {text(hugeNumbers())};
    }
  }

  private byte[] text(String s) {
    return frame(0x81, s.getBytes(StandardCharsets.UTF_8), true);
  }

  private String validFrame() {
    return switch (rnd.nextInt(5)) {
      case 0 -> "{\"type\":\"join\",\"profile\":\"" + PROFILE + "\"}";
      case 1 -> "{\"type\":\"msg\",\"id\":\"m" + rnd.nextInt(100) + "\",\"body\":\"AAAA\"}";
      case 2 -> "{\"type\":\"admin\",\"pin\":\"ABCDEFGH\",\"op\":\"lock\"}";
      case 3 -> "{\"type\":\"admin\",\"pin\":\"ABCDEFGH\",\"op\":\"extend\",\"seconds\":60}";
      default -> "{\"type\":\"ping\"}";
    };
  }

  private String mutate(String s) {
    StringBuilder b = new StringBuilder(s);
    int n = 1 + rnd.nextInt(4);
    for (int k = 0; k < n && b.length() > 0; k++) {
      int at = rnd.nextInt(b.length());
      switch (rnd.nextInt(4)) {
        case 0 -> b.deleteCharAt(at);
        case 1 -> b.insert(at, (char) (rnd.nextInt(0x80)));
        case 2 -> b.setCharAt(at, MUTATION_CHARS.charAt(rnd.nextInt(MUTATION_CHARS.length())));
        default -> b.insert(at, b.substring(at, Math.min(b.length(), at + rnd.nextInt(10))));
      }
    }
    return b.toString();
  }

  private String randomJson() {
    JsonObject j = new JsonObject();
    String[] types = {"join", "msg", "admin", "ping", "JOIN", "", "pong", "burned", "__proto__"};
    if (rnd.nextInt(10) > 0) {
      j.put("type", rnd.nextInt(8) == 0 ? randomValue(0) : types[rnd.nextInt(types.length)]);
    }
    String[] fields = {"profile", "resume", "lastSeq", "id", "body", "to", "pin", "op", "target", "seconds", "x"};
    int n = rnd.nextInt(6);
    for (int k = 0; k < n; k++) {
      j.put(fields[rnd.nextInt(fields.length)], randomValue(0));
    }
    return rnd.nextInt(20) == 0 ? "[" + j.encode() + "]" : j.encode();
  }

  private Object randomValue(int depth) {
    return switch (rnd.nextInt(depth > 2 ? 8 : 10)) {
      case 0 -> null;
      case 1 -> rnd.nextBoolean();
      case 2 -> rnd.nextLong();
      case 3 -> rnd.nextDouble() * 1e300;
      case 4 -> "";
      case 5 -> "A".repeat(rnd.nextInt(5000));
      case 6 -> new String(randomChars(rnd.nextInt(40)));
      case 7 -> new String[] {"kick", "lock", "unlock", "extend", "burn", "ABCDEFGH", "-1"}[rnd.nextInt(7)];
      case 8 -> new io.vertx.core.json.JsonArray().add(randomValue(depth + 1)).add(randomValue(depth + 1));
      default -> new JsonObject().put("k", randomValue(depth + 1));
    };
  }

  private char[] randomChars(int n) {
    char[] c = new char[n];
    for (int k = 0; k < n; k++) {
      c[k] = (char) (rnd.nextInt(4) == 0 ? rnd.nextInt(0xD7FF) : 0x20 + rnd.nextInt(0x5F));
    }
    return c;
  }

  private String deepNesting() {
    int depth = 10 + rnd.nextInt(6000);
    return switch (rnd.nextInt(3)) {
      case 0 -> "[".repeat(depth) + "]".repeat(depth);
      case 1 -> "{\"type\":\"msg\",\"id\":" + "{\"a\":".repeat(depth) + "1" + "}".repeat(depth) + "}";
      default -> "{\"type\":\"join\",\"profile\":" + "[".repeat(depth);
    };
  }

  private String hugeNumbers() {
    String[] nums = {"1e999999", "-1e999999", "123456789012345678901234567890", "9".repeat(1200), "0.0000001",
        "-0", "1E400", "NaN", "Infinity", "9223372036854775808", "-9223372036854775809"};
    String num = nums[rnd.nextInt(nums.length)];
    return switch (rnd.nextInt(3)) {
      case 0 -> "{\"type\":\"admin\",\"pin\":\"ABCDEFGH\",\"op\":\"extend\",\"seconds\":" + num + "}";
      case 1 -> "{\"type\":\"join\",\"profile\":\"" + PROFILE + "\",\"lastSeq\":" + num + "}";
      default -> "{\"type\":" + num + "}";
    };
  }

  private byte[] invalidUtf8() {
    byte[] prefix = "{\"type\":\"msg\",\"id\":\"".getBytes(StandardCharsets.UTF_8);
    byte[][] bad = {{(byte) 0xC3}, {(byte) 0xFF, (byte) 0xFE}, {(byte) 0xED, (byte) 0xA0, (byte) 0x80},
        {(byte) 0xF8, (byte) 0x88, (byte) 0x80, (byte) 0x80, (byte) 0x80}, {(byte) 0xC0, (byte) 0xAF}};
    byte[] b = bad[rnd.nextInt(bad.length)];
    byte[] out = new byte[prefix.length + b.length + 2];
    System.arraycopy(prefix, 0, out, 0, prefix.length);
    System.arraycopy(b, 0, out, prefix.length, b.length);
    out[out.length - 2] = '"';
    out[out.length - 1] = '}';
    return out;
  }

  private byte[][] fragments() {
    byte[] whole = (rnd.nextBoolean() ? validFrame() : randomJson()).getBytes(StandardCharsets.UTF_8);
    int parts = 2 + rnd.nextInt(3);
    List<byte[]> out = new ArrayList<>();
    int at = 0;
    for (int p = 0; p < parts; p++) {
      int end = p == parts - 1 ? whole.length : Math.min(whole.length, at + rnd.nextInt(whole.length / parts + 1));
      byte[] chunk = java.util.Arrays.copyOfRange(whole, at, end);
      at = end;
      boolean last = p == parts - 1;
      int opcode = p == 0 ? (rnd.nextInt(6) == 0 ? 2 : 1) : 0;
      if (rnd.nextInt(8) == 0) {
        opcode = rnd.nextInt(3); // out of order: a new start mid-message, or a continuation first
      }
      boolean fin = last ? rnd.nextInt(8) != 0 : rnd.nextInt(10) == 0;
      out.add(frame((fin ? 0x80 : 0) | opcode, chunk, true));
      if (rnd.nextInt(5) == 0) {
        out.add(frame(0x89, "p".getBytes(StandardCharsets.UTF_8), true)); // a ping between fragments is legal
      }
    }
    return out.toArray(new byte[0][]);
  }

  private byte[] brokenFraming() {
    return switch (rnd.nextInt(6)) {
      case 0 -> frame(0x81, "{\"type\":\"ping\"}".getBytes(StandardCharsets.UTF_8), false); // unmasked
      case 1 -> frame(0x80 | 0x40 | 1, "{\"type\":\"ping\"}".getBytes(StandardCharsets.UTF_8), true); // RSV1
      case 2 -> frame(0x80 | (3 + rnd.nextInt(5)), randomBytes(10), true); // reserved data opcode
      case 3 -> frame(0x89, randomBytes(126 + rnd.nextInt(200)), true); // control frame too long
      case 4 -> frame(0x09, randomBytes(4), true); // fragmented control frame
      default -> {
        garbage = true;
        yield randomBytes(1 + rnd.nextInt(20)); // not a frame at all
      }
    };
  }

  private byte[] randomBytes(int n) {
    byte[] b = new byte[n];
    rnd.nextBytes(b);
    return b;
  }

  /** Encodes one frame; the mask key comes from the seed too. */
  private byte[] frame(int firstByte, byte[] payload, boolean masked) {
    byte[] key = randomBytes(4); // drawn either way, so the seed's sequence does not depend on the mask choice
    return RawWebSocket.encode(firstByte, payload, masked ? key : null);
  }

  private String oddWsPath(String room) {
    String[] paths = {"/ws/rooms/", "/ws/rooms/AAAAAAAAAAAAAAAAAAAAAA", "/ws/rooms/" + room + "/x", "/ws/rooms/..%2F" + room,
        "/ws/rooms/" + room.substring(0, 21) + "%00", "/ws/rooms/" + "A".repeat(500), "/ws/rooms/" + room + "?x=1"};
    return paths[rnd.nextInt(paths.length)];
  }

  // ---- HTTP cases ----

  private void httpCase(int i, String room) {
    httpCases++;
    String[] methods = {"GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD", "TRACE", "FOO", "get", "POST"};
    String[] paths = {"/api/rooms", "/api/rooms/" + room, "/api/rooms/AAAAAAAAAAAAAAAAAAAAAA", "/", "/r/" + room,
        "/js/primitives.js", "/health/ready", "/health/live", "/metrics", "/api/", "/api/rooms/%", "/..%2f..%2fetc/passwd",
        "//", "/api/rooms/" + "a".repeat(3000), "/%C3%A9", "/api/rooms?ttlSeconds=300", "/index.html/..",
        "/api/rooms/" + room + "/../" + room, "/\u00e9", "*", "http://evil.example/api/rooms", "/r/<script>"};
    String method = methods[rnd.nextInt(methods.length)];
    String path = paths[rnd.nextInt(paths.length)];
    String body = switch (rnd.nextInt(8)) {
      case 0 -> "";
      case 1 -> "{\"ttlSeconds\":" + (rnd.nextInt(200_000) - 5) + "}";
      case 2 -> "{\"ttlSeconds\":";
      case 3 -> "{\"ttlSeconds\":" + "9".repeat(2 + rnd.nextInt(900)) + "}";
      case 4 -> "x".repeat(rnd.nextInt(200_000));
      case 5 -> "[".repeat(rnd.nextInt(900));
      case 6 -> new String(randomChars(rnd.nextInt(100)));
      default -> mutate("{\"ttlSeconds\":300}");
    };
    StringBuilder req = new StringBuilder(method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1:" + node.httpPort() + "\r\n");
    switch (rnd.nextInt(6)) {
      case 0 -> req.append("Transfer-Encoding: chunked\r\nContent-Length: ").append(body.length()).append("\r\n");
      case 1 -> req.append("Content-Length: ").append(rnd.nextInt(5) == 0 ? "-1" : String.valueOf(body.length() * 2 + 1))
          .append("\r\n");
      case 2 -> req.append("Content-Type: application/json\r\nX-Forwarded-For: 6.6.6.6\r\nContent-Length: ")
          .append(body.getBytes(StandardCharsets.UTF_8).length).append("\r\n");
      default -> req.append("Content-Length: ").append(body.getBytes(StandardCharsets.UTF_8).length).append("\r\n");
    }
    req.append("Connection: close\r\n\r\n").append(body);
    RawResponse r;
    try {
      r = Hostile.raw(node.httpPort(), req.toString().getBytes(StandardCharsets.UTF_8));
    } catch (IOException e) {
      problems.add("case " + i + ": " + method + " " + abbreviate(path) + " -> " + e);
      return;
    }
    String what = "case " + i + ": " + method + " " + abbreviate(path) + " -> " + r.status();
    if (r.status() == -1 && r.body().isEmpty()) {
      return; // the server closed a connection it could not make sense of (e.g. a lying Content-Length)
    }
    if (!HTTP_STATUSES.contains(r.status())) {
      problems.add(what + " unexpected status " + abbreviate(r.body()) + " " + r.headers().keySet());
      return;
    }
    boolean asset = r.status() == 200 && !String.valueOf(r.headers().get("content-type")).startsWith("application/json");
    if (!asset) {
      assertNoLeakInto(r.body(), what);
    }
    if (r.status() >= 400 && r.status() != 501 && !"HEAD".equals(method)) {
      try {
        String code = new JsonObject(r.body()).getJsonObject("error").getString("code");
        if (!Hostile.KNOWN_CODES.contains(code)) {
          problems.add(what + " unknown code " + code);
        }
      } catch (RuntimeException e) {
        problems.add(what + " error body is not the JSON error shape: " + abbreviate(r.body()));
      }
    }
    if (r.status() != 501) {
      try {
        Hostile.assertSecurityHeaders(r.headers(), what, false);
      } catch (AssertionError e) {
        problems.add(what + " headers: " + abbreviate(e.getMessage()));
      }
    }
  }

  // ---- helpers ----

  private static long usedHeapAfterGc() throws InterruptedException {
    for (int k = 0; k < 3; k++) {
      System.gc();
      Thread.sleep(100);
    }
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
  }

  private static String abbreviate(String s) {
    return s == null ? "null" : s.length() > 200 ? s.substring(0, 200) + "…" : s;
  }
}
