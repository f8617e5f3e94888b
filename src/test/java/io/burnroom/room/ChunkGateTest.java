package io.burnroom.room;

import static org.assertj.core.api.Assertions.assertThat;

import io.burnroom.config.ByteRate;
import io.burnroom.wire.ErrorCode;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("The room's chunk rules (decision 47)")
class ChunkGateTest {
  private final Ids ids = new Ids();
  private final RoomState room = new RoomState("room", 0, 600_000, PinHash.of("PIN12345", ids.salt()), ids.salt(), 4, ids);
  /** The room's budget: 1000 bytes per ms, no burst, 100,000 bytes of debt; the node's far above it. */
  private final ChunkGate gate = new ChunkGate(room, new ByteRate(1_000_000, 0, 100_000, 0),
      new ByteRate(1_000_000_000, 0, 1_000_000_000, 0));

  private Member join(String node, String conn) {
    return room.join("cHJvZmlsZQ==", null, -1, node, conn).member();
  }

  @Test
  @DisplayName("a chunk goes to every other connected member, takes no seq and leaves nothing in the room")
  void relays() {
    room.replicateFrames(); // as on a clustered node: a msg would now leave a frame to replicate
    Member a = join("n1", "c1");
    Member b = join("n2", "c2");
    Member c = join("n1", "c3");
    ChunkGate.Result r = gate.relay(a.memberId(), "c1", "att.0", "QUJD", null, 0);
    assertThat(r.error()).isNull();
    assertThat(r.recipients()).containsExactlyInAnyOrder(b, c);
    assertThat(new String(r.frameUtf8(), StandardCharsets.UTF_8))
        .isEqualTo("{\"type\":\"chunk\",\"from\":\"" + a.memberId() + "\",\"id\":\"att.0\",\"body\":\"QUJD\"}");
    assertThat(room.seq()).isZero();
    assertThat(room.takeFrameWrites()).as("nothing to replicate").isEmpty();
    assertThat(room.join("cHJvZmlsZQ==", a.resumeToken(), 0, "n1", "c9").replay()).as("nothing to replay").isEmpty();
    ChunkGate.Result again = gate.relay(a.memberId(), "c9", "att.0", "QUJD", null, 0);
    assertThat(again.error()).as("no relay-once window: the same id is relayed again").isNull();
    room.relay(a.memberId(), "c9", "m.0", "QUJD", null, 0);
    assertThat(room.takeFrameWrites()).as("a msg, unlike a chunk, is replicated").hasSize(1);
  }

  @Test
  @DisplayName("to: that member alone, marked direct; unknown, oneself or a stale connection are refused")
  void direct() {
    Member a = join("n1", "c1");
    Member b = join("n2", "c2");
    join("n1", "c3");
    ChunkGate.Result r = gate.relay(a.memberId(), "c1", "d.0", "QUJD", b.memberId(), 0);
    assertThat(r.recipients()).containsExactly(b);
    assertThat(new String(r.frameUtf8(), StandardCharsets.UTF_8)).endsWith(",\"direct\":true}");
    assertThat(gate.relay(a.memberId(), "c1", "d.1", "QUJD", "nobody", 0).error()).isEqualTo(ErrorCode.UNKNOWN_MEMBER);
    assertThat(gate.relay(a.memberId(), "c1", "d.2", "QUJD", a.memberId(), 0).error()).isEqualTo(ErrorCode.UNKNOWN_MEMBER);
    assertThat(gate.relay(a.memberId(), "old", "d.3", "QUJD", null, 0).error()).isEqualTo(ErrorCode.NOT_JOINED);
  }

  @Test
  @DisplayName("the room's budget: each chunk's body is paid for, the wait grows with the debt, past it the chunk is refused")
  void budget() {
    Member a = join("n1", "c1");
    Member b = join("n2", "c2");
    String body = "Q".repeat(40_000);
    assertThat(gate.relay(a.memberId(), "c1", "b.0", body, null, 0).waitMs()).isEqualTo(40);
    assertThat(gate.relay(a.memberId(), "c1", "b.1", body, null, 0).waitMs()).isEqualTo(80);
    assertThat(gate.relay(a.memberId(), "c1", "b.2", body, null, 0).error()).isEqualTo(ErrorCode.RATE_LIMITED);
    assertThat(gate.relay(a.memberId(), "c1", "b.3", body, null, 60).waitMs()).as("time pays the debt").isEqualTo(60);
    join("n1", "c3");
    assertThat(gate.relay(a.memberId(), "c1", "b.4", "Q".repeat(10_000), null, 120).waitMs())
        .as("a chunk costs its body once per recipient: 2 x 10,000").isEqualTo(20);
    assertThat(gate.relay(a.memberId(), "c1", "b.5", "Q".repeat(10_000), b.memberId(), 120).waitMs())
        .as("a direct chunk has one recipient").isEqualTo(30);
  }

  @Test
  @DisplayName("the node's budget is shared by its rooms: one room's chunks make another's wait, and a refusal costs the room nothing")
  void nodeBudget() {
    ByteRate node = new ByteRate(1_000_000, 0, 50_000, 0);
    ChunkGate first = new ChunkGate(room, new ByteRate(1_000_000_000, 0, 1_000_000_000, 0), node);
    RoomState other = new RoomState("other", 0, 600_000, PinHash.of("PIN12345", ids.salt()), ids.salt(), 4, ids);
    ByteRate otherRoom = new ByteRate(1_000_000, 0, 50_000, 0);
    ChunkGate second = new ChunkGate(other, otherRoom, node);
    Member a = join("n1", "c1");
    join("n2", "c2");
    Member x = other.join("cHJvZmlsZQ==", null, -1, "n1", "x1").member();
    other.join("cHJvZmlsZQ==", null, -1, "n2", "x2");
    assertThat(first.relay(a.memberId(), "c1", "f.0", "Q".repeat(30_000), null, 0).waitMs()).isEqualTo(30);
    assertThat(second.relay(x.memberId(), "x1", "s.0", "Q".repeat(10_000), null, 0).waitMs())
        .as("the node is 40,000 in debt after both").isEqualTo(40);
    assertThat(second.relay(x.memberId(), "x1", "s.1", "Q".repeat(20_000), null, 0).error())
        .as("past the node's debt").isEqualTo(ErrorCode.RATE_LIMITED);
    assertThat(otherRoom.take(0, 0)).as("the refused chunk was given back to its room").isEqualTo(10);
  }
}
