package io.burnroom.edge;

import static org.assertj.core.api.Assertions.assertThat;

import io.burnroom.app.BurnroomNode;
import io.burnroom.config.Limits;
import io.burnroom.support.TestNodes;
import io.burnroom.support.WsClient;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Attachment chunks on one node, over real WebSockets (decision 47)")
class AttachmentProtocolTest {
  private static final String PROFILE = "cHJvZmlsZQ==";
  /** A padded chunk as the web client sends it: 65,500 base64 characters. */
  private static final String BODY = "Q".repeat(65_500);
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

  private static WsClient joined(BurnroomNode n, String roomId) {
    WsClient c = nodes.ws(n, roomId);
    c.join(PROFILE);
    return c;
  }

  @Test
  @DisplayName("a chunk reaches every other member without a seq, the sender gets chunk_ack, and msg seqs are untouched")
  void relayAndAck() {
    String roomId = nodes.createRoom(node, 600).getString("roomId");
    try (WsClient a = joined(node, roomId); WsClient b = joined(node, roomId); WsClient c = joined(node, roomId)) {
      a.chunk("att1.0", BODY, null);
      assertThat(a.expect("chunk_ack").getString("id")).isEqualTo("att1.0");
      for (WsClient r : List.of(b, c)) {
        JsonObject got = r.expect("chunk");
        assertThat(got.getString("from")).isEqualTo(a.received().get(0).getString("memberId"));
        assertThat(got.getString("id")).isEqualTo("att1.0");
        assertThat(got.getString("body")).isEqualTo(BODY);
        assertThat(got.containsKey("seq")).isFalse();
        assertThat(got.containsKey("direct")).isFalse();
      }
      a.msg("m1", "QUJD");
      assertThat(a.expect("ack").getLong("seq")).as("chunks take no seq").isEqualTo(1);
      assertThat(a.received()).noneMatch(f -> "chunk".equals(f.getString("type")));
    }
  }

  @Test
  @DisplayName("joined tells the largest attachment (default 10 MiB, BURNROOM_MAX_ATTACHMENT_BYTES)")
  void joinedTellsTheCap() {
    String roomId = nodes.createRoom(node, 600).getString("roomId");
    try (WsClient a = nodes.ws(node, roomId)) {
      assertThat(a.join(PROFILE).getInteger("maxAttachmentBytes")).isEqualTo(10 * 1024 * 1024);
    }
    BurnroomNode small = nodes.embedded(Map.of("BURNROOM_MAX_ATTACHMENT_BYTES", "1048576"));
    String other = nodes.createRoom(small, 600).getString("roomId");
    try (WsClient a = nodes.ws(small, other)) {
      assertThat(a.join(PROFILE).getInteger("maxAttachmentBytes")).isEqualTo(1024 * 1024);
    }
  }

  @Test
  @DisplayName("a chunk with to goes to that member only, marked direct; an unknown to is unknown_member")
  void direct() {
    String roomId = nodes.createRoom(node, 600).getString("roomId");
    try (WsClient a = joined(node, roomId); WsClient b = joined(node, roomId); WsClient c = joined(node, roomId)) {
      String bId = b.received().get(0).getString("memberId");
      a.chunk("d.0", "QUJD", bId);
      assertThat(a.expect("chunk_ack").getString("id")).isEqualTo("d.0");
      JsonObject got = b.expect("chunk");
      assertThat(got.getBoolean("direct")).isTrue();
      a.chunk("d.1", "QUJD", "nobody-here");
      assertThat(a.expect("error").getString("code")).isEqualTo("unknown_member");
      a.msg("after", "QUJD");
      assertThat(c.expect("msg").getString("id")).isEqualTo("after");
      assertThat(c.received()).noneMatch(f -> "chunk".equals(f.getString("type")));
    }
  }

  @Test
  @DisplayName("oversize: a body over 65,536 chars is payload_too_large (socket open), a frame over the limit closes 1009")
  void oversize() {
    String roomId = nodes.createRoom(node, 600).getString("roomId");
    try (WsClient a = joined(node, roomId)) {
      a.chunk("big", "Q".repeat(Limits.BODY_MAX + 1), null);
      assertThat(a.expect("error").getString("code")).isEqualTo("payload_too_large");
      a.chunk("", "QUJD", null);
      assertThat(a.expect("error").getString("code")).isEqualTo("bad_field");
      a.chunk("bad", "not base64!", null);
      assertThat(a.expect("error").getString("code")).isEqualTo("bad_field");
      a.chunk("ok", "QUJD", null);
      assertThat(a.expect("chunk_ack").getString("id")).isEqualTo("ok");
      a.sendText("{\"type\":\"chunk\",\"id\":\"x\",\"body\":\"" + "Q".repeat(Limits.FRAME_MAX) + "\"}");
      assertThat(a.expect("error").getString("code")).isEqualTo("payload_too_large");
      assertThat(a.awaitClose()).isEqualTo((short) 1009);
    }
  }

  @Test
  @DisplayName("before join a chunk is not_joined")
  void notJoined() {
    String roomId = nodes.createRoom(node, 600).getString("roomId");
    try (WsClient a = nodes.ws(node, roomId)) {
      a.chunk("early", "QUJD", null);
      assertThat(a.expect("error").getString("code")).isEqualTo("not_joined");
    }
  }

  @Test
  @DisplayName("a flood of chunks that ignores the acks gets rate_limited, then close 4029; chunks skip the msg rate")
  void flood() {
    BurnroomNode strict = nodes.embedded(Map.of("BURNROOM_MSGS_PER_SECOND_PER_CONNECTION", "20"));
    String roomId = nodes.createRoom(strict, 600).getString("roomId");
    try (WsClient a = joined(strict, roomId); WsClient b = joined(strict, roomId)) {
      // well-behaved first: 40 chunks in 2 s would be 2x the msg rate, but a window of 4 is never refused
      a.chunks("w", 40, "QUJD", 4);
      assertThat(a.received()).noneMatch(f -> "error".equals(f.getString("type")));
      for (int i = 0; i < 500 && !a.isClosed(); i++) {
        a.chunk("f." + i, BODY, null);
      }
      assertThat(a.awaitClose()).isEqualTo((short) 4029);
      assertThat(a.received()).anyMatch(f -> "rate_limited".equals(f.getString("code")));
      long acked = a.received().stream().filter(f -> "chunk_ack".equals(f.getString("type"))).count();
      long relayed = b.received().stream().filter(f -> "chunk".equals(f.getString("type"))).count();
      assertThat(relayed).as("only acked chunks were relayed").isLessThanOrEqualTo(acked + 8).isLessThan(500);
    }
  }

  @Test
  @DisplayName("pacing: past the connection's byte budget the acks come later, without errors")
  void paced() {
    BurnroomNode slow = nodes.embedded(Map.of("BURNROOM_CHUNK_BYTES_PER_SECOND_PER_CONNECTION", "1048576"));
    String roomId = nodes.createRoom(slow, 600).getString("roomId");
    try (WsClient a = joined(slow, roomId); WsClient b = joined(slow, roomId)) {
      long start = System.nanoTime();
      int chunks = 32; // ~2 MiB: the first 8 frames are the burst, the rest take ~1.5 s at 1 MiB/s
      a.chunks("p", chunks, BODY, 4);
      List<String> acks = a.received().stream().filter(f -> "chunk_ack".equals(f.getString("type")))
          .map(f -> f.getString("id")).toList();
      assertThat(acks).as("acks in the order of their chunks").hasSize(chunks)
          .isEqualTo(java.util.stream.IntStream.range(0, chunks).mapToObj(i -> "p." + i).toList());
      long ms = (System.nanoTime() - start) / 1_000_000;
      assertThat(ms).as("the acks were held to the rate").isGreaterThan(1_200);
      assertThat(a.received()).noneMatch(f -> "error".equals(f.getString("type")));
      for (int i = 0; i < chunks; i++) {
        assertThat(b.expect("chunk").getString("id")).isEqualTo("p." + i);
      }
    }
  }

  @Test
  @DisplayName("the room's byte budget: past its debt a chunk is rate_limited and not relayed; the socket stays open")
  void roomBudget() {
    BurnroomNode tight = nodes.embedded(Map.of("BURNROOM_ROOM_BYTES_PER_SECOND", "65536"));
    String roomId = nodes.createRoom(tight, 600).getString("roomId");
    try (WsClient a = joined(tight, roomId); WsClient b = joined(tight, roomId)) {
      // one recipient: a burst of ~64 KiB, then up to 1 s of debt; the third full chunk at once is past it
      a.chunk("r.0", BODY, null);
      a.chunk("r.1", BODY, null);
      a.chunk("r.2", BODY, null);
      assertThat(a.expect("error").getString("code")).isEqualTo("rate_limited");
      assertThat(b.expect("chunk").getString("id")).isEqualTo("r.0");
      assertThat(b.expect("chunk").getString("id")).isEqualTo("r.1");
      a.msg("still-open", "QUJD");
      assertThat(b.expect("msg").getString("id")).isEqualTo("still-open");
      assertThat(b.received().stream().filter(f -> "chunk".equals(f.getString("type"))).count()).isEqualTo(2);
      assertThat(a.isClosed()).isFalse();
    }
  }

  @Test
  @DisplayName("a member that resumes gets the messages it missed but not the chunks")
  void resumeSkipsChunks() {
    String roomId = nodes.createRoom(node, 600).getString("roomId");
    try (WsClient a = joined(node, roomId)) {
      WsClient b = nodes.ws(node, roomId);
      JsonObject bJoined = b.join(PROFILE);
      a.expect("member_joined");
      b.close(4999); // a dropped network: the seat is kept
      b.awaitClose();
      a.chunk("gone.0", "QUJD", null);
      assertThat(a.expect("chunk_ack").getString("id")).isEqualTo("gone.0");
      a.msg("missed", "QUJD");
      a.expect("ack");
      try (WsClient again = nodes.ws(node, roomId)) {
        again.resume(PROFILE, bJoined.getString("resumeToken"), 0);
        assertThat(again.expect("msg").getString("id")).isEqualTo("missed");
        a.chunk("live.0", "QUJD", null);
        assertThat(again.expect("chunk").getString("id")).isEqualTo("live.0");
        assertThat(again.received()).noneMatch(f -> "gone.0".equals(f.getString("id")));
      }
    }
  }
}
