package io.burnroom.room;

import static org.assertj.core.api.Assertions.assertThat;

import io.burnroom.config.ByteRate;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Credit from the edges back to the room (decision 50)")
class DeliveryCreditTest {
  private final DeliveryCredit.Share share = new DeliveryCredit.Share(5);
  private final DeliveryCredit room = new DeliveryCredit(2, share, 5_000);

  @Test
  @DisplayName("a room has at most its credit in flight to a node; a node's report gives one back")
  void perNode() {
    long s1 = room.take(List.of("a", "b"), 0);
    long s2 = room.take(List.of("a"), 0);
    assertThat(s1).isPositive();
    assertThat(s2).isGreaterThan(s1);
    assertThat(room.take(List.of("a"), 0)).as("a has two in flight").isEqualTo(-1);
    assertThat(room.lastBlock()).isEqualTo(DeliveryCredit.Block.ROOM);
    assertThat(room.take(List.of("b", "a"), 0)).as("one blocked node holds the chunk for all").isEqualTo(-1);
    assertThat(room.inFlight("b")).as("nothing was taken toward b").isEqualTo(1);
    assertThat(room.take(List.of("b"), 0)).as("b still has credit").isPositive();
    assertThat(room.taken("a", s1)).isTrue();
    assertThat(room.taken("a", s1)).as("a report counts once").isFalse();
    assertThat(room.taken("c", s2)).as("from a node it was not sent to").isFalse();
    assertThat(room.inFlight("a")).isEqualTo(1);
    assertThat(room.take(List.of("a"), 1)).isPositive();
    assertThat(room.lastBlock()).isEqualTo(DeliveryCredit.Block.NONE);
  }

  @Test
  @DisplayName("a chunk with no recipients elsewhere takes no credit")
  void nobody() {
    assertThat(room.take(List.of(), 0)).isPositive();
    assertThat(room.anyInFlight()).isFalse();
    assertThat(share.total()).isZero();
  }

  @Test
  @DisplayName("the node's share bounds all rooms together toward one node, and a blocked take leaves it as it was")
  void shared() {
    DeliveryCredit other = new DeliveryCredit(4, share, 5_000);
    DeliveryCredit third = new DeliveryCredit(4, share, 5_000);
    room.take(List.of("a"), 0);
    room.take(List.of("a"), 0);
    other.take(List.of("a"), 0);
    other.take(List.of("a"), 0);
    long last = other.take(List.of("a"), 0);
    assertThat(share.inFlight("a")).isEqualTo(5);
    assertThat(third.take(List.of("b", "a"), 0)).isEqualTo(-1);
    assertThat(third.lastBlock()).isEqualTo(DeliveryCredit.Block.NODE);
    assertThat(share.inFlight("b")).as("b's credit taken on the way is given back").isZero();
    assertThat(third.take(List.of("b"), 0)).as("another node is not held up").isPositive();
    other.taken("a", last);
    assertThat(third.take(List.of("a"), 0)).isPositive();
    assertThat(share.total()).isEqualTo(6);
  }

  @Test
  @DisplayName("a report that never comes: the credit returns after the expiry, or at once when the node left")
  void lostReports() {
    room.take(List.of("a", "b"), 0);
    room.take(List.of("a"), 100);
    assertThat(room.take(List.of("a"), 4_999)).isEqualTo(-1);
    assertThat(room.take(List.of("a"), 5_000)).as("the first expired").isPositive();
    assertThat(room.takeExpired()).isEqualTo(1);
    assertThat(room.inFlight("b")).isZero();
    assertThat(room.nodeGone("a")).isTrue();
    assertThat(room.inFlight("a")).isZero();
    assertThat(share.total()).isZero();
    assertThat(room.anyInFlight()).isFalse();
  }

  @Test
  @DisplayName("cancel and release give everything back to the node's share")
  void giveBack() {
    long s = room.take(List.of("a", "b"), 0);
    room.cancel(s);
    assertThat(share.total()).isZero();
    room.take(List.of("a", "b"), 0);
    room.take(List.of("a"), 0);
    assertThat(share.total()).isEqualTo(3);
    room.releaseAll();
    assertThat(share.total()).isZero();
    assertThat(room.inFlight("a")).isZero();
  }

  @Test
  @DisplayName("the gate: a chunk whose node has no credit is held, having taken nothing of the byte budgets")
  void gateHolds() {
    Ids ids = new Ids();
    RoomState state = new RoomState("room", 0, 600_000, PinHash.of("PIN12345", ids.salt()), ids.salt(), 4, ids);
    ByteRate bytes = new ByteRate(1_000_000, 0, 100_000, 0);
    ChunkGate gate = new ChunkGate(state, bytes, new ByteRate(1_000_000_000, 0, 1_000_000_000, 0),
        new DeliveryCredit(1, new DeliveryCredit.Share(8), 5_000));
    Member a = state.join("cHJvZmlsZQ==", null, -1, "n1", "c1").member();
    state.join("cHJvZmlsZQ==", null, -1, "n2", "c2");
    ChunkGate.Result first = gate.relay(a.memberId(), "c1", "x.0", "Q".repeat(10_000), null, 0);
    assertThat(first.serial()).isPositive();
    assertThat(first.waitMs()).isEqualTo(10);
    ChunkGate.Result second = gate.relay(a.memberId(), "c1", "x.1", "Q".repeat(10_000), null, 0);
    assertThat(second.isHeld()).isTrue();
    assertThat(second.error()).isNull();
    assertThat(gate.credit().taken("n2", first.serial())).isTrue();
    assertThat(gate.relay(a.memberId(), "c1", "x.1", "Q".repeat(10_000), null, 0).waitMs())
        .as("the held chunk paid nothing while it waited").isEqualTo(20);
  }
}
