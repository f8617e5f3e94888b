package io.burnroom.room;

import io.burnroom.bus.Addresses;
import io.burnroom.bus.Bus;
import io.burnroom.cluster.RoomDirectory;
import io.burnroom.cluster.SnapshotStore;
import io.burnroom.metrics.BurnroomMetrics;
import io.burnroom.metrics.BurnroomMetrics.BurnReason;
import io.burnroom.wire.AdminOp;
import io.burnroom.wire.CloseCodes;
import io.burnroom.wire.ErrorCode;
import io.burnroom.wire.ServerFrames;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Clock;
import java.util.List;
import java.util.Map;

/**
 * One room, the single writer of its {@link RoomState}: members, profiles, resume tokens, seq, de-duplication,
 * locked flag, PIN lockouts and the burn timer. Listens on {@code burnroom.room.<id>} for join/msg/admin/leave/info
 * from any node's edge; sends one delivery per node to {@code burnroom.edge.<node>}. At expiry or on the creator's
 * burn it closes every socket with 4000, erases its directory entry and snapshot, and asks the host to undeploy it.
 *
 * <p>On a clustered node every change is replicated before its effects (acks, deliveries, join replies) are
 * released, so a room restored on another node never forgets anything a client saw: a relayed message as one frame
 * record, any other change as a rewrite of the (small) snapshot. Several write batches may be in flight; effects
 * are released in the order they were asked for ({@link WritePipeline}).
 */
public final class RoomVerticle extends VerticleBase {
  private final RoomState state;
  private final String nodeId;
  private final Clock clock;
  private final long resumeGraceMs;
  private final long maxLifetimeMs;
  private final RoomDirectory directory;
  private final SnapshotStore snapshots;
  private final BurnroomMetrics metrics;
  private FanOut fanOut;
  private MessageConsumer<Object> consumer;
  private MessageConsumer<String> nodeLeftConsumer;
  private MessageConsumer<String> mergedConsumer;
  private long timerId = -1;
  /** Write-then-effect: every effect waits for the cluster writes behind it (clustered nodes only). */
  private final WritePipeline writes = new WritePipeline(store());
  private boolean burned;
  private boolean quiesced;
  private boolean resyncOnStart;

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
    if (snapshots.enabled()) {
      state.replicateFrames();
    }
  }

  /**
   * For a room restored from its snapshot: frames the old owner relayed (they are in the snapshot, with their seq) may
   * have died in its outbound buffers before reaching members on surviving nodes, and those members would never ask
   * for them. So the restored room asks every member it believes connected to reconnect (1012); each resumes with its
   * last seq and gets exactly what it missed from the replay tail, wherever its socket was.
   */
  void resyncMembersOnStart() {
    resyncOnStart = true;
  }

  public String roomId() {
    return state.roomId();
  }

  @Override
  public Future<?> start() {
    fanOut = new FanOut(vertx.eventBus(), DeliveryBatch.ofThisLoop(vertx.eventBus()), state.roomId());
    consumer = vertx.eventBus().consumer(Addresses.room(state.roomId()), this::onRequest);
    nodeLeftConsumer = vertx.eventBus().localConsumer(Addresses.NODE_LEFT, m -> {
      state.nodeGone(m.body(), clock.millis());
      afterWrite(null);
    });
    mergedConsumer = vertx.eventBus().localConsumer(Addresses.CLUSTER_MERGED, m -> checkOwnership());
    metrics.roomOpened();
    if (resyncOnStart) {
      fanOut.close(state.connectedMembers(), CloseCodes.SHUTTING_DOWN, null);
    }
    scheduleTimer();
    return Future.all(consumer.completion(), nodeLeftConsumer.completion(), mergedConsumer.completion(),
        saveSnapshot());
  }

  @Override
  public Future<?> stop() {
    vertx.cancelTimer(timerId);
    metrics.roomClosed();
    return Future.succeededFuture();
  }

  private void onRequest(Message<Object> msg) {
    if (quiesced) {
      fail(msg, ErrorCode.NODE_SHUTTING_DOWN);
      return;
    }
    if (burned) {
      fail(msg, ErrorCode.ROOM_NOT_FOUND);
      return;
    }
    if (msg.body() instanceof Bus.Relay r) {
      onMsg(msg, r);
      return;
    }
    if (!(msg.body() instanceof JsonObject b)) {
      fail(msg, ErrorCode.BAD_REQUEST);
      return;
    }
    switch (String.valueOf(b.getString(Bus.OP))) {
      case Bus.JOIN -> onJoin(msg, b);
      case Bus.ADMIN -> onAdmin(msg, b);
      case Bus.LEAVE -> onLeave(msg, b);
      case Bus.INFO -> msg.reply(new JsonObject().put("roomId", state.roomId()).put("expiresAt", state.expiresAt())
          .put("locked", state.locked()).put("members", state.memberCount()));
      default -> fail(msg, ErrorCode.BAD_REQUEST);
    }
  }

  private void onJoin(Message<Object> msg, JsonObject b) {
    String node = b.getString("node");
    String connId = b.getString("connId");
    RoomState.JoinResult r = state.join(b.getString("profile"), b.getString("resume"), b.getString("token"),
        b.getLong("lastSeq", -1L), node, connId);
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
    // memberId and roomId travel beside the frame so the edge need not parse the frame, and (on this node) keeps
    // these very strings instead of copies per socket.
    // seq: the replay covers every frame up to it that is meant for this member, so the edge drops a live delivery
    // of any of them that is still on its way (relayed before this join, delivered after it).
    JsonObject reply = new JsonObject().put("memberId", m.memberId).put("roomId", state.roomId())
        .put("seq", state.seq()).put("frame", joined.encode())
        .put("replay", new JsonArray(r.replay()));
    List<Member> others = r.resumed() ? List.of() : othersThan(m);
    afterWrite(() -> {
      fanOut.replyJoined(msg, reply);
      fanOut.deliver(others, ServerFrames.memberJoined(m.memberId, m.profile).encode());
    });
  }

  private void onMsg(Message<Object> msg, Bus.Relay m) {
    String body = m.body();
    RoomState.RelayResult r = state.relay(m.memberId(), m.connId(), m.id(), body, m.to(), clock.millis());
    if (r.error() != null) {
      fail(msg, r.error());
      return;
    }
    Long ack = r.seq();
    if (r.duplicate()) {
      // The original's write may still be in flight: its ack, even a repeated one, waits for it.
      afterReplication(() -> msg.reply(ack));
      return;
    }
    metrics.relayed(body.length());
    afterReplication(() -> {
      fanOut.deliver(r.recipients(), r.frameUtf8(), ack);
      msg.reply(ack);
    });
  }

  private void onAdmin(Message<Object> msg, JsonObject b) {
    if (!state.isCurrent(b.getString("memberId"), b.getString("connId"))) {
      fail(msg, ErrorCode.NOT_JOINED);
      return;
    }
    ErrorCode pinError = state.checkPin(state.sourceKey(b.getString("source", "")), b.getString("pin"), clock.millis());
    if (pinError != null) {
      metrics.pinFailure();
      if (state.lastCheckStartedLockout()) {
        metrics.lockout();
      }
      afterWrite(() -> fail(msg, pinError));
      return;
    }
    AdminOp op = AdminOp.valueOf(b.getString("adminOp"));
    // the edge's parser let only a well-formed hash through; null when the op carries none
    JoinHash nextJoinHash = JoinHash.fromWire(b.getString("joinHash"));
    ErrorCode error = switch (op) {
      case KICK -> kick(b.getString("target"), nextJoinHash);
      case ROTATE -> rotate(nextJoinHash);
      case LOCK, UNLOCK -> setLocked(op == AdminOp.LOCK);
      case EXTEND -> extend(b.getLong("seconds"));
      case BURN -> null;
    };
    if (error != null) {
      fail(msg, error);
      return;
    }
    if (op == AdminOp.BURN) {
      msg.reply(new JsonObject().put("op", op.wire()));
      burn(BurnReason.CREATOR);
    } else {
      afterWrite(() -> msg.reply(new JsonObject().put("op", op.wire())));
    }
  }

  private ErrorCode kick(String target, JoinHash nextJoinHash) {
    Member m = state.kick(target, nextJoinHash);
    if (m == null) {
      return ErrorCode.UNKNOWN_MEMBER;
    }
    List<Member> remaining = state.connectedMembers();
    afterWrite(() -> {
      if (m.connected()) {
        fanOut.close(List.of(m), CloseCodes.KICKED, ServerFrames.memberLeft(m.memberId, "kicked").encode());
      }
      fanOut.deliver(remaining, ServerFrames.memberLeft(m.memberId, "kicked").encode());
    });
    return null;
  }

  /** Only the room's join hash changes; the members learn the new link end to end, not from the server. */
  private ErrorCode rotate(JoinHash next) {
    if (next == null) {
      return ErrorCode.BAD_FIELD;
    }
    state.replaceJoinHash(next);
    return null;
  }

  private ErrorCode setLocked(boolean locked) {
    state.setLocked(locked);
    List<Member> everyone = state.connectedMembers();
    afterWrite(() -> fanOut.deliver(everyone, ServerFrames.locked(locked).encode()));
    return null;
  }

  private ErrorCode extend(long seconds) {
    ErrorCode e = state.extend(seconds, maxLifetimeMs);
    if (e != null) {
      return e;
    }
    List<Member> everyone = state.connectedMembers();
    long expiresAt = state.expiresAt();
    directory.put(new RoomDirectory.Entry(state.roomId(), nodeId, expiresAt));
    scheduleTimer();
    afterWrite(() -> fanOut.deliver(everyone, ServerFrames.extended(expiresAt).encode()));
    return null;
  }

  private void onLeave(Message<Object> msg, JsonObject b) {
    String memberId = b.getString("memberId");
    RoomState.Departure d = state.disconnect(memberId, b.getString("connId"), b.getBoolean("intentional", false),
        clock.millis());
    JsonObject ok = new JsonObject();
    if (d == RoomState.Departure.LEFT) {
      List<Member> everyone = state.connectedMembers();
      afterWrite(() -> {
        fanOut.deliver(everyone, ServerFrames.memberLeft(memberId, "left").encode());
        msg.reply(ok);
      });
    } else if (d == RoomState.Departure.GRACE) {
      afterWrite(() -> msg.reply(ok));
    } else {
      msg.reply(ok);
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
      List<Member> everyone = state.connectedMembers();
      afterWrite(() -> fanOut.deliver(everyone, ServerFrames.memberLeft(gone.memberId, "left").encode()));
    }
    fanOut.deliver(state.connectedMembers(), ServerFrames.tick(state.expiresAt(), now).encode());
    scheduleTimer();
    checkOwnership();
  }

  /**
   * Split brain: while the cluster was split, each side may have restored this room, so after the merge two
   * verticles can listen on one address. The directory names exactly one owner; any other copy steps down. Checked
   * on every tick and at once when Hazelcast reports a merge.
   */
  private void checkOwnership() {
    if (!snapshots.enabled() || burned || quiesced) {
      return;
    }
    directory.get(state.roomId()).onSuccess(entry -> {
      if (entry != null && !entry.owner().equals(nodeId) && !burned && !quiesced) {
        stepDown();
      }
    });
  }

  /**
   * Another node owns this room: stop serving without touching the shared maps, and tell the members this copy
   * knew about to reconnect (1012). They resume at the real owner; what was said only on this side of the split is
   * not carried over (see docs/decisions.md).
   */
  private void stepDown() {
    quiesced = true;
    vertx.cancelTimer(timerId);
    consumer.unregister();
    fanOut.close(state.connectedMembers(), CloseCodes.SHUTTING_DOWN, null);
    String deploymentId = context.deploymentID();
    tellHostGone();
    // The host may not know this copy (it is forgetting it anyway); make sure the deployment goes.
    vertx.setTimer(100, t -> vertx.undeploy(deploymentId).onFailure(e -> { }));
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
    // A write still in flight must land before the snapshot is removed, or it would bring the room back.
    writes.whenIdle()
        .transform(ignored -> Future.join(directory.remove(roomId), snapshots.remove(roomId, state.replicatedSlots())))
        .onComplete(ignored -> tellHostGone());
  }

  /** Asks this node's room host to forget and undeploy this room. */
  private void tellHostGone() {
    vertx.eventBus().send(Addresses.ROOM_HOST,
        new JsonObject().put("op", Bus.HOST_GONE).put("roomId", state.roomId()),
        new DeliveryOptions().setLocalOnly(true));
  }

  /**
   * Graceful hand-over: stop serving (edges elsewhere retry until the room answers again from its new node), let
   * pending writes land and write one final snapshot. Nothing is burned or removed.
   */
  Future<Void> quiesce() {
    Promise<Void> done = Promise.promise();
    context.runOnContext(v -> {
      quiesced = true;
      vertx.cancelTimer(timerId);
      consumer.unregister()
          .transform(ignored -> writes.whenIdle())
          .transform(ignored -> burned ? Future.<Void>succeededFuture() : saveSnapshot())
          .onComplete(done);
    });
    return done.future();
  }

  // ---- replication ----

  /** Runs {@code effect} (may be null) once a snapshot containing the current state is written. */
  private void afterWrite(Runnable effect) {
    replicate(effect, true);
  }

  /** Runs {@code effect} once the frame writes so far, and every write asked for before, have landed. */
  private void afterReplication(Runnable effect) {
    replicate(effect, false);
  }

  private void replicate(Runnable effect, boolean snapshotChanged) {
    if (!snapshots.enabled()) {
      if (effect != null) {
        effect.run();
      }
      return;
    }
    writes.add(effect == null ? () -> { } : effect, state.takeFrameWrites(), snapshotChanged);
  }

  /** The cluster writes behind {@link #writes}; after a burn nothing is written, so nothing comes back. */
  private WritePipeline.Store store() {
    return new WritePipeline.Store() {
      @Override
      public Future<Void> saveSnapshot() {
        return burned ? Future.succeededFuture() : RoomVerticle.this.saveSnapshot();
      }

      @Override
      public Future<Void> saveFrames(Map<Integer, String> frames) {
        return burned ? Future.succeededFuture() : snapshots.saveFrames(state.roomId(), frames, state.expiresAt());
      }
    };
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
