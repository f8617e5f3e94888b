package io.burnroom.security;

import static io.burnroom.security.Hostile.assertNoLeak;
import static io.burnroom.security.Hostile.assertSecurityHeaders;
import static org.assertj.core.api.Assertions.assertThat;

import io.burnroom.app.BurnroomNode;
import io.burnroom.security.Hostile.RawResponse;
import io.burnroom.support.TestNodes;
import io.burnroom.support.TestNodes.Reply;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Security headers on every response of the chat port")
class SecurityHeadersTest {
  private static TestNodes nodes;
  private static BurnroomNode node;
  private static BurnroomNode behindProxy;
  private static String roomId;

  @BeforeAll
  static void start() {
    nodes = new TestNodes();
    node = nodes.embedded();
    behindProxy = nodes.embedded(Map.of("BURNROOM_TRUSTED_PROXIES", "127.0.0.1"));
    roomId = nodes.createRoom(node, 600).getString("roomId");
  }

  @AfterAll
  static void stop() {
    nodes.close();
  }

  private Reply http(HttpMethod m, String path, String body) {
    return nodes.request(m, node.httpPort(), path, body);
  }

  private static void assertErrorBody(Reply r, String what, int status, String code) {
    assertThat(r.status()).as(what).isEqualTo(status);
    assertThat(r.headers().get("content-type")).as(what).startsWith("application/json");
    assertThat(r.body().getJsonObject("error").getString("code")).as(what).isEqualTo(code);
    assertNoLeak(r.body().encode(), what);
  }

  @Test
  @DisplayName("pages, the room page, assets, API answers and health all carry the full set (no HSTS over plain HTTP)")
  void successes() {
    Reply create = http(HttpMethod.POST, "/api/rooms", new JsonObject().put("ttlSeconds", 600).encode());
    assertThat(create.status()).isEqualTo(201);
    Map<String, Reply> replies = Map.of(
        "index page", http(HttpMethod.GET, "/", null),
        "room page", http(HttpMethod.GET, "/r/" + roomId, null),
        "asset", http(HttpMethod.GET, "/js/primitives.js", null),
        "API create", create,
        "API info", http(HttpMethod.GET, "/api/rooms/" + roomId, null),
        "health live", http(HttpMethod.GET, "/health/live", null),
        "health ready", http(HttpMethod.GET, "/health/ready", null));
    replies.forEach((what, r) -> {
      assertThat(r.status()).as(what).isBetween(200, 201);
      assertSecurityHeaders(r.headers(), what, false);
    });
    assertThat(replies.get("asset").headers().get("content-type")).startsWith("text/javascript");
    assertThat(replies.get("room page").headers().get("content-type")).startsWith("text/html");
  }

  @Test
  @DisplayName("every kind of error is JSON with a stable code and carries the full set: 400, 404, 405, 413, bad upgrade")
  void errors() {
    Reply unknownRoom = http(HttpMethod.GET, "/api/rooms/AAAAAAAAAAAAAAAAAAAAAA", null);
    assertErrorBody(unknownRoom, "unknown room", 404, "room_not_found");
    Reply noPage = http(HttpMethod.GET, "/no/such/page", null);
    assertErrorBody(noPage, "unknown page", 404, "not_found");
    Reply badMethod = http(HttpMethod.DELETE, "/index.html", null);
    assertErrorBody(badMethod, "wrong method", 405, "method_not_allowed");
    Reply badApiMethod = http(HttpMethod.PUT, "/api/rooms", "{}");
    assertErrorBody(badApiMethod, "wrong API method", 400, "bad_request");
    Reply badJson = http(HttpMethod.POST, "/api/rooms", "{\"ttlSeconds\":");
    assertErrorBody(badJson, "bad JSON", 400, "bad_request");
    Reply big = http(HttpMethod.POST, "/api/rooms", "x".repeat(10_000));
    assertErrorBody(big, "huge body", 413, "payload_too_large");
    Reply notUpgrade = http(HttpMethod.GET, "/ws/rooms/" + roomId, null);
    assertErrorBody(notUpgrade, "WebSocket path without an upgrade", 400, "bad_request");
    for (Reply r : new Reply[] {unknownRoom, noPage, badMethod, badApiMethod, badJson, big, notUpgrade}) {
      assertSecurityHeaders(r.headers(), "error " + r.status() + " " + r.body().encode(), false);
    }
  }

  @Test
  @DisplayName("requests Netty cannot even decode (garbage request line, huge URI, huge header) answer 400 with the headers")
  void undecodable() throws Exception {
    String[] requests = {
        "GARBAGE\r\n\r\n",
        "GET /" + "a".repeat(10_000) + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: " + "b".repeat(20_000) + "\r\n\r\n"};
    for (String req : requests) {
      RawResponse r = Hostile.raw(node.httpPort(), req.getBytes(StandardCharsets.ISO_8859_1));
      String what = "raw " + req.substring(0, Math.min(20, req.length()));
      assertThat(r.status()).as(what + " -> " + r.body()).isEqualTo(400);
      assertSecurityHeaders(r.headers(), what, false);
      assertThat(new JsonObject(r.body()).getJsonObject("error").getString("code")).as(what).isEqualTo("bad_request");
      assertNoLeak(r.body(), what);
    }
    // An unknown HTTP version is answered inside Vert.x before any handler runs: 501 with an empty body. It carries
    // no security headers (documented in docs/security.md); there is nothing in it to protect or to leak.
    RawResponse version = Hostile.raw(node.httpPort(),
        "GET / HTTP/9.9\r\nHost: 127.0.0.1\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
    assertThat(version.status()).isEqualTo(501);
    assertThat(version.body()).isEmpty();
  }

  @Test
  @DisplayName("a WebSocket handshake from a foreign Origin gets 403 forbidden_origin with the headers")
  void foreignOriginHandshake() throws Exception {
    String req = "GET /ws/rooms/" + roomId + " HTTP/1.1\r\nHost: 127.0.0.1:" + node.httpPort() + "\r\n"
        + "Origin: https://evil.example\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        + "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n";
    RawResponse r = Hostile.raw(node.httpPort(), req.getBytes(StandardCharsets.ISO_8859_1));
    assertThat(r.status()).isEqualTo(403);
    assertSecurityHeaders(r.headers(), "403 handshake", false);
    assertThat(r.body()).contains("forbidden_origin");
  }

  @Test
  @DisplayName("upgrades get the headers only when refused: a broken handshake, a path under a room, a 101 has none")
  void refusedUpgrades() throws Exception {
    String upgrade = "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n";
    String key = "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n";
    String host = "Host: 127.0.0.1:" + node.httpPort() + "\r\n";
    // upgrade headers but no key: Vert.x refuses the handshake, we answer
    RawResponse broken = Hostile.raw(node.httpPort(), ("GET /ws/rooms/" + roomId + " HTTP/1.1\r\n" + host + upgrade
        + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
    assertThat(broken.status()).isEqualTo(400);
    assertSecurityHeaders(broken.headers(), "400 broken handshake", false);
    assertThat(broken.body()).contains("bad_request");
    // not a room's socket path: not an upgrade route at all
    RawResponse deeper = Hostile.raw(node.httpPort(), ("GET /ws/rooms/" + roomId + "/x HTTP/1.1\r\n" + host + upgrade
        + key + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
    assertThat(deeper.status()).isEqualTo(404);
    assertSecurityHeaders(deeper.headers(), "404 under a room", false);
    // a good handshake (a trailing slash is allowed) is answered by Vert.x's own 101
    RawResponse ok = Hostile.raw(node.httpPort(), ("GET /ws/rooms/" + roomId + "/ HTTP/1.1\r\n" + host + upgrade
        + key + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
    assertThat(ok.status()).isEqualTo(101);
    assertThat(ok.headers().get("content-security-policy")).isNull();
  }

  @Test
  @DisplayName("HSTS follows X-Forwarded-Proto only from a trusted proxy; a client cannot claim TLS itself")
  void forwardedProto() throws Exception {
    String req = "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Forwarded-Proto: https\r\nConnection: close\r\n\r\n";
    RawResponse direct = Hostile.raw(node.httpPort(), req.getBytes(StandardCharsets.ISO_8859_1));
    assertSecurityHeaders(direct.headers(), "untrusted X-Forwarded-Proto", false);
    RawResponse proxied = Hostile.raw(behindProxy.httpPort(), req.getBytes(StandardCharsets.ISO_8859_1));
    assertSecurityHeaders(proxied.headers(), "trusted proxy says https", true);
    assertThat(proxied.headers().get("content-security-policy")).contains("wss://127.0.0.1");
  }
}
