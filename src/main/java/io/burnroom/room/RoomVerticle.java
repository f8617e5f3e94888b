package io.burnroom.room;

import io.burnroom.bus.Addresses;
import io.burnroom.bus.Bus;
import io.burnroom.bus.HostRequest;
import io.burnroom.bus.RoomNotice;
import io.burnroom.bus.RoomReply;
import io.burnroom.bus.RoomRequest;
import io.burnroom.cluster.ClusterView;
import io.burnroom.cluster.RoomDirectory;
import io.burnroom.cluster.SnapshotStore;
import io.burnroom.config.ByteRate;
import io.burnroom.config.ChunkLimits;
import io.burnroom.metrics.BurnroomMetrics;
import io.burnroom.wire.AdminOp;
import io.burnroom.wire.CloseCodes;
import io.burnroom.wire.ErrorCode;
import io.burnroom.wire.ServerFrames;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;
import java.time.Clock;
import java.util.List;

/**
 * One room, the single writer of its {@link RoomState}: members, profiles, resume tokens, seq, de-duplication,
 * locked flag, PIN lockouts and the burn timer. Listens on {@code burnroom.room.<id>} for join/msg/admin/leave/info
 * from any node's edge; sends one delivery per node to {@code burnroom.edge.<node>}. At expiry or on the creator's
 * burn it closes every socket with 4000, erases its directory entry and snapshot, and asks the host to undeploy it.
 *
 * <p>On a clustered node every change is replicated before its effects (acks, deliveries, join replies) are
 * released ({@link RoomReplication}), so a room restored on another node never forgets anything a client saw.
 */
public final class RoomVerticle extends VerticleBase {
  private final RoomState state;
  private final String nodeId;
  private final Clock clock;
  private final long resumeGraceMs;
  private final long maxLifetimeMs;
  private final RoomDirectory directory;
  private final BurnroomMetrics metrics;
  private final int maxAttachmentBytes;
  private final ChunkGate chunkGate;
  private ChunkRelay chunks;
  private final ClusterView cluster;
  private FanOut fanOut;
  private AdminEffects admin;
  private MessageConsumer<Object> consumer;
  private long timerId = -1;
  /** Write-then-effect: every effect waits for the cluster writes behind it (clustered nodes only). */
  private final RoomReplication replication;
  private boolean burned;
  private boolean quiesced;
  private boolean resyncOnStart;
  private final Ownership ownership;

  /** A room with a chunk credit of its own instead of its node's (tests that deploy a room alone). */
  public RoomVerticle(RoomState state, String nodeId, Clock clock, long resumeGraceMs, long maxLifetimeMs,
                      RoomDirectory directory, SnapshotStore snapshots, BurnroomMetrics metrics,
                      ChunkLimits chunkLimits, ByteRate nodeChunkRate, ClusterView cluster) {
    this(state, nodeId, clock, resumeGraceMs, maxLifetimeMs, directory, snapshots, metrics, chunkLimits,
        nodeChunkRate, new DeliveryCredit.Share(ChunkLimits.NODE_DELIVERIES_IN_FLIGHT), cluster);
  }

  RoomVerticle(RoomState state, String nodeId, Clock clock, long resumeGraceMs, long maxLifetimeMs,
               RoomDirectory directory, SnapshotStore snapshots, BurnroomMetrics metrics,
               ChunkLimits chunkLimits, ByteRate nodeChunkRate, DeliveryCredit.Share nodeCredit,
               ClusterView cluster) {
    this.cluster = cluster;
    this.state = state;
    this.maxAttachmentBytes = chunkLimits.maxAttachmentBytes();
    this.chunkGate = new ChunkGate(state, chunkLimits.roomRate(clock.millis()), nodeChunkRate,
        new DeliveryCredit(ChunkLimits.ROOM_DELIVERIES_IN_FLIGHT, nodeCredit, ChunkLimits.CREDIT_EXPIRY_MS));
    this.nodeId = nodeId;
    this.clock = clock;
    this.resumeGraceMs = resumeGraceMs;
    this.maxLifetimeMs = maxLifetimeMs;
    this.directory = directory;
    this.metrics = metrics;
    // Nothing is written after a burn, nor without the quorum: at the merge the newer write wins (cluster.xml), and the
    // losing side's (members marked gone, graces expired) would be newer than the winning side's room (decision 48).
    this.ownership = new Ownership(state.roomId(), nodeId, directory, cluster, () -> burned || quiesced,
        this::stepDown, state::expiresAt);
    this.replication = new RoomReplication(state, snapshots, () -> burned || !ownership.serving());
  }

  /**
   * For a restored room: frames the old owner relayed may have died in its outbound buffers, and members on surviving
   * nodes would never ask for them. So every member it believes connected is asked to reconnect (1012) and resumes
   * with its last seq, getting exactly what it missed from the replay tail.
   */
  void resyncMembersOnStart() {
    resyncOnStart = true;
  }

  public String roomId() {
    return state.roomId();
  }

  @Override
  public Future<?> start() {
    fanOut = new FanOut(vertx.eventBus(), DeliveryBatch.ofThisLoop(vertx.eventBus()), state.roomId(), state::expiresAt);
    chunks = new ChunkRelay(vertx, chunkGate, clock, metrics, replication, fanOut, () -> !burned && !quiesced);
    admin = new AdminEffects(state, replication, fanOut, directory, nodeId, maxLifetimeMs, this::scheduleTimer, metrics);
    consumer = vertx.eventBus().consumer(Addresses.room(state.roomId()), this::onRequest);
    metrics.roomOpened();
    if (resyncOnStart) {
      fanOut.close(state.connectedMembers(), CloseCodes.SHUTTING_DOWN, null);
    }
    scheduleTimer();
    return Future.all(consumer.completion(), replication.saveSnapshot());
  }

  // Cluster news, from the room host, run on the room's loop: one consumer per room on a shared address cost every
  // undeploy a scan of all the others (1,000 rooms burning in one second among 9,000 held the loops for seconds).

  /** A cluster member is gone: its members here leave their seats after the grace. */
  void onNodeLeft(String gone) {
    onLoop(v -> {
      state.nodeGone(gone, clock.millis());
      replication.afterWrite(null);
      if (chunks != null) {
        chunks.nodeGone(gone);
      }
    });
  }

  /** After a merge: check this copy is the owner, or burn it if it burned there (decision 52). */
  void onMerged(boolean burnedThere) {
    onLoop(burnedThere ? v -> burn(null) : v -> checkOwnership());
  }

  /** The cluster settled after a change: snapshot, frames since {@code since} and entry again (decisions 65, 72). */
  void rewrite(long since) {
    onLoop(v -> {
      if (!burned && !quiesced) {
        state.rewrite(since);
        replication.afterWrite(null); // written only while this copy serves
        ownership.refresh();
      }
    });
  }

  private void onLoop(io.vertx.core.Handler<Void> hook) {
    if (context != null) {
      context.runOnContext(hook);
    }
  }

  @Override
  public Future<?> stop() {
    vertx.cancelTimer(timerId);
    if (chunks != null) {
      chunks.stop();
    }
    metrics.roomClosed();
    return Future.succeededFuture();
  }

  private void onRequest(Message<Object> msg) {
    if (msg.body() instanceof RoomNotice.ChunkTaken t) {
      chunks.taken(t);
      return;
    }
    if (quiesced || !ownership.serving()) {
      // Without the quorum this copy may be the losing side of a split, and back in it, a copy that another node may
      // have restored meanwhile: the edge retries, by then the member moves or this copy knows it is the owner.
      Bus.fail(msg, ErrorCode.NODE_SHUTTING_DOWN);
      return;
    }
    if (burned) {
      Bus.fail(msg, ErrorCode.ROOM_NOT_FOUND);
      return;
    }
    Object body = msg.body();
    if (body instanceof RoomRequest.Relay r) {
      onMsg(msg, r);
    } else if (body instanceof RoomRequest.Chunk c) {
      chunks.onChunk(msg, c);
    } else if (body instanceof RoomRequest.Join j) {
      onJoin(msg, j);
    } else if (body instanceof RoomRequest.Admin a) {
      onAdmin(msg, a);
    } else if (body instanceof RoomRequest.Leave l) {
      onLeave(msg, l);
    } else if (body instanceof RoomRequest.Info) {
      Bus.reply(msg, new RoomReply.Info(state.roomId(), state.expiresAt(), state.locked(), state.memberCount()));
    } else {
      Bus.fail(msg, ErrorCode.BAD_REQUEST);
    }
  }

  private void onJoin(Message<Object> msg, RoomRequest.Join j) {
    String node = j.node();
    String connId = j.connId();
    RoomState.JoinResult r = state.join(j.profile(), j.resume(), j.token(), j.lastSeq(), node, connId);
    if (r.error() != null) {
      Bus.fail(msg, r.error());
      return;
    }
    Member m = r.member();
    if (r.resumed() && r.previousNode() != null && !connId.equals(r.previousConnId())) {
      fanOut.drop(r.previousNode(), m.memberId, r.previousConnId());
    }
    long now = clock.millis();
    JsonObject joined = ServerFrames.joined(m.memberId, m.resumeToken, state.memberList(), state.expiresAt(), now,
        state.locked(), state.seq(), maxAttachmentBytes);
    RoomReply.Joined reply = new RoomReply.Joined(m.memberId, state.roomId(), state.seq(), state.expiresAt(),
        joined.encode(), r.replay());
    List<Member> others = r.resumed() ? List.of() : othersThan(m);
    replication.afterWrite(() -> {
      fanOut.replyJoined(msg, reply);
      fanOut.deliver(others, ServerFrames.memberJoined(m.memberId, m.profile).encode());
    });
  }

  private void onMsg(Message<Object> msg, RoomRequest.Relay m) {
    String body = m.body();
    RoomState.RelayResult r = state.relay(m.memberId(), m.connId(), m.id(), body, m.to(), clock.millis());
    if (r.error() != null) {
      Bus.fail(msg, r.error());
      return;
    }
    RoomReply.Acked ack = new RoomReply.Acked(r.seq());
    if (r.duplicate()) {
      // The original's write may still be in flight: its ack, even a repeated one, waits for it.
      replication.afterReplication(() -> Bus.reply(msg, ack));
      return;
    }
    metrics.relayed(body.length());
    replication.afterReplication(() -> {
      if (!ownership.serving()) {
        // The write may have landed only on this side of a split: nobody hears of it now, the sender resends it and
        // every member resumes (1012), so whichever copy serves on gives each exactly what it holds (decision 48).
        Bus.fail(msg, ErrorCode.NODE_SHUTTING_DOWN);
        fanOut.close(state.connectedMembers(), CloseCodes.SHUTTING_DOWN, null);
        return;
      }
      fanOut.deliver(r.recipients(), r.frameUtf8(), ack.seq());
      Bus.reply(msg, ack);
    });
  }

  private void onAdmin(Message<Object> msg, RoomRequest.Admin a) {
    if (!state.isCurrent(a.memberId(), a.connId())) {
      Bus.fail(msg, ErrorCode.NOT_JOINED);
      return;
    }
    ErrorCode pinError = admin.checkPin(a.source(), a.pin(), clock.millis());
    if (pinError != null) {
      replication.afterWrite(() -> Bus.fail(msg, pinError));
      return;
    }
    AdminOp op = a.op();
    // the edge's parser let only a well-formed hash through; null when the op carries none
    JoinHash nextJoinHash = JoinHash.fromWire(a.joinHash());
    ErrorCode error = switch (op) {
      case KICK -> admin.kick(a.target(), nextJoinHash);
      case ROTATE -> admin.rotate(nextJoinHash);
      case LOCK, UNLOCK -> admin.setLocked(op == AdminOp.LOCK);
      case EXTEND -> admin.extend(a.seconds());
      case BURN -> null;
    };
    if (error != null) {
      Bus.fail(msg, error);
      return;
    }
    RoomReply.AdminDone done = new RoomReply.AdminDone(op);
    if (op == AdminOp.BURN) {
      Bus.reply(msg, done);
      burn(BurnroomMetrics.BurnReason.CREATOR);
    } else {
      replication.afterWrite(() -> Bus.reply(msg, done));
    }
  }

  private void onLeave(Message<Object> msg, RoomRequest.Leave l) {
    String memberId = l.memberId();
    RoomState.Departure d = state.disconnect(memberId, l.connId(), l.intentional(), clock.millis());
    RoomReply.Left ok = new RoomReply.Left();
    if (d == RoomState.Departure.LEFT) {
      List<Member> everyone = state.connectedMembers();
      replication.afterWrite(() -> {
        fanOut.deliver(everyone, ServerFrames.memberLeft(memberId, "left").encode());
        Bus.reply(msg, ok);
      });
    } else if (d == RoomState.Departure.GRACE) {
      replication.afterWrite(() -> Bus.reply(msg, ok));
    } else {
      Bus.reply(msg, ok);
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
      burn(BurnroomMetrics.BurnReason.EXPIRED);
      return;
    }
    if (!ownership.serving()) {
      scheduleTimer(); // a copy that may be stale tells nobody anything (its expiry may be out of date)
      return;
    }
    for (Member gone : state.expireGrace(now, resumeGraceMs)) {
      List<Member> everyone = state.connectedMembers();
      replication.afterWrite(() -> fanOut.deliver(everyone, ServerFrames.memberLeft(gone.memberId, "left").encode()));
    }
    fanOut.deliver(state.connectedMembers(), ServerFrames.tick(state.expiresAt(), now).encode());
    scheduleTimer();
    checkOwnership();
  }

  /** Split brain: checked on every tick and at once when Hazelcast reports a merge (see {@link Ownership}). */
  private void checkOwnership() {
    if (replication.enabled()) {
      ownership.check();
    }
  }

  /**
   * Another node owns this room: stop serving without touching the shared maps, and tell the members this copy
   * knew about to reconnect (1012). They resume at the real owner; what was said only on this side of the split is
   * not carried over (see docs/decisions.md).
   */
  private void stepDown() {
    quiesced = true;
    vertx.cancelTimer(timerId);
    chunks.failHeld(ErrorCode.NODE_SHUTTING_DOWN);
    consumer.unregister();
    fanOut.close(state.connectedMembers(), CloseCodes.SHUTTING_DOWN, null);
    String deploymentId = context.deploymentID();
    tellHostGone();
    // The host may not know this copy (it is forgetting it anyway); make sure the deployment goes.
    vertx.setTimer(100, t -> vertx.undeploy(deploymentId).onFailure(e -> { }));
  }

  /**
   * Burns now: every socket gets {@code burned} and close 4000 in one message per node, then every trace goes; a burn
   * before expiresAt leaves a tombstone. {@code null}: burned on the other side of a split, whose tombstone is there.
   */
  void burn(BurnroomMetrics.BurnReason reason) {
    if (burned || (reason == null && quiesced)) {
      return;
    }
    burned = true;
    vertx.cancelTimer(timerId);
    chunks.failHeld(ErrorCode.ROOM_NOT_FOUND);
    fanOut.close(state.connectedMembers(), CloseCodes.BURNED, ServerFrames.burned().encode());
    if (reason != null) {
      metrics.roomBurned(reason, clock.millis() - state.expiresAt());
    }
    String roomId = state.roomId();
    if (reason == BurnroomMetrics.BurnReason.EXPIRED && !ownership.serving()) {
      // A copy that may be stale (extended on the other side of a split) leaves the entries to the owner (decision 54).
      tellHostGone();
      return;
    }
    // A write still in flight must land before the snapshot is removed, or it would bring the room back.
    replication.whenIdle().transform(ignored -> Future.join(reason == null ? directory.remove(roomId)
        : directory.bury(roomId, state.expiresAt()), replication.remove())).onComplete(ignored -> tellHostGone());
  }

  /** Asks this node's room host to forget and undeploy this room. */
  private void tellHostGone() {
    Bus.send(vertx.eventBus(), new HostRequest.Gone(state.roomId()));
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
      chunks.failHeld(ErrorCode.NODE_SHUTTING_DOWN);
      consumer.unregister()
          .transform(ignored -> replication.whenIdle())
          .transform(ignored -> burned ? Future.<Void>succeededFuture() : replication.saveSnapshot())
          .onComplete(done);
    });
    return done.future();
  }

  private List<Member> othersThan(Member m) {
    return state.connectedMembers().stream().filter(o -> o != m).toList();
  }
}
