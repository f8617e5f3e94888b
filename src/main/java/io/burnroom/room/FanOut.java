package io.burnroom.room;

import io.burnroom.bus.Bus;
import io.burnroom.bus.EdgeEvent;
import io.burnroom.bus.RoomReply;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.Message;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Node-level fan-out: groups recipients by the node holding their socket; a frame goes to each node once, with the
 * other deliveries of this event-loop turn ({@link DeliveryBatch}). Closes and drops go straight to the bus, after
 * everything the batch holds, so they never overtake a frame sent before them.
 */
final class FanOut {
  private final EventBus bus;
  private final DeliveryBatch batch;
  private final String roomId;
  /** The room's current expiry, sent with every frame (decision 56). */
  private final java.util.function.LongSupplier expiresAt;

  FanOut(EventBus bus, DeliveryBatch batch, String roomId, java.util.function.LongSupplier expiresAt) {
    this.bus = bus;
    this.batch = batch;
    this.roomId = roomId;
    this.expiresAt = expiresAt;
  }

  void deliver(Collection<Member> recipients, String frame) {
    deliver(recipients, frame.getBytes(StandardCharsets.UTF_8));
  }

  void deliver(Collection<Member> recipients, byte[] utf8) {
    deliver(recipients, utf8, 0);
  }

  /**
   * {@code utf8}: a frame already encoded (a relayed message's, which the replay log needed encoded too); {@code seq}
   * its seq, so an edge never writes it to a socket that already has it (from a join's replay).
   */
  void deliver(Collection<Member> recipients, byte[] utf8, long seq) {
    long expiry = expiresAt.getAsLong();
    byNode(recipients).forEach((node, ids) -> batch.add(node,
        new EdgeEvent.Deliver(roomId, ids, utf8, seq, 0, expiry)));
  }

  /**
   * An attachment chunk: {@code serial} rides along on each node's delivery, and that node's edges report it back
   * once they have all written it ({@link DeliveryCredit}).
   */
  void deliverChunk(Collection<Member> recipients, byte[] utf8, long serial) {
    long expiry = expiresAt.getAsLong();
    byNode(recipients).forEach((node, ids) -> batch.add(node,
        new EdgeEvent.Deliver(roomId, ids, utf8, 0, serial, expiry)));
  }

  void close(Collection<Member> recipients, int code, String frame) {
    batch.flush();
    byNode(recipients).forEach((node, ids) ->
        Bus.publish(bus, node, new EdgeEvent.Close(roomId, ids, code, frame)));
  }

  /**
   * Answers a join. Its replay tail may hold frames whose deliveries are still in this turn's batch, addressed to the
   * member: once the edge has the reply it routes the member's frames to the new socket, so a batched frame that
   * arrived after the reply would reach the member twice. Flushing first keeps the reply behind them.
   */
  void replyJoined(Message<?> request, RoomReply.Joined reply) {
    batch.flush();
    Bus.reply(request, reply);
  }

  void drop(String node, String memberId, String connId) {
    batch.flush();
    Bus.publish(bus, node, new EdgeEvent.Drop(roomId, memberId, connId));
  }

  private static Map<String, List<String>> byNode(Collection<Member> recipients) {
    if (recipients.isEmpty()) {
      return Map.of();
    }
    Map<String, List<String>> byNode = new HashMap<>(4);
    for (Member m : recipients) {
      if (m.node != null) {
        byNode.computeIfAbsent(m.node, n -> new ArrayList<>()).add(m.memberId);
      }
    }
    return byNode;
  }
}
