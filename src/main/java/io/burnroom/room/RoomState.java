package io.burnroom.room;

import io.burnroom.wire.ErrorCode;
import io.burnroom.wire.ServerFrames;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Everything one room knows, and the rules that change it: joining (with the join token of a token room) and
 * resuming, relaying with seq and de-duplication, leaving, kicking, rotating the join hash, locking, extending and PIN
 * lockout. Pure and single-threaded: the {@link RoomVerticle} owns one instance and feeds it the clock.
 * {@link #toSnapshot()} / {@link #fromSnapshot} carry it across nodes.
 */
public final class RoomState {
  private final String roomId;
  private final long createdAt;
  private final PinHash pin;
  private final byte[] sourceSalt;
  private final int maxMembers;
  private final Ids ids;
  private final Map<String, Member> members = new LinkedHashMap<>();
  private final Map<String, String> memberByToken = new HashMap<>();
  private final Set<String> bannedTokens = new HashSet<>();
  private ReplayLog replay = new ReplayLog();
  /** Replicated frames (clustered rooms only). */
  private FrameReplication frames;
  private boolean lockoutStarted;
  private PinGuard pinGuard = new PinGuard();
  private long expiresAt;
  private boolean locked;
  private long seq;
  /** The SHA-256 of the current join token; null for an open room (created without one, as v1 clients do). */
  private JoinHash joinHash;

  public RoomState(String roomId, long createdAt, long expiresAt, PinHash pin, byte[] sourceSalt, int maxMembers, Ids ids) {
    this.roomId = roomId;
    this.createdAt = createdAt;
    this.expiresAt = expiresAt;
    this.pin = pin;
    this.sourceSalt = sourceSalt;
    this.maxMembers = maxMembers;
    this.ids = ids;
  }

  public String roomId() { return roomId; }
  public long createdAt() { return createdAt; }
  public long expiresAt() { return expiresAt; }
  public boolean locked() { return locked; }
  public long seq() { return seq; }
  public int memberCount() { return members.size(); }
  public Collection<Member> members() { return members.values(); }
  public Member member(String memberId) { return members.get(memberId); }
  /** Whether a fresh join must show the current join token. */
  public boolean requiresJoinToken() { return joinHash != null; }

  /**
   * Makes {@code next} the room's join hash: from now on a fresh join needs its token, and a token of an older hash
   * admits nobody. An open room becomes a token room. Seated members keep their seats and resume without a token.
   */
  public void replaceJoinHash(JoinHash next) {
    if (next != null) {
      joinHash = next;
    }
  }

  /** A stable pseudonym of a source address, specific to this room, so lockouts never store raw IPs. */
  public String sourceKey(String address) {
    return PinHash.pseudonym(sourceSalt, address);
  }

  // ---- join / resume ----

  /**
   * @param member        the seat taken (new or resumed); null on error
   * @param previousNode  for a resume: where the member's older connection was, so it can be dropped (may be null)
   * @param replay        frames the resuming member missed
   */
  public record JoinResult(ErrorCode error, Member member, boolean resumed, String previousNode, String previousConnId,
                           List<String> replay) {
    static JoinResult fail(ErrorCode e) { return new JoinResult(e, null, false, null, null, List.of()); }
  }

  public JoinResult join(String profile, String resumeToken, long lastSeq, String node, String connId) {
    return join(profile, resumeToken, null, lastSeq, node, connId);
  }

  /**
   * Seats a member. A known resume token takes its seat back (no join token needed: the seat is the proof); a banned
   * one is refused. Anything else is a fresh join, which in a token room must show the current join token first,
   * before the lock and the size are even looked at, so a bare room id learns nothing more.
   */
  public JoinResult join(String profile, String resumeToken, String joinToken, long lastSeq, String node,
                         String connId) {
    if (resumeToken != null) {
      if (bannedTokens.contains(resumeToken)) {
        return JoinResult.fail(ErrorCode.BANNED);
      }
      Member m = members.get(memberByToken.get(resumeToken));
      if (m != null) {
        String prevNode = m.node;
        String prevConn = m.connId;
        m.connect(node, connId);
        List<String> missed = lastSeq >= 0 ? replay.since(lastSeq, m.memberId) : List.of();
        return new JoinResult(null, m, true, prevNode, prevConn, missed);
      }
      // An unknown token (its grace ran out, or it never existed) is a fresh join under the usual rules.
    }
    if (joinHash != null && !joinHash.admits(joinToken)) {
      return JoinResult.fail(ErrorCode.JOIN_TOKEN_INVALID);
    }
    if (locked) {
      return JoinResult.fail(ErrorCode.ROOM_LOCKED);
    }
    if (members.size() >= maxMembers) {
      return JoinResult.fail(ErrorCode.ROOM_FULL);
    }
    Member m = new Member(ids.memberId(), profile, ids.resumeToken(), new DedupeWindow(DedupeWindow.DEFAULT_SIZE));
    m.connect(node, connId);
    members.put(m.memberId, m);
    memberByToken.put(m.resumeToken, m.memberId);
    return new JoinResult(null, m, false, null, null, List.of());
  }

  /** The member list as sent in {@code joined}. */
  public JsonArray memberList() {
    JsonArray a = new JsonArray();
    for (Member m : members.values()) {
      a.add(ServerFrames.member(m.memberId, m.profile));
    }
    return a;
  }

  /** True when {@code memberId} is currently connected through {@code connId}: frames from stale sockets are refused. */
  public boolean isCurrent(String memberId, String connId) {
    Member m = members.get(memberId);
    return m != null && connId != null && connId.equals(m.connId);
  }

  // ---- relay ----

  /**
   * Outcome of a msg. {@code duplicate} means the id was seen before: ack with the old seq and relay nothing.
   * {@code recipients} are the connected members to deliver {@code frame} to; {@code frameUtf8} is its UTF-8, encoded
   * once for the replay log and every node's edges.
   */
  public record RelayResult(ErrorCode error, long seq, boolean duplicate, String frame, byte[] frameUtf8,
                            List<Member> recipients) {
    static RelayResult fail(ErrorCode e) { return new RelayResult(e, -1, false, null, null, List.of()); }
  }

  public RelayResult relay(String memberId, String connId, String clientId, String body, String to, long now) {
    if (!isCurrent(memberId, connId)) {
      return RelayResult.fail(ErrorCode.NOT_JOINED);
    }
    Member sender = members.get(memberId);
    long prior = sender.dedupe.seqOf(clientId);
    if (prior >= 0) {
      return new RelayResult(null, prior, true, null, null, List.of());
    }
    Member target = null;
    if (to != null) {
      target = members.get(to);
      if (target == null || target == sender) {
        return RelayResult.fail(ErrorCode.UNKNOWN_MEMBER);
      }
    }
    long s = ++seq;
    sender.dedupe.remember(clientId, s);
    String frame = ServerFrames.msg(memberId, s, clientId, body, to != null);
    // encoded once: the replay log keeps these bytes (and the room's own id strings); every edge writes them
    byte[] utf8 = frame.getBytes(StandardCharsets.UTF_8);
    replay.add(s, sender.memberId, target == null ? null : target.memberId, utf8, now);
    if (frames != null) {
      frames.record(s, memberId, to, clientId, frame, now);
    }
    return new RelayResult(null, s, false, frame, utf8, Member.recipients(members.values(), sender, target));
  }

  // ---- leaving ----

  public enum Departure { IGNORED, LEFT, GRACE }

  /** A socket closed. Intentional closes leave at once; others keep the seat for a resume. */
  public Departure disconnect(String memberId, String connId, boolean intentional, long now) {
    if (!isCurrent(memberId, connId)) {
      return Departure.IGNORED;
    }
    if (intentional) {
      remove(memberId);
      return Departure.LEFT;
    }
    members.get(memberId).disconnect(now);
    return Departure.GRACE;
  }

  /** A node left the cluster: its members lose their sockets but keep their seats for a resume. */
  public void nodeGone(String node, long now) {
    for (Member m : members.values()) {
      if (node.equals(m.node)) {
        m.disconnect(now);
      }
    }
  }

  /** Removes members whose resume grace has run out and returns them. Also ages the replay log. */
  public List<Member> expireGrace(long now, long graceMs) {
    List<Member> gone = new ArrayList<>();
    for (Member m : List.copyOf(members.values())) {
      if (!m.connected() && now - m.disconnectedAt >= graceMs) {
        remove(m.memberId);
        gone.add(m);
      }
    }
    replay.dropOlderThan(now - 2 * graceMs);
    pinGuard.prune(now);
    return gone;
  }

  private void remove(String memberId) {
    Member m = members.remove(memberId);
    if (m != null) {
      memberByToken.remove(m.resumeToken);
    }
  }

  // ---- creator operations ----

  /** Checks the PIN for a source; on failure records it. Answers null when the PIN is right. */
  public ErrorCode checkPin(String sourceKey, String candidate, long now) {
    lockoutStarted = false;
    PinGuard.Verdict before = pinGuard.check(sourceKey, now);
    if (before != PinGuard.Verdict.ALLOWED) {
      return pinError(before);
    }
    if (pin.matches(candidate)) {
      return null;
    }
    PinGuard.Verdict after = pinGuard.recordFailure(sourceKey, now);
    lockoutStarted = after != PinGuard.Verdict.ALLOWED;
    return pinError(after);
  }

  /** Whether the last {@link #checkPin} began a lockout (operators count lockouts, not refused attempts). */
  public boolean lastCheckStartedLockout() {
    return lockoutStarted;
  }

  private static ErrorCode pinError(PinGuard.Verdict v) {
    return switch (v) {
      case LOCKED_OUT -> ErrorCode.PIN_LOCKOUT;
      case ROOM_LOCKED_OUT -> ErrorCode.ROOM_PIN_LOCKOUT;
      case ALLOWED -> ErrorCode.WRONG_PIN;
    };
  }

  /** Removes a member for good: its resume token is banned. */
  public Member kick(String memberId) {
    return kick(memberId, null);
  }

  /**
   * Removes a member for good and, when {@code nextJoinHash} is given, rotates the join hash in the same step, so the
   * kicked member can neither resume (its token is banned) nor join afresh with the link it knew. When there is no
   * such member nothing changes at all.
   */
  public Member kick(String memberId, JoinHash nextJoinHash) {
    Member m = members.get(memberId);
    if (m == null) {
      return null;
    }
    bannedTokens.add(m.resumeToken);
    remove(memberId);
    replaceJoinHash(nextJoinHash);
    return m;
  }

  public void setLocked(boolean locked) {
    this.locked = locked;
  }

  /** Moves expiry later by {@code seconds}; refuses to exceed {@code maxLifetimeMs} since creation. */
  public ErrorCode extend(long seconds, long maxLifetimeMs) {
    long next = expiresAt + seconds * 1000;
    if (seconds <= 0 || next - createdAt > maxLifetimeMs) {
      return ErrorCode.EXTEND_LIMIT;
    }
    expiresAt = next;
    return null;
  }

  /** A restore's expiry, when its directory entry holds a later one than its snapshot (decision 63). */
  void atLeastUntil(long at) {
    expiresAt = Math.max(expiresAt, at);
  }

  public List<Member> connectedMembers() {
    List<Member> out = new ArrayList<>();
    for (Member m : members.values()) {
      if (m.connected()) {
        out.add(m);
      }
    }
    return out;
  }

  // ---- replication: the snapshot (members, tokens, bans, lock, lockouts, seq, join hash, newest client ids per
  // member) is rewritten when that state changes; each relayed frame is written once and replayed over it on restore.
  /** Client ids per member kept in a snapshot (the unacknowledged tail a reconnecting client resends). */
  static final int SNAPSHOT_DEDUPE = 32;
  /** Frame slots a room uses in the cluster: what a restore reads. */
  public static final int REPLICATED_FRAMES = FrameRing.SLOTS;

  /** Turns on frame replication: called for rooms of a clustered node, which drains {@link #takeFrameWrites()}. */
  public void replicateFrames() {
    frames = frames == null ? new FrameReplication() : frames;
  }

  /** Frame writes since the last call, by slot: a record to store, or null for a slot to clear. */
  public Map<Integer, String> takeFrameWrites() {
    return frames == null ? Map.of() : frames.takeWrites();
  }

  /** Frames relayed since {@code since} and still in the ring go with the next write again (decision 65). */
  public void rewrite(long since) {
    if (frames != null) {
      replay.forEachSince(since, frames::rewrite);
    }
  }

  /** Every frame slot this room has written in the cluster: what its burn must remove. */
  public List<Integer> replicatedSlots() {
    return frames == null ? List.of() : frames.everUsed();
  }

  /**
   * The room's state apart from relayed frames, including where each member's socket is, so members connected
   * through surviving nodes keep talking without reconnecting.
   */
  public JsonObject toSnapshot() {
    JsonArray ms = new JsonArray();
    members.values().forEach(m -> ms.add(m.toSnapshot(SNAPSHOT_DEDUPE)));
    return new JsonObject().put("roomId", roomId).put("createdAt", createdAt).put("expiresAt", expiresAt)
        .put("pin", pin.encode()).put("sourceSalt", Base64.getEncoder().encodeToString(sourceSalt))
        .put("maxMembers", maxMembers).put("locked", locked).put("seq", seq).put("members", ms)
        .put("banned", new JsonArray(List.copyOf(bannedTokens))).put("pinGuard", pinGuard.toJson())
        .put("joinHash", joinHash == null ? null : joinHash.toWire());
  }

  /** The expiry a snapshot holds (the room's own, as of its last replicated change). */
  public static long expiresAtOf(JsonObject snapshot) {
    return snapshot.getLong("expiresAt");
  }

  /**
   * Restores a room from its snapshot and its replicated frames (records from {@link #takeFrameWrites()}, in any
   * order). Members whose socket was on a node that is no longer live start their resume grace at {@code now}; members
   * on live nodes stay connected. Seq continues exactly: acks and deliveries are released only after the write that
   * holds them, so no seq that anyone saw is ever handed out again, and every acknowledged client id in the ring is
   * recognised when its sender resends it.
   */
  public static RoomState fromSnapshot(JsonObject s, List<String> frames, Ids ids, long now, Set<String> liveNodes) {
    RoomState r = new RoomState(s.getString("roomId"), s.getLong("createdAt"), expiresAtOf(s),
        PinHash.decode(s.getString("pin")), Base64.getDecoder().decode(s.getString("sourceSalt")),
        s.getInteger("maxMembers"), ids);
    r.locked = s.getBoolean("locked", false);
    r.seq = s.getLong("seq");
    for (Object o : s.getJsonArray("members")) {
      Member m = Member.fromSnapshot((JsonObject) o, now, liveNodes);
      r.members.put(m.memberId, m);
      r.memberByToken.put(m.resumeToken, m.memberId);
    }
    s.getJsonArray("banned").forEach(t -> r.bannedTokens.add((String) t));
    r.pinGuard = PinGuard.fromJson(s.getJsonObject("pinGuard"));
    // absent in the snapshots of open rooms (and of nodes from before join tokens): the room stays open
    r.joinHash = JoinHash.fromWire(s.getString("joinHash"));
    r.replicateFrames();
    r.frames.restore(frames).forEach(r::replay);
    return r;
  }

  private void replay(FrameReplication.Replica f) {
    Member sender = members.get(f.from());
    replay.add(f.seq(), sender != null ? sender.memberId : f.from(), f.to(), f.frame(), f.at());
    if (sender != null && sender.dedupe.seqOf(f.clientId()) < 0) {
      sender.dedupe.remember(f.clientId(), f.seq());
    }
    seq = Math.max(seq, f.seq());
  }
}
