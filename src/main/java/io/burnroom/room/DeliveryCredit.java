package io.burnroom.room;

import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Credit from the edges back to a room for its attachment chunks (decision 50). Every chunk the room relays is one
 * delivery to each node holding recipients; the delivery is in flight until that node's edges have all taken it off
 * the bus and written it to their sockets, which they report ({@code RoomNotice.ChunkTaken}). A room may have at most
 * {@code perNode} chunk deliveries in flight to one node, and all rooms of this node together at most
 * {@link Share#max} to one node; past either, the chunk waits in the room (and so does its sender's ack, which
 * follows the relay). So what waits to cross the bus or waits on an edge's event loop is bounded however fast the
 * rooms relay, and a node whose edges do not drain holds only the transfers that go to it.
 *
 * <p>A report that never comes (the node died, an edge stopped) must not wedge the room: a delivery in flight longer
 * than {@code expiryMs} gives its credit back, and a node that left gives back all of its credit at once.
 *
 * <p>Pure and confined to the room's loop, except the {@link Share}, which is thread-safe; the caller passes the time.
 */
final class DeliveryCredit {
  /** What stopped a chunk. */
  enum Block { NONE, ROOM, NODE }

  /** The chunk deliveries the rooms of this node have in flight to each node, all together; thread-safe. */
  static final class Share {
    final int max;
    private final Map<String, AtomicInteger> inFlight = new ConcurrentHashMap<>();
    private final AtomicInteger total = new AtomicInteger();

    Share(int max) {
      this.max = max;
    }

    boolean tryTake(String node) {
      AtomicInteger n = inFlight.computeIfAbsent(node, k -> new AtomicInteger());
      while (true) {
        int now = n.get();
        if (now >= max) {
          return false;
        }
        if (n.compareAndSet(now, now + 1)) {
          total.incrementAndGet();
          return true;
        }
      }
    }

    void give(String node) {
      AtomicInteger n = inFlight.get(node);
      if (n != null && n.getAndUpdate(v -> Math.max(0, v - 1)) > 0) {
        total.decrementAndGet();
      }
    }

    /** Deliveries in flight to every node together (the gauge). */
    int total() {
      return total.get();
    }

    int inFlight(String node) {
      AtomicInteger n = inFlight.get(node);
      return n == null ? 0 : n.get();
    }
  }

  private static final class Pending {
    final Set<String> nodes;
    final long sentAt;

    Pending(Set<String> nodes, long sentAt) {
      this.nodes = nodes;
      this.sentAt = sentAt;
    }
  }

  private final int perNode;
  private final Share share;
  private final long expiryMs;
  /** serial → the nodes that have not taken it yet; in the order sent. */
  private final LinkedHashMap<Long, Pending> pending = new LinkedHashMap<>();
  private final Map<String, Integer> inFlight = new HashMap<>(4);
  private long next = 1;
  private Block lastBlock = Block.NONE;
  private int expired;

  DeliveryCredit(int perNode, Share share, long expiryMs) {
    if (perNode < 1 || share.max < 1 || expiryMs < 1) {
      throw new IllegalArgumentException("credit must be positive");
    }
    this.perNode = perNode;
    this.share = share;
    this.expiryMs = expiryMs;
  }

  /**
   * Takes one delivery's credit toward each of {@code nodes}: answers the serial its deliveries carry (the edges
   * report it back), or -1 when a node has no credit left, room's or node's ({@link #lastBlock}); then nothing is
   * taken.
   */
  long take(Collection<String> nodes, long now) {
    expire(now);
    for (String node : nodes) {
      if (inFlight.getOrDefault(node, 0) >= perNode) {
        lastBlock = Block.ROOM;
        return -1;
      }
    }
    Set<String> taken = new HashSet<>(nodes.size() * 2);
    for (String node : nodes) {
      if (!share.tryTake(node)) {
        taken.forEach(share::give);
        lastBlock = Block.NODE;
        return -1;
      }
      taken.add(node);
    }
    lastBlock = Block.NONE;
    long serial = next++;
    if (!taken.isEmpty()) {
      taken.forEach(node -> inFlight.merge(node, 1, Integer::sum));
      pending.put(serial, new Pending(taken, now));
    }
    return serial;
  }

  /** Why the last {@link #take} answered -1. */
  Block lastBlock() {
    return lastBlock;
  }

  /** A chunk that took credit was refused after all (a byte budget): its credit comes back. */
  void cancel(long serial) {
    Pending p = pending.remove(serial);
    if (p != null) {
      p.nodes.forEach(this::giveBack);
    }
  }

  /** {@code node}'s edges took delivery {@code serial}: answers true when that freed credit. */
  boolean taken(String node, long serial) {
    Pending p = pending.get(serial);
    if (p == null || !p.nodes.remove(node)) {
      return false; // expired already, or a report from a node it was not sent to
    }
    if (p.nodes.isEmpty()) {
      pending.remove(serial);
    }
    giveBack(node);
    return true;
  }

  /** {@code node} left the cluster: nothing in flight to it will be reported. Answers true when that freed credit. */
  boolean nodeGone(String node) {
    boolean freed = false;
    for (Iterator<Pending> it = pending.values().iterator(); it.hasNext(); ) {
      Pending p = it.next();
      if (p.nodes.remove(node)) {
        giveBack(node);
        freed = true;
        if (p.nodes.isEmpty()) {
          it.remove();
        }
      }
    }
    return freed;
  }

  /** Gives back what was in flight longer than the expiry (a report lost with its node or edge). */
  boolean expire(long now) {
    boolean freed = false;
    for (Iterator<Pending> it = pending.values().iterator(); it.hasNext(); ) {
      Pending p = it.next();
      if (now - p.sentAt < expiryMs) {
        break; // in the order sent: the rest are younger
      }
      p.nodes.forEach(this::giveBack);
      it.remove();
      expired++;
      freed = true;
    }
    return freed;
  }

  /** The room stops: everything it had in flight goes back to the node's share. */
  void releaseAll() {
    pending.values().forEach(p -> p.nodes.forEach(this::giveBack));
    pending.clear();
  }

  /** Deliveries of this room in flight to {@code node}. */
  int inFlight(String node) {
    return inFlight.getOrDefault(node, 0);
  }

  /** Deliveries whose credit came back by expiry instead of a report (for the meters). */
  int takeExpired() {
    int n = expired;
    expired = 0;
    return n;
  }

  /** True while anything is in flight (the room then expects reports or an expiry). */
  boolean anyInFlight() {
    return !pending.isEmpty();
  }

  private void giveBack(String node) {
    inFlight.computeIfPresent(node, (k, v) -> v <= 1 ? null : v - 1);
    share.give(node);
  }
}
