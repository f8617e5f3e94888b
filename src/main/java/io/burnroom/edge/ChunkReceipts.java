package io.burnroom.edge;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Counts, for the node, the edges that have written each attachment chunk delivery (decision 50). A room publishes
 * one delivery to a node and every edge instance of it gets it (each on its own event loop, each writing to its own
 * sockets); the delivery is off the bus and out of the node's queues once the last of them has written it, and only
 * then does the node report it to the room, which then lets the room relay its next chunk to this node. Thread-safe,
 * shared by the node's edges ({@link EdgeShared}).
 */
final class ChunkReceipts {
  /**
   * A bound on deliveries some edge has written and another not yet: more would mean an edge no longer takes
   * deliveries at all (it stopped); the rooms' credit comes back by expiry then, and the counts are dropped.
   */
  static final int MAX_OPEN = 4096;

  /** Edge instances taking deliveries now. */
  private final AtomicInteger edges = new AtomicInteger();
  /** room id and serial → edges that have written it, while some have not. */
  private final Map<String, Integer> open = new ConcurrentHashMap<>();

  /** An edge registered for deliveries. */
  void edgeStarted() {
    edges.incrementAndGet();
  }

  /** An edge stopped taking deliveries. */
  void edgeStopped() {
    edges.decrementAndGet();
  }

  /** One edge wrote delivery {@code serial} of {@code roomId}: true when it was the last, and the node reports it. */
  boolean written(String roomId, long serial) {
    int all = edges.get();
    if (all <= 1) {
      return true;
    }
    String key = roomId + '/' + serial;
    int done = open.merge(key, 1, Integer::sum);
    if (done < all) {
      if (open.size() > MAX_OPEN) {
        open.clear();
      }
      return false;
    }
    open.remove(key);
    return true;
  }

  /** Deliveries some edge has written and another not yet (tests). */
  int openCount() {
    return open.size();
  }
}
