package io.burnroom.edge;

import static org.assertj.core.api.Assertions.assertThat;

import io.burnroom.app.BurnroomNode;
import io.burnroom.support.TestNodes;
import io.burnroom.support.TestNodes.Reply;
import io.burnroom.support.WsClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Join tokens over real WebSockets on one node: a room created with a join hash seats a fresh join only with the
 * matching token, a kick can rotate the hash so the old link admits nobody, and rooms created without one behave as
 * before.
 */
@DisplayName("Join tokens: the room id alone is not a seat, and a kick lasts")
class JoinTokenTest {
  private static final String PROFILE = "cHJvZmlsZQ==";
  private static final Base64.Encoder B64URL = Base64.getUrlEncoder().withoutPadding();
  private static final SecureRandom RANDOM = new SecureRandom();
  private static TestNodes nodes;
  private static BurnroomNode node;

  @BeforeAll
  static void start() {
    nodes = new TestNodes();
    node = nodes.embedded(Map.of("BURNROOM_RESUME_GRACE_MS", "5000"));
  }

  @AfterAll
  static void stop() {
    nodes.close();
  }

  /** A join token as a browser derives one: 32 bytes, base64url without padding. */
  static String newToken() {
    byte[] t = new byte[32];
    RANDOM.nextBytes(t);
    return B64URL.encodeToString(t);
  }

  /** What the creator registers: SHA-256 of the token's bytes, base64url without padding. */
  static String hashOf(String token) {
    try {
      return B64URL.encodeToString(MessageDigest.getInstance("SHA-256").digest(Base64.getUrlDecoder().decode(token)));
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private JsonObject tokenRoom(String token) {
    Reply r = nodes.request(HttpMethod.POST, node.httpPort(), "/api/rooms",
        new JsonObject().put("ttlSeconds", 600).put("joinHash", hashOf(token)).encode());
    assertThat(r.status()).isEqualTo(201);
    return r.body();
  }

  private static JsonObject joinFrame(String token) {
    JsonObject f = new JsonObject().put("type", "join").put("profile", PROFILE);
    return token == null ? f : f.put("token", token);
  }

  private static void rotate(WsClient creator, String pin, String joinHash) {
    creator.send(new JsonObject().put("type", "admin").put("pin", pin).put("op", "rotate").put("joinHash", joinHash));
  }

  private WsClient joinedWith(String roomId, String token) {
    WsClient c = nodes.ws(node, roomId);
    c.send(joinFrame(token));
    c.expect("joined");
    return c;
  }

  /** A fresh join with {@code token} (null: none) is refused with join_token_invalid and close 4010. */
  private void refused(String roomId, String token) {
    try (WsClient c = nodes.ws(node, roomId)) {
      c.send(joinFrame(token));
      JsonObject error = c.expect("error");
      assertThat(error.getString("code")).isEqualTo("join_token_invalid");
      assertThat(c.awaitClose()).isEqualTo((short) 4010);
      assertThat(c.received()).noneMatch(f -> "joined".equals(f.getString("type")));
    }
  }

  @Test
  @DisplayName("a token room refuses a join with no token (the bare room id) or a wrong one with 4010, and seats the right one")
  void tokenRoomAdmitsOnlyItsToken() {
    String token = newToken();
    JsonObject room = tokenRoom(token);
    String id = room.getString("roomId");
    refused(id, null);
    refused(id, newToken());
    refused(id, hashOf(token)); // the registered hash is not a token
    try (WsClient a = joinedWith(id, token); WsClient b = joinedWith(id, token)) {
      assertThat(a.expect("member_joined").getString("memberId"))
          .isEqualTo(b.received().get(0).getString("memberId"));
      JsonObject info = nodes.request(HttpMethod.GET, node.httpPort(), "/api/rooms/" + id, null).body();
      assertThat(info.getInteger("members")).isEqualTo(2);
      assertThat(info.encode()).doesNotContain(hashOf(token));
    }
  }

  @Test
  @DisplayName("after a kick with a new hash the kicked member's old token gets 4010 and its resume token 4003; the new token works and the others resume without one")
  void kickRotatesTheLink() {
    String oldToken = newToken();
    String newToken = newToken();
    JsonObject room = tokenRoom(oldToken);
    String id = room.getString("roomId");
    try (WsClient creator = joinedWith(id, oldToken); WsClient kim = joinedWith(id, oldToken);
         WsClient carol = joinedWith(id, oldToken)) {
      JsonObject kimJoined = kim.received().get(0);
      JsonObject carolJoined = carol.received().get(0);
      creator.send(new JsonObject().put("type", "admin").put("pin", room.getString("pin")).put("op", "kick")
          .put("target", kimJoined.getString("memberId")).put("joinHash", hashOf(newToken)));
      assertThat(creator.expect("admin_ok").getString("op")).isEqualTo("kick");
      assertThat(kim.awaitClose()).isEqualTo((short) 4001);
      assertThat(carol.expect("member_left").getString("reason")).isEqualTo("kicked");

      refused(id, oldToken);
      try (WsClient again = nodes.ws(node, id)) {
        again.send(joinFrame(oldToken).put("resume", kimJoined.getString("resumeToken")));
        assertThat(again.expect("error").getString("code")).isEqualTo("banned");
        assertThat(again.awaitClose()).isEqualTo((short) 4003);
      }
      try (WsClient newcomer = joinedWith(id, newToken)) {
        assertThat(newcomer.received().get(0).getJsonArray("members")).hasSize(3);
      }

      carol.close(4999); // a dropped network: the seat waits for a resume
      try (WsClient back = nodes.ws(node, id)) {
        JsonObject resumed = back.resume(PROFILE, carolJoined.getString("resumeToken"), carolJoined.getLong("seq"));
        assertThat(resumed.getString("memberId")).isEqualTo(carolJoined.getString("memberId"));
      }
    }
  }

  @Test
  @DisplayName("rotate replaces only the hash and answers admin_ok; a wrong PIN changes nothing")
  void rotate() {
    String first = newToken();
    String second = newToken();
    JsonObject room = tokenRoom(first);
    String id = room.getString("roomId");
    try (WsClient creator = joinedWith(id, first)) {
      rotate(creator, "WRONG111", hashOf(second));
      assertThat(creator.expect("error").getString("code")).isEqualTo("wrong_pin");
      joinedWith(id, first).close();
      rotate(creator, room.getString("pin"), hashOf(second));
      assertThat(creator.expect("admin_ok").getString("op")).isEqualTo("rotate");
      refused(id, first);
      joinedWith(id, second).close();
      creator.msg("still-here", "AAAA");
      assertThat(creator.expect("ack").getString("id")).isEqualTo("still-here");
    }
  }

  @Test
  @DisplayName("a room created without a hash is open as before, whatever a join carries, until a rotate makes it a token room")
  void legacyRoomsStayOpen() {
    JsonObject room = nodes.createRoom(node, 600);
    String id = room.getString("roomId");
    try (WsClient creator = nodes.ws(node, id)) {
      creator.join(PROFILE);
      joinedWith(id, null).close();
      joinedWith(id, newToken()).close();
      String token = newToken();
      rotate(creator, room.getString("pin"), hashOf(token));
      assertThat(creator.expect("admin_ok").getString("op")).isEqualTo("rotate");
      refused(id, null);
      joinedWith(id, token).close();
    }
  }

  @Test
  @DisplayName("malformed hashes and tokens get stable codes: 400 bad_request on create, bad_field in a frame")
  void malformed() {
    for (String body : new String[] {
        "{\"ttlSeconds\":600,\"joinHash\":\"short\"}",
        "{\"ttlSeconds\":600,\"joinHash\":7}",
        "{\"ttlSeconds\":600,\"joinHash\":\"" + hashOf(newToken()) + "=\"}"}) {
      Reply r = nodes.request(HttpMethod.POST, node.httpPort(), "/api/rooms", body);
      assertThat(r.status()).as(body).isEqualTo(400);
      assertThat(r.body().getJsonObject("error").getString("code")).isEqualTo("bad_request");
    }
    String token = newToken();
    JsonObject room = tokenRoom(token);
    String id = room.getString("roomId");
    try (WsClient c = nodes.ws(node, id)) {
      c.send(joinFrame(token.substring(1)));
      assertThat(c.expect("error").getString("code")).isEqualTo("bad_field");
      c.send(joinFrame(token));
      c.expect("joined");
      c.send(new JsonObject().put("type", "admin").put("pin", room.getString("pin")).put("op", "rotate"));
      assertThat(c.expect("error").getString("code")).isEqualTo("bad_field");
      c.send(new JsonObject().put("type", "admin").put("pin", room.getString("pin")).put("op", "kick")
          .put("target", "x").put("joinHash", "not-a-hash"));
      assertThat(c.expect("error").getString("code")).isEqualTo("bad_field");
    }
    joinedWith(id, token).close(); // neither malformed frame rotated anything
  }
}
