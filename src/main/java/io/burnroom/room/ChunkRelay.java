package io.burnroom.room;

import io.burnroom.bus.Bus;
import io.burnroom.bus.RoomNotice;
import io.burnroom.bus.RoomReply;
import io.burnroom.bus.RoomRequest;
import io.burnroom.config.ChunkLimits;
import io.burnroom.metrics.BurnroomMetrics;
import io.burnroom.metrics.BurnroomMetrics.ChunkPace;
import io.burnroom.metrics.BurnroomMetrics.Limit;
import io.burnroom.wire.ErrorCode;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.Message;
import java.time.Clock;
import java.util.ArrayDeque;
import java.util.function.BooleanSupplier;

/**
 * A room's attachment chunks on its loop (decisions 47 and 50): relays each one its {@link ChunkGate} lets through,
 * keeps the ones waiting for credit toward a node holding their recipients in the order they came, and relays them
 * as the edges' reports ({@link RoomNotice.ChunkTaken}) give credit back. The answer to a chunk request, and so the
 * sender's ack, follows the relay: the edge sends a socket's requests one at a time, so each sender has at most one
 * chunk waiting here, and a sender whose recipients' edges do not drain is held, not queued for.
 */
final class ChunkRelay {
  /** How often waiting chunks look again: credit also comes back from other rooms and by expiry, unannounced. */
  private static final long HELD_CHECK_MS = 20;

  /** A chunk request waiting for credit, since {@code since}. */
  private record Held(Message<Object> msg, RoomRequest.Chunk chunk, long since) {
  }

  private final Vertx vertx;
  private final ChunkGate gate;
  private final Clock clock;
  private final BurnroomMetrics metrics;
  private final RoomReplication replication;
  private final FanOut fanOut;
  /** False once the room burned or stopped serving. */
  private final BooleanSupplier serving;
  private final ArrayDeque<Held> held = new ArrayDeque<>();
  private long timer = -1;

  ChunkRelay(Vertx vertx, ChunkGate gate, Clock clock, BurnroomMetrics metrics, RoomReplication replication,
             FanOut fanOut, BooleanSupplier serving) {
    this.vertx = vertx;
    this.gate = gate;
    this.clock = clock;
    this.metrics = metrics;
    this.replication = replication;
    this.fanOut = fanOut;
    this.serving = serving;
  }

  /**
   * Relays a chunk and answers with how long the sender's ack waits for the byte budgets; nothing of it is kept or
   * replicated. It still waits behind cluster writes in flight, so it never overtakes the message (say, the
   * attachment's manifest) its sender sent before it. Without credit, or behind chunks that wait, it waits too.
   */
  void onChunk(Message<Object> msg, RoomRequest.Chunk c) {
    long now = clock.millis();
    if (!held.isEmpty() || !tryRelay(msg, c, now)) {
      metrics.chunkPaced(ChunkPace.DELIVERY_CREDIT);
      held.add(new Held(msg, c, now));
      checkLater();
    }
  }

  /** A node's edges wrote one of this room's chunk deliveries. */
  void taken(RoomNotice.ChunkTaken t) {
    if (gate.credit().taken(t.node(), t.serial()) && serving.getAsBoolean()) {
      relayHeld();
    }
  }

  /** A node left the cluster: what was in flight to it will never be reported. */
  void nodeGone(String node) {
    if (gate.credit().nodeGone(node) && serving.getAsBoolean()) {
      relayHeld();
    }
  }

  /** The room stops serving: every waiting chunk is answered with {@code code} at once. */
  void failHeld(ErrorCode code) {
    vertx.cancelTimer(timer);
    timer = -1;
    while (!held.isEmpty()) {
      Bus.fail(held.poll().msg(), code);
    }
  }

  /** The room is undeployed: nothing waits, and its credit goes back to the node. */
  void stop() {
    failHeld(ErrorCode.NODE_SHUTTING_DOWN);
    gate.credit().releaseAll();
  }

  /** Relays {@code c} if its recipients' nodes have credit (answering the request); false when it must wait. */
  private boolean tryRelay(Message<Object> msg, RoomRequest.Chunk c, long now) {
    ChunkGate.Result r = gate.relay(c.memberId(), c.connId(), c.id(), c.body(), c.to(), now);
    int expired = gate.credit().takeExpired();
    if (expired > 0) {
      metrics.chunkCreditExpired(expired);
    }
    if (r.isHeld()) {
      return false;
    }
    if (r.error() != null) {
      if (r.error() == ErrorCode.RATE_LIMITED) {
        metrics.limited(gate.refusedBy() == ChunkGate.Paced.ROOM ? Limit.CHUNK_ROOM_BUDGET : Limit.CHUNK_NODE_BUDGET);
      }
      Bus.fail(msg, r.error());
      return true;
    }
    metrics.chunkRelayed(r.deliveredBytes());
    if (r.pacedBy() != null) {
      metrics.chunkPaced(r.pacedBy() == ChunkGate.Paced.ROOM ? ChunkPace.ROOM_BUDGET : ChunkPace.NODE_BUDGET);
    }
    RoomReply.ChunkAcked ack = new RoomReply.ChunkAcked(r.waitMs());
    replication.afterReplication(() -> {
      fanOut.deliverChunk(r.recipients(), r.frameUtf8(), r.serial());
      Bus.reply(msg, ack);
    });
    return true;
  }

  /**
   * Relays the waiting chunks in the order they came, as far as credit goes; one that waited longer than
   * {@link ChunkLimits#CREDIT_HOLD_MS} is refused ({@code rate_limited}: its sender pauses and sends it again), well
   * before the edge's request would time out.
   */
  private void relayHeld() {
    long now = clock.millis();
    while (!held.isEmpty()) {
      Held h = held.peek();
      if (now - h.since() >= ChunkLimits.CREDIT_HOLD_MS) {
        held.poll();
        metrics.limited(Limit.CHUNK_CREDIT);
        Bus.fail(h.msg(), ErrorCode.RATE_LIMITED);
      } else if (tryRelay(h.msg(), h.chunk(), now)) {
        held.poll();
      } else {
        break;
      }
    }
    checkLater();
  }

  private void checkLater() {
    if (held.isEmpty() || timer != -1) {
      return;
    }
    timer = vertx.setTimer(HELD_CHECK_MS, t -> {
      timer = -1;
      if (serving.getAsBoolean()) {
        relayHeld();
      }
    });
  }
}
