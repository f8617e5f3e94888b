package io.burnroom.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.burnroom.app.BurnroomNode;
import io.burnroom.room.RoomState;
import io.burnroom.support.TestNodes;
import io.burnroom.support.WsClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.Base64;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The join hash is part of a room's replicated state: after its owner hands the room over (SIGTERM's path: final
 * snapshot, leave, the survivor restores), the rotated hash still decides who may join.
 */
@DisplayName("Join tokens survive a hand-over to another node")
class JoinTokenHandoverTest {
  private static final String PROFILE = "cHJvZmlsZQ==";
  private static final Base64.Encoder B64URL = Base64.getUrlEncoder().withoutPadding();
  private static final SecureRandom RANDOM = new SecureRandom();

  private static String newToken() {
    byte[] t = new byte[32];
    RANDOM.nextBytes(t);
    return B64URL.encodeToString(t);
  }

  private static String hashOf(String token) throws Exception {
    return B64URL.encodeToString(MessageDigest.getInstance("SHA-256").digest(Base64.getUrlDecoder().decode(token)));
  }

  private static JsonObject join(String token) {
    return new JsonObject().put("type", "join").put("profile", PROFILE).put("token", token);
  }

  @Test
  @DisplayName("a room restored on B after A stops refuses the pre-kick token (4010) and the kicked resume token (4003), and seats the rotated one")
  void rotatedHashSurvivesHandover() throws Exception {
    try (TestNodes nodes = new TestNodes()) {
      BurnroomNode a = nodes.clustered();
      BurnroomNode b = nodes.clustered();
      String oldToken = newToken();
      String newToken = newToken();
      TestNodes.Reply created = nodes.request(HttpMethod.POST, a.httpPort(), "/api/rooms",
          new JsonObject().put("ttlSeconds", 600).put("joinHash", hashOf(oldToken)).encode());
      assertThat(created.status()).isEqualTo(201);
      String id = created.body().getString("roomId");
      JsonObject kimJoined;
      try (WsClient creator = nodes.ws(b, id); WsClient kim = nodes.ws(b, id)) {
        creator.send(join(oldToken));
        creator.expect("joined");
        kim.send(join(oldToken));
        kimJoined = kim.expect("joined");
        creator.send(new JsonObject().put("type", "admin").put("pin", created.body().getString("pin"))
            .put("op", "kick").put("target", kimJoined.getString("memberId")).put("joinHash", hashOf(newToken)));
        creator.expect("admin_ok");
        assertThat(kim.awaitClose()).isEqualTo((short) 4001);
      }
      SnapshotStore store = SnapshotStore.clustered(b.vertx(), b.hazelcast(), Clock.systemUTC(),
          RoomState.REPLICATED_FRAMES);
      JsonObject snapshot = TestNodes.await(store.load(id), 5_000);
      assertThat(snapshot.getString("joinHash")).as("the replicated hash is the rotated one").isEqualTo(hashOf(newToken));
      assertThat(snapshot.encode()).doesNotContain(oldToken).doesNotContain(newToken);

      nodes.stop(a); // the owner leaves gracefully; B restores the room from its snapshot
      long deadline = System.currentTimeMillis() + 20_000;
      while (nodes.request(HttpMethod.GET, b.httpPort(), "/api/rooms/" + id, null).status() != 200) {
        assertThat(System.currentTimeMillis()).as("room restored on B").isLessThan(deadline);
        Thread.sleep(100);
      }

      try (WsClient stale = nodes.ws(b, id)) {
        stale.send(join(oldToken));
        assertThat(stale.expect("error").getString("code")).isEqualTo("join_token_invalid");
        assertThat(stale.awaitClose()).isEqualTo((short) 4010);
      }
      try (WsClient kimAgain = nodes.ws(b, id)) {
        kimAgain.send(join(newToken).put("resume", kimJoined.getString("resumeToken")));
        assertThat(kimAgain.expect("error").getString("code")).isEqualTo("banned");
        assertThat(kimAgain.awaitClose()).isEqualTo((short) 4003);
      }
      try (WsClient newcomer = nodes.ws(b, id)) {
        newcomer.send(join(newToken));
        assertThat(newcomer.expect("joined").getString("memberId")).isNotBlank();
      }
    }
  }
}
