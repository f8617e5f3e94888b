package io.burnroom.room;

import io.burnroom.cluster.Addresses;
import io.burnroom.cluster.RoomDirectory;
import io.burnroom.cluster.SnapshotStore;
import io.burnroom.metrics.BurnroomMetrics;
import io.burnroom.metrics.BurnroomMetrics.BurnReason;
import io.burnroom.protocol.AdminOp;
import io.burnroom.protocol.Bus;
import io.burnroom.protocol.CloseCodes;
import io.burnroom.protocol.ErrorCode;
import io.burnroom.protocol.ServerFrames;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Clock;
import java.util.List;

/**
 * One room, the single writer of its {@link RoomState}: members, profiles, resume tokens, seq, de-duplication,
 * locked flag, PIN lockouts and the burn timer. Listens on {@code burnroom.room.<id>} for join/msg/admin/leave/info
 * from any node's edge; sends one delivery per node to {@code burnroom.edge.<node>}. At expiry or on the creator's
 * burn it closes every socket with 4000, erases its directory entry and snapshot, and asks the host to undeploy it.
 */
public final class RoomVerticle extends VerticleBase {
  /** Snapshots are batched: at most one write per this many milliseconds. */
  static final long SNAPSHOT_DELAY_MS = 20;

  private final RoomState state;
  private final String nodeId;
  private final Clock clock;
  private final long resumeGraceMs;
  private final long maxLifetimeMs;
  private final RoomDirectory directory;
  private final SnapshotStore snapshots;
  private final BurnroomMetrics metrics;
  private FanOut fanOut;
  private MessageConsumer<JsonObject> consumer;
  private MessageConsumer<String> nodeLeftConsumer;
  private long timerId = -1;
  private boolean snapshotPending;
  private boolean burned;

  public RoomVerticle(RoomState state, String nodeId, Clock clock, long resumeGraceMs, long maxLifetimeMs,
                      RoomDirectory directory, SnapshotStore snapshots, BurnroomMetrics metrics) {
    this.state = state;
    this.nodeId = nodeId;
    this.clock = clock;
    this.resumeGraceMs = resumeGraceMs;
    this.maxLifetimeMs = maxLifetimeMs;
    this.directory = directory;
    this.snapshots = snapshots;
    this.metrics = metrics;
  }

  public String roomId() {
    return state.roomId();
  }

  @Override
  public Future<?> start() {
    fanOut = new FanOut(vertx.eventBus(), state.roomId());
    consumer = vertx.eventBus().consumer(Addresses.room(state.roomId()), this::onRequest);
    nodeLeftConsumer = vertx.eventBus().localConsumer(Addresses.NODE_LEFT, m -> state.nodeGone(m.body(), clock.millis()));
    metrics.roomOpened();
    scheduleTimer();
    return Future.all(consumer.completion(), nodeLeftConsumer.completion(), saveSnapshot());
  }

  @Override
  public Future<?> stop() {
    vertx.cancelTimer(timerId);
    metrics.roomClosed();
    return Future.succeededFuture();
  }

  private void onRequest(Message<JsonObject> msg) {
    if (burned) {
      fail(msg, ErrorCode.ROOM_NOT_FOUND);
      return;
    }
    JsonObject b = msg.body();
    switch (String.valueOf(b.getString(Bus.OP))) {
      case Bus.JOIN -> onJoin(msg, b);
      case Bus.MSG -> onMsg(msg, b);
      case Bus.ADMIN -> onAdmin(msg, b);
      case Bus.LEAVE -> onLeave(b);
      case Bus.INFO -> msg.reply(new JsonObject().put("roomId", state.roomId()).put("expiresAt", state.expiresAt())
          .put("locked", state.locked()).put("members", state.memberCount()));
      default -> fail(msg, ErrorCode.BAD_REQUEST);
    }
  }

  private void onJoin(Message<JsonObject> msg, JsonObject b) {
    String node = b.getString("node");
    String connId = b.getString("connId");
    RoomState.JoinResult r = state.join(b.getString("profile"), b.getString("resume"), b.getLong("lastSeq", -1L),
        node, connId);
    if (r.error() != null) {
      fail(msg, r.error());
      return;
    }
    Member m = r.member();
    if (r.resumed() && r.previousNode() != null && !connId.equals(r.previousConnId())) {
      fanOut.drop(r.previousNode(), m.memberId, r.previousConnId());
    }
    long now = clock.millis();
    JsonObject joined = ServerFrames.joined(m.memberId, m.resumeToken, state.memberList(), state.expiresAt(), now,
        state.locked(), state.seq());
    msg.reply(new JsonObject().put("frame", joined.encode()).put("replay", new JsonArray(r.replay())));
    if (!r.resumed()) {
      fanOut.deliver(othersThan(m), ServerFrames.memberJoined(m.memberId, m.profile).encode());
      markDirty();
    }
  }

  private void onMsg(Message<JsonObject> msg, JsonObject b) {
    String body = b.getString("body");
    RoomState.RelayResult r = state.relay(b.getString("memberId"), b.getString("connId"), b.getString("id"), body,
        b.getString("to"), clock.millis());
    if (r.error() != null) {
      fail(msg, r.error());
      return;
    }
    if (!r.duplicate()) {
      fanOut.deliver(r.recipients(), r.frame());
      metrics.relayed(body.length());
      markDirty();
    }
    msg.reply(new JsonObject().put("seq", r.seq()));
  }

  private void onAdmin(Message<JsonObject> msg, JsonObject b) {
    if (!state.isCurrent(b.getString("memberId"), b.getString("connId"))) {
      fail(msg, ErrorCode.NOT_JOINED);
      return;
    }
    ErrorCode pinError = state.checkPin(state.sourceKey(b.getString("source", "")), b.getString("pin"), clock.millis());
    if (pinError != null) {
      metrics.pinFailure();
      if (pinError == ErrorCode.PIN_LOCKOUT) {
        metrics.lockout();
      }
      markDirty();
      fail(msg, pinError);
      return;
    }
    AdminOp op = AdminOp.valueOf(b.getString("adminOp"));
    ErrorCode error = switch (op) {
      case KICK -> kick(b.getString("target"));
      case LOCK, UNLOCK -> setLocked(op == AdminOp.LOCK);
      case EXTEND -> extend(b.getLong("seconds"));
      case BURN -> null;
    };
    if (error != null) {
      fail(msg, error);
      return;
    }
    msg.reply(new JsonObject().put("op", op.wire()));
    if (op == AdminOp.BURN) {
      burn(BurnReason.CREATOR);
    }
  }

  private ErrorCode kick(String target) {
    Member m = state.kick(target);
    if (m == null) {
      return ErrorCode.UNKNOWN_MEMBER;
    }
    if (m.connected()) {
      fanOut.close(List.of(m), CloseCodes.KICKED, ServerFrames.memberLeft(m.memberId, "kicked").encode());
    }
    fanOut.deliver(state.connectedMembers(), ServerFrames.memberLeft(m.memberId, "kicked").encode());
    markDirty();
    return null;
  }

  private ErrorCode setLocked(boolean locked) {
    state.setLocked(locked);
    fanOut.deliver(state.connectedMembers(), ServerFrames.locked(locked).encode());
    markDirty();
    return null;
  }

  private ErrorCode extend(long seconds) {
    ErrorCode e = state.extend(seconds, maxLifetimeMs);
    if (e != null) {
      return e;
    }
    fanOut.deliver(state.connectedMembers(), ServerFrames.extended(state.expiresAt()).encode());
    directory.put(new RoomDirectory.Entry(state.roomId(), nodeId, state.expiresAt()));
    scheduleTimer();
    markDirty();
    return null;
  }

  private void onLeave(JsonObject b) {
    String memberId = b.getString("memberId");
    RoomState.Departure d = state.disconnect(memberId, b.getString("connId"), b.getBoolean("intentional", false),
        clock.millis());
    if (d == RoomState.Departure.LEFT) {
      fanOut.deliver(state.connectedMembers(), ServerFrames.memberLeft(memberId, "left").encode());
      markDirty();
    }
  }

  // ---- the clock: ticks, grace expiry and burn ----

  private void scheduleTimer() {
    vertx.cancelTimer(timerId);
    long delay = TickSchedule.delayUntilNextMark(clock.millis(), state.expiresAt());
    timerId = vertx.setTimer(Math.max(1, delay), id -> onTimer());
  }

  private void onTimer() {
    long now = clock.millis();
    if (now >= state.expiresAt()) {
      burn(BurnReason.EXPIRED);
      return;
    }
    for (Member gone : state.expireGrace(now, resumeGraceMs)) {
      fanOut.deliver(state.connectedMembers(), ServerFrames.memberLeft(gone.memberId, "left").encode());
      markDirty();
    }
    fanOut.deliver(state.connectedMembers(), ServerFrames.tick(state.expiresAt(), now).encode());
    scheduleTimer();
  }

  /** Burns now: every socket gets {@code burned} and close 4000 in one message per node, then every trace goes. */
  void burn(BurnReason reason) {
    if (burned) {
      return;
    }
    burned = true;
    vertx.cancelTimer(timerId);
    fanOut.close(state.connectedMembers(), CloseCodes.BURNED, ServerFrames.burned().encode());
    metrics.roomBurned(reason, clock.millis() - state.expiresAt());
    String roomId = state.roomId();
    Future.join(directory.remove(roomId), snapshots.remove(roomId))
        .onComplete(ignored -> vertx.eventBus().send(Addresses.ROOM_HOST,
            new JsonObject().put("op", RoomHostVerticle.GONE).put("roomId", roomId),
            new DeliveryOptions().setLocalOnly(true)));
  }

  // ---- snapshots ----

  private void markDirty() {
    if (!snapshots.enabled() || snapshotPending || burned) {
      return;
    }
    snapshotPending = true;
    vertx.setTimer(SNAPSHOT_DELAY_MS, id -> {
      snapshotPending = false;
      if (!burned) {
        saveSnapshot();
      }
    });
  }

  private Future<Void> saveSnapshot() {
    return snapshots.save(state.roomId(), state.toSnapshot(), state.expiresAt());
  }

  private List<Member> othersThan(Member m) {
    return state.connectedMembers().stream().filter(o -> o != m).toList();
  }

  private static void fail(Message<?> msg, ErrorCode code) {
    msg.fail(code.ordinal(), code.name());
  }
}
