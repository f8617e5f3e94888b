package io.burnroom.room;

import io.burnroom.bus.Bus;
import io.burnroom.bus.EdgeEvent;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.EventBus;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The deliveries that the rooms of one event loop send in one turn of it, as one bus message per node instead of one
 * per frame. Every bus message costs a hand-off to each edge of the receiving node, and between nodes also a write
 * and a wake-up on both sides, whatever its size; under load a loop's rooms deliver several frames per turn (several
 * rooms' write batches land together), and each of them used to be its own message.
 *
 * <p>The first delivery of a turn queues one task on the loop, behind the work already waiting there (the same rule
 * as the edge's {@code FlushBatch}); every delivery until that task runs goes out with it. On an idle loop the task
 * runs right after the current one, so a frame waits for nothing but the work already queued. A node's share is sent
 * early once it holds {@link #MAX_BYTES}, so one message stays a bounded size.
 *
 * <p>Order: a room's deliveries keep their order inside a batch, and its other messages to edges (close, drop) call
 * {@link #flush()} first, so a member never sees them overtake each other. Event-loop confined: one instance per
 * loop thread, shared by the rooms deployed on that loop ({@link #ofThisLoop}); an event-loop thread belongs to one
 * Vert.x instance for its life, so the instance dies with the thread.
 */
final class DeliveryBatch {
  static final int MAX_BYTES = 256 * 1024;
  private static final ThreadLocal<DeliveryBatch> OF_LOOP = new ThreadLocal<>();

  private final EventBus bus;
  /** node → its deliveries of this turn in the order they were made; nodes in the order first addressed. */
  private Map<String, Pending> pending = new LinkedHashMap<>(4);
  private boolean queued;

  private static final class Pending {
    final List<EdgeEvent.Deliver> items = new ArrayList<>();
    int bytes;
  }

  DeliveryBatch(EventBus bus) {
    this.bus = bus;
  }

  /** The batch of the calling event loop (a room calls it from its start, on its own loop). */
  static DeliveryBatch ofThisLoop(EventBus bus) {
    DeliveryBatch b = OF_LOOP.get();
    if (b == null || b.bus != bus) {
      b = new DeliveryBatch(bus);
      OF_LOOP.set(b);
    }
    return b;
  }

  /** Sends {@code d} to the edges of {@code node} with this turn's other deliveries. Called on a room's context. */
  void add(String node, EdgeEvent.Deliver d) {
    Pending p = pending.computeIfAbsent(node, n -> new Pending());
    p.items.add(d);
    p.bytes += d.frame().length;
    if (p.bytes >= MAX_BYTES) {
      pending.remove(node);
      send(node, p);
    }
    if (!queued) {
      queued = true;
      // The calling room's context, on this loop: a context task still runs after its verticle was undeployed.
      Vertx.currentContext().runOnContext(v -> flush());
    }
  }

  /** Sends everything held now (and before any other message a room sends to an edge). */
  void flush() {
    queued = false;
    if (pending.isEmpty()) {
      return;
    }
    Map<String, Pending> batch = pending;
    pending = new LinkedHashMap<>(4);
    batch.forEach(this::send);
  }

  private void send(String node, Pending p) {
    Bus.publish(bus, node, new EdgeEvent.Deliveries(p.items));
  }
}
