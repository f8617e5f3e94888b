package io.burnroom.room;

import static org.assertj.core.api.Assertions.assertThat;

import io.burnroom.wire.ErrorCode;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Room state rules")
class RoomStateTest {
  private final Ids ids = new Ids();
  private final RoomState room = new RoomState("room", 0, 600_000, PinHash.of("PIN12345", ids.salt()), ids.salt(), 3, ids);

  private Member join(String node, String conn) {
    RoomState.JoinResult r = room.join("cHJvZmlsZQ==", null, -1, node, conn);
    assertThat(r.error()).isNull();
    return r.member();
  }

  @Test
  @DisplayName("relays to every other connected member with increasing seq, never back to the sender")
  void relayToOthers() {
    Member a = join("n1", "c1");
    Member b = join("n2", "c2");
    Member c = join("n1", "c3");
    RoomState.RelayResult r1 = room.relay(a.memberId(), "c1", "m1", "AAAA", null, 0);
    RoomState.RelayResult r2 = room.relay(b.memberId(), "c2", "m1", "BBBB", null, 0);
    assertThat(r1.seq()).isEqualTo(1);
    assertThat(r2.seq()).isEqualTo(2);
    assertThat(r1.recipients()).containsExactlyInAnyOrder(b, c);
    assertThat(r1.frame()).contains("\"from\":\"" + a.memberId() + "\"").contains("\"seq\":1");
    // the bytes every edge writes are exactly the frame's UTF-8
    assertThat(new String(r1.frameUtf8(), java.nio.charset.StandardCharsets.UTF_8)).isEqualTo(r1.frame());
  }

  @Test
  @DisplayName("a resent client id is acknowledged with its first seq and not relayed again")
  void dedupe() {
    Member a = join("n1", "c1");
    join("n1", "c2");
    long seq = room.relay(a.memberId(), "c1", "same", "AAAA", null, 0).seq();
    RoomState.RelayResult again = room.relay(a.memberId(), "c1", "same", "AAAA", null, 0);
    assertThat(again.duplicate()).isTrue();
    assertThat(again.seq()).isEqualTo(seq);
    assertThat(again.recipients()).isEmpty();
    assertThat(room.seq()).isEqualTo(seq);
  }

  @Test
  @DisplayName("a message with 'to' reaches only that member; an unknown or self target is refused")
  void directMessages() {
    Member a = join("n1", "c1");
    Member b = join("n1", "c2");
    join("n1", "c3");
    RoomState.RelayResult r = room.relay(a.memberId(), "c1", "k", "AAAA", b.memberId(), 0);
    assertThat(r.recipients()).containsExactly(b);
    assertThat(r.frame()).contains("\"direct\":true");
    assertThat(room.relay(a.memberId(), "c1", "k2", "AAAA", "nobody", 0).error()).isEqualTo(ErrorCode.UNKNOWN_MEMBER);
    assertThat(room.relay(a.memberId(), "c1", "k3", "AAAA", a.memberId(), 0).error()).isEqualTo(ErrorCode.UNKNOWN_MEMBER);
  }

  @Test
  @DisplayName("frames from a stale connection of a member are refused")
  void staleConnection() {
    Member a = join("n1", "c1");
    assertThat(room.relay(a.memberId(), "old", "x", "AAAA", null, 0).error()).isEqualTo(ErrorCode.NOT_JOINED);
  }

  @Test
  @DisplayName("the room refuses members beyond its size and all new members while locked")
  void fullAndLocked() {
    join("n", "1");
    join("n", "2");
    Member c = join("n", "3");
    assertThat(room.join("cA==", null, -1, "n", "4").error()).isEqualTo(ErrorCode.ROOM_FULL);
    room.kick(c.memberId());
    room.setLocked(true);
    assertThat(room.join("cA==", null, -1, "n", "5").error()).isEqualTo(ErrorCode.ROOM_LOCKED);
    room.setLocked(false);
    assertThat(room.join("cA==", null, -1, "n", "6").error()).isNull();
  }

  @Test
  @DisplayName("a dropped member resumes its seat with its token, even while the room is locked, and gets what it missed")
  void resume() {
    Member a = join("n1", "c1");
    Member b = join("n1", "c2");
    assertThat(room.disconnect(b.memberId(), "c2", false, 1000)).isEqualTo(RoomState.Departure.GRACE);
    room.relay(a.memberId(), "c1", "while-away", "AAAA", null, 1000);
    room.setLocked(true);
    RoomState.JoinResult r = room.join("cA==", b.resumeToken(), 0, "n2", "c9");
    assertThat(r.error()).isNull();
    assertThat(r.resumed()).isTrue();
    assertThat(r.member().memberId()).isEqualTo(b.memberId());
    assertThat(r.replay()).hasSize(1).first().asString().contains("while-away");
    assertThat(room.isCurrent(b.memberId(), "c9")).isTrue();
  }

  @Test
  @DisplayName("resuming on a new socket while the old one lives reports the old connection so it can be dropped")
  void resumeSupersedes() {
    Member a = join("n1", "c1");
    RoomState.JoinResult r = room.join("cA==", a.resumeToken(), -1, "n2", "c2");
    assertThat(r.previousNode()).isEqualTo("n1");
    assertThat(r.previousConnId()).isEqualTo("c1");
    assertThat(room.disconnect(a.memberId(), "c1", true, 0)).isEqualTo(RoomState.Departure.IGNORED);
    assertThat(room.member(a.memberId())).isNotNull();
  }

  @Test
  @DisplayName("a clean close leaves at once; a dropped member leaves when its grace runs out")
  void leaving() {
    Member a = join("n1", "c1");
    Member b = join("n1", "c2");
    assertThat(room.disconnect(a.memberId(), "c1", true, 0)).isEqualTo(RoomState.Departure.LEFT);
    assertThat(room.member(a.memberId())).isNull();
    room.disconnect(b.memberId(), "c2", false, 1000);
    assertThat(room.expireGrace(30_999, 30_000)).isEmpty();
    assertThat(room.expireGrace(31_000, 30_000)).containsExactly(b);
    assertThat(room.memberCount()).isZero();
  }

  @Test
  @DisplayName("a kicked member's token is banned")
  void kickBans() {
    Member a = join("n1", "c1");
    assertThat(room.kick(a.memberId())).isSameAs(a);
    assertThat(room.join("cA==", a.resumeToken(), -1, "n1", "c2").error()).isEqualTo(ErrorCode.BANNED);
    assertThat(room.kick("nobody")).isNull();
  }

  @Test
  @DisplayName("members on a node that left the cluster lose their sockets but keep their seats")
  void nodeGone() {
    Member a = join("n1", "c1");
    Member b = join("n2", "c2");
    room.nodeGone("n1", 5);
    assertThat(a.connected()).isFalse();
    assertThat(b.connected()).isTrue();
    assertThat(room.memberCount()).isEqualTo(2);
  }

  @Test
  @DisplayName("extend is bounded by the maximum lifetime since creation")
  void extend() {
    assertThat(room.extend(60, 700_000)).isNull();
    assertThat(room.expiresAt()).isEqualTo(660_000);
    assertThat(room.extend(41, 700_000)).isEqualTo(ErrorCode.EXTEND_LIMIT);
    assertThat(room.expiresAt()).isEqualTo(660_000);
    assertThat(room.extend(0, 700_000)).isEqualTo(ErrorCode.EXTEND_LIMIT);
  }

  @Test
  @DisplayName("the PIN check counts failures per source and locks out after three")
  void pin() {
    assertThat(room.checkPin("s", "PIN12345", 0)).isNull();
    assertThat(room.checkPin("s", "nope", 0)).isEqualTo(ErrorCode.WRONG_PIN);
    assertThat(room.checkPin("s", "nope", 0)).isEqualTo(ErrorCode.WRONG_PIN);
    assertThat(room.checkPin("s", "nope", 0)).isEqualTo(ErrorCode.PIN_LOCKOUT);
    assertThat(room.checkPin("s", "PIN12345", 1)).isEqualTo(ErrorCode.PIN_LOCKOUT);
    assertThat(room.checkPin("other", "PIN12345", 1)).isNull();
    assertThat(room.sourceKey("10.0.0.1")).doesNotContain("10.0.0.1").isEqualTo(room.sourceKey("10.0.0.1"));
  }

  @Test
  @DisplayName("a snapshot restores members, tokens, bans, lock, lockouts and dedupe; seq never goes back")
  void snapshotRoundTrip() {
    room.replicateFrames();
    Member a = join("n1", "c1");
    Member b = join("n1", "c2");
    Member c = join("n1", "c3");
    room.relay(a.memberId(), "c1", "m1", "AAAA", null, 0);
    room.kick(c.memberId());
    room.setLocked(true);
    for (int i = 0; i < 3; i++) {
      room.checkPin("attacker", "bad", 0);
    }
    JsonObject snap = room.toSnapshot();
    assertThat(snap.encode()).doesNotContain("PIN12345");

    RoomState back = RoomState.fromSnapshot(new JsonObject(snap.encode()), List.copyOf(room.takeFrameWrites().values()),
        ids, 10, java.util.Set.of("n2"));
    assertThat(back.expiresAt()).isEqualTo(room.expiresAt());
    assertThat(back.locked()).isTrue();
    assertThat(back.seq()).isEqualTo(room.seq());
    assertThat(back.memberCount()).isEqualTo(2);
    assertThat(back.connectedMembers()).as("n1 is gone: its members wait for a resume").isEmpty();
    assertThat(back.join("cA==", c.resumeToken(), -1, "n", "x").error()).isEqualTo(ErrorCode.BANNED);
    assertThat(back.checkPin("attacker", "PIN12345", 20)).isEqualTo(ErrorCode.PIN_LOCKOUT);
    assertThat(back.checkPin("creator", "PIN12345", 20)).isNull();
    RoomState.JoinResult r = back.join("cA==", a.resumeToken(), 0, "n2", "c7");
    assertThat(r.member().memberId()).isEqualTo(a.memberId());
    assertThat(back.join("cA==", b.resumeToken(), 0, "n2", "c8").replay())
        .as("what b missed survives the move").hasSize(1).first().asString().contains("\"id\":\"m1\"");
    RoomState.RelayResult dup = back.relay(a.memberId(), "c7", "m1", "AAAA", null, 20);
    assertThat(dup.duplicate()).isTrue();
  }

  @Test
  @DisplayName("after a restore, members whose node is still alive stay connected with the same connection")
  void restoreKeepsLiveConnections() {
    Member a = join("alive", "c1");
    Member b = join("dead", "c2");
    RoomState back = RoomState.fromSnapshot(room.toSnapshot(), List.of(), ids, 50, java.util.Set.of("alive"));
    assertThat(back.isCurrent(a.memberId(), "c1")).isTrue();
    assertThat(back.isCurrent(b.memberId(), "c2")).isFalse();
    assertThat(back.expireGrace(50 + 29_999, 30_000)).isEmpty();
    assertThat(back.expireGrace(50 + 30_000, 30_000)).extracting(Member::memberId).containsExactly(b.memberId());
  }

  @Test
  void onlyTheAttemptThatStartsALockoutCountsAsOne() {
    assertThat(room.checkPin("src", "WRONG1", 1_000)).isEqualTo(io.burnroom.wire.ErrorCode.WRONG_PIN);
    assertThat(room.lastCheckStartedLockout()).isFalse();
    room.checkPin("src", "WRONG2", 2_000);
    assertThat(room.checkPin("src", "WRONG3", 3_000)).isEqualTo(io.burnroom.wire.ErrorCode.PIN_LOCKOUT);
    assertThat(room.lastCheckStartedLockout()).as("the third wrong PIN starts the lockout").isTrue();
    assertThat(room.checkPin("src", "PIN12345", 4_000)).isEqualTo(io.burnroom.wire.ErrorCode.PIN_LOCKOUT);
    assertThat(room.lastCheckStartedLockout()).as("an attempt during the lockout starts nothing").isFalse();
  }

  @Test
  @DisplayName("messages relayed after the last snapshot come back from their frame records: seq, dedupe, replay")
  void framesRelayedAfterTheSnapshot() {
    room.replicateFrames();
    Member a = join("n1", "c1");
    Member b = join("n1", "c2");
    room.relay(a.memberId(), "c1", "early", "AAAA", null, 0);
    JsonObject olderSnapshot = room.toSnapshot();
    List<String> stored = new ArrayList<>(room.takeFrameWrites().values());
    for (int i = 0; i < 5; i++) {
      room.relay(a.memberId(), "c1", "late-" + i, "AAAA", null, 1);
    }
    room.relay(b.memberId(), "c2", "reply", "BBBB", a.memberId(), 2);
    Map<Integer, String> writes = room.takeFrameWrites();
    assertThat(writes).as("one record per relayed frame, nothing else").hasSize(6);
    assertThat(room.takeFrameWrites()).as("each write is handed out once").isEmpty();
    stored.addAll(writes.values());
    java.util.Collections.shuffle(stored);

    RoomState back = RoomState.fromSnapshot(olderSnapshot, stored, ids, 10, java.util.Set.of("n1"));
    assertThat(back.seq()).as("seq continues after the last relayed frame, not the snapshot's").isEqualTo(7);
    assertThat(back.relay(a.memberId(), "c1", "late-4", "AAAA", null, 20).seq())
        .as("a resend of an acknowledged id is recognised").isEqualTo(6);
    assertThat(back.relay(b.memberId(), "c2", "reply", "BBBB", a.memberId(), 20).duplicate()).isTrue();
    assertThat(back.join("cA==", b.resumeToken(), 1, "n1", "c9").replay())
        .as("b missed late-0..4 from a; its own reply is not replayed to it")
        .hasSize(5).allSatisfy(f -> assertThat(f).contains("late-"));
    assertThat(back.join("cA==", a.resumeToken(), 6, "n1", "c8").replay()).hasSize(1).first().asString()
        .contains("\"id\":\"reply\"");
    assertThat(back.relay(a.memberId(), "c8", "new", "AAAA", null, 20).seq()).isEqualTo(8);
  }

  @Test
  @DisplayName("an embedded room replicates nothing: no frame records pile up without a cluster to take them")
  void noReplicationWhenEmbedded() {
    Member a = join("n1", "c1");
    join("n1", "c2");
    room.relay(a.memberId(), "c1", "m", "AAAA", null, 0);
    assertThat(room.takeFrameWrites()).isEmpty();
    assertThat(room.replicatedSlots()).isEmpty();
  }

  @Test
  @DisplayName("a rewrite queues the frames relayed since a time again, exactly as first written, if still in the ring")
  void rewriteRecentFrames() {
    room.replicateFrames();
    Member a = join("n1", "c1");
    join("n2", "c2");
    for (int i = 1; i <= FrameRing.SLOTS + 3; i++) {
      room.relay(a.memberId(), "c1", "id" + i, "AAAA", null, i * 1000L);
    }
    java.util.Map<Integer, String> first = room.takeFrameWrites();
    assertThat(room.takeFrameWrites()).isEmpty();

    room.rewrite((FrameRing.SLOTS + 2) * 1000L); // the last two frames
    java.util.Map<Integer, String> again = room.takeFrameWrites();
    assertThat(again).containsOnlyKeys(FrameRing.slot(FrameRing.SLOTS + 2), FrameRing.slot(FrameRing.SLOTS + 3));
    again.forEach((slot, record) -> assertThat(record).isEqualTo(first.get(slot)));

    room.rewrite(0); // every frame the ring still holds, none it overwrote
    assertThat(room.takeFrameWrites()).hasSize(FrameRing.SLOTS).allSatisfy((slot, record) ->
        assertThat(record).isEqualTo(first.get(slot)));
  }

  // ---- join tokens ----

  private static final java.util.Base64.Encoder B64URL = java.util.Base64.getUrlEncoder().withoutPadding();

  private static String tokenText(int seed) {
    return B64URL.encodeToString(JoinHashTest.token(seed));
  }

  private static JoinHash hashFor(int seed) throws Exception {
    return JoinHash.fromWire(JoinHashTest.hashOf(JoinHashTest.token(seed)));
  }

  @Test
  @DisplayName("a token room seats a fresh join only with the current token, checked before lock and size")
  void tokenRoomNeedsTheToken() throws Exception {
    room.replaceJoinHash(hashFor(1));
    assertThat(room.requiresJoinToken()).isTrue();
    assertThat(room.join("cA==", null, null, -1, "n1", "c0").error()).isEqualTo(ErrorCode.JOIN_TOKEN_INVALID);
    assertThat(room.join("cA==", null, tokenText(2), -1, "n1", "c0").error()).isEqualTo(ErrorCode.JOIN_TOKEN_INVALID);
    assertThat(room.join("cA==", "unknown-resume", null, -1, "n1", "c0").error())
        .as("an unknown resume token is a fresh join").isEqualTo(ErrorCode.JOIN_TOKEN_INVALID);
    Member a = room.join("cA==", null, tokenText(1), -1, "n1", "c1").member();
    assertThat(a).isNotNull();
    room.setLocked(true);
    assertThat(room.join("cA==", null, null, -1, "n1", "c2").error())
        .as("no token: not even told the room is locked").isEqualTo(ErrorCode.JOIN_TOKEN_INVALID);
    assertThat(room.join("cA==", null, tokenText(1), -1, "n1", "c2").error()).isEqualTo(ErrorCode.ROOM_LOCKED);
    assertThat(room.memberCount()).isEqualTo(1);
  }

  @Test
  @DisplayName("a seated member resumes without a token; a kick that rotates bars the old token and the resume token")
  void kickRotates() throws Exception {
    room.replaceJoinHash(hashFor(1));
    Member a = room.join("cA==", null, tokenText(1), -1, "n1", "c1").member();
    Member b = room.join("cA==", null, tokenText(1), -1, "n1", "c2").member();
    assertThat(room.kick(b.memberId(), hashFor(2))).isSameAs(b);
    assertThat(room.join("cA==", b.resumeToken(), tokenText(2), -1, "n1", "c3").error()).isEqualTo(ErrorCode.BANNED);
    assertThat(room.join("cA==", null, tokenText(1), -1, "n1", "c3").error()).isEqualTo(ErrorCode.JOIN_TOKEN_INVALID);
    room.disconnect(a.memberId(), "c1", false, 5);
    RoomState.JoinResult resumed = room.join("cA==", a.resumeToken(), null, -1, "n2", "c4");
    assertThat(resumed.resumed()).isTrue();
    assertThat(room.join("cA==", null, tokenText(2), -1, "n1", "c5").error()).isNull();
    assertThat(room.kick("nobody", hashFor(3))).as("no such member: nothing changes").isNull();
    assertThat(room.join("cA==", null, tokenText(3), -1, "n1", "c6").error()).isEqualTo(ErrorCode.JOIN_TOKEN_INVALID);
    assertThat(room.join("cA==", null, tokenText(2), -1, "n1", "c6").error()).isNull();
  }

  @Test
  @DisplayName("an open room seats anyone, ignores tokens, and becomes a token room when a hash is registered")
  void openRoomUntilRotated() throws Exception {
    assertThat(room.requiresJoinToken()).isFalse();
    Member a = join("n1", "c1");
    assertThat(room.join("cA==", null, tokenText(9), -1, "n1", "c2").error()).isNull();
    Member b = room.join("cA==", null, null, -1, "n1", "c4").member();
    room.kick(a.memberId(), null);
    assertThat(room.requiresJoinToken()).as("a kick without a hash leaves the room open").isFalse();
    room.kick(b.memberId(), hashFor(5));
    assertThat(room.requiresJoinToken()).as("a kick with a hash makes it a token room").isTrue();
    assertThat(room.join("cA==", null, tokenText(5), -1, "n1", "c5").error()).isNull();
    room.replaceJoinHash(hashFor(4));
    assertThat(room.join("cA==", null, null, -1, "n1", "c3").error()).isEqualTo(ErrorCode.JOIN_TOKEN_INVALID);
    assertThat(room.join("cA==", null, tokenText(4), -1, "n1", "c3").error()).isNull();
  }

  @Test
  @DisplayName("the join hash travels in the snapshot, and a snapshot without one restores an open room")
  void joinHashSurvivesRestore() throws Exception {
    room.replaceJoinHash(hashFor(1));
    Member a = room.join("cA==", null, tokenText(1), -1, "n1", "c1").member();
    room.kick(a.memberId(), hashFor(2));
    JsonObject snap = new JsonObject(room.toSnapshot().encode());
    assertThat(snap.encode()).doesNotContain(tokenText(2));
    RoomState back = RoomState.fromSnapshot(snap, List.of(), ids, 10, java.util.Set.of());
    assertThat(back.requiresJoinToken()).isTrue();
    assertThat(back.join("cA==", null, tokenText(1), -1, "n", "x").error()).isEqualTo(ErrorCode.JOIN_TOKEN_INVALID);
    assertThat(back.join("cA==", null, null, -1, "n", "x").error()).isEqualTo(ErrorCode.JOIN_TOKEN_INVALID);
    assertThat(back.join("cA==", null, tokenText(2), -1, "n", "x").error()).isNull();

    JsonObject legacy = new JsonObject(new RoomState("old", 0, 600_000, PinHash.of("PIN12345", ids.salt()), ids.salt(),
        3, ids).toSnapshot().encode());
    legacy.remove("joinHash"); // as written by a node from before join tokens
    RoomState open = RoomState.fromSnapshot(legacy, List.of(), ids, 10, java.util.Set.of());
    assertThat(open.requiresJoinToken()).isFalse();
    assertThat(open.join("cA==", null, null, -1, "n", "x").error()).isNull();
  }
}
