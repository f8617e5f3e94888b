package io.burnroom.edge;

import io.burnroom.wire.ServerFrames;
import java.util.ArrayList;
import io.burnroom.bus.EdgeEvent;
import io.burnroom.metrics.BurnroomMetrics;
import io.burnroom.wire.CloseCodes;
import io.vertx.core.eventbus.Message;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * One edge instance's sockets: every session it accepted, the joined ones by member id, and the dispatch of what rooms
 * send them on {@code burnroom.edge.<node>} (deliveries, closes, drops). A member id is random and unique across
 * rooms, so it finds the socket; a socket is written only what its own room sent. Event-loop confined, except
 * {@link #count}.
 */
final class LocalSockets {
  private final Set<SocketSession> sessions = new HashSet<>();
  /** Joined sockets by member id. */
  private final Map<String, SocketSession> members = new HashMap<>();
  /** Sockets of every edge instance of this node, for the node-wide cap. */
  private final AtomicInteger nodeSockets;
  private final BurnroomMetrics metrics;
  /** Told of every attachment chunk delivery once it is written here (decision 50). */
  private final Consumer<EdgeEvent.Deliver> chunkWritten;

  LocalSockets(AtomicInteger nodeSockets, BurnroomMetrics metrics, Consumer<EdgeEvent.Deliver> chunkWritten) {
    this.nodeSockets = nodeSockets;
    this.metrics = metrics;
    this.chunkWritten = chunkWritten;
  }

  LocalSockets(AtomicInteger nodeSockets, BurnroomMetrics metrics) {
    this(nodeSockets, metrics, d -> { });
  }

  /** Sockets this instance holds (read from any thread, for diagnostics and tests). */
  int count() {
    return sessions.size();
  }

  /** Sockets the whole node holds, all edge instances together. */
  int nodeCount() {
    return nodeSockets.get();
  }

  void add(SocketSession s) {
    sessions.add(s);
    nodeSockets.incrementAndGet();
  }

  /** {@code s} joined: it gets its member's deliveries; a socket the member had here before is closed as replaced. */
  void seated(SocketSession s) {
    SocketSession previous = members.put(s.memberId(), s);
    if (previous != null && previous != s) {
      previous.close(CloseCodes.NORMAL, "replaced", false);
      members.put(s.memberId(), s);
    } else {
      metrics.memberConnected();
    }
  }

  /** {@code s} ended (idempotent). */
  void forget(SocketSession s) {
    if (sessions.remove(s)) {
      nodeSockets.decrementAndGet();
    }
    if (s.memberId() != null && members.get(s.memberId()) == s) {
      members.remove(s.memberId());
      metrics.memberDisconnected();
    }
  }

  /**
   * Burns, as its room would, every joined socket whose room's expiry (as the room last told this edge) lies
   * {@code graceMs} or more behind {@code now}: the room's own burn did not come, because its node is paused or cut
   * off, or its restore elsewhere is still under way (failure detection plus Hazelcast's partition recovery, longer
   * than P2 allows). The clients burn on their own clocks at that moment anyway; this ends their sockets on time too
   * (decision 56). Returns how many it burned.
   */
  int burnOverdue(long now, long graceMs) {
    List<SocketSession> due = new ArrayList<>();
    for (SocketSession s : members.values()) {
      if (s.expiresAt() > 0 && now - s.expiresAt() >= graceMs && s.isJoined()) {
        due.add(s);
      }
    }
    for (SocketSession s : due) {
      s.write(BURNED);
      s.close(CloseCodes.BURNED, "", false);
    }
    return due.size();
  }

  private static final String BURNED = ServerFrames.burnedByEdge().encode();

  /** Closes every socket (graceful shutdown: 1012 tells clients to reconnect elsewhere). */
  void closeAll(int code, String reason) {
    for (SocketSession s : List.copyOf(sessions)) {
      s.close(code, reason, false);
    }
  }

  void onDelivery(Message<Object> msg) {
    dispatch(msg.body());
  }

  /** Writes what a room sent this node to the sockets it names. */
  void dispatch(Object body) {
    if (body instanceof EdgeEvent.Deliveries ds) {
      for (EdgeEvent.Deliver d : ds.items()) {
        // Framed once for all recipients on this edge.
        Frames.encoded(d.frame(), frame -> forEachMember(d.to(), d.roomId(), s -> {
          s.expiresAt(d.expiresAt());
          if (s.takeSeq(d.seq())) {
            s.write(frame);
          }
        }));
        if (d.credit() != 0) {
          chunkWritten.accept(d);
        }
      }
      return;
    }
    if (body instanceof EdgeEvent.Close c) {
      forEachMember(c.to(), c.roomId(), s -> {
        if (c.frame() != null) {
          s.write(c.frame());
        }
        s.close(c.code(), "", false);
      });
    } else if (body instanceof EdgeEvent.Drop d) {
      SocketSession s = members.get(d.memberId());
      if (s != null && s.roomId().equals(d.roomId()) && s.connId().equals(d.connId())) {
        s.close(CloseCodes.NORMAL, "replaced", false);
      }
    }
  }

  private void forEachMember(List<?> ids, String roomId, Consumer<SocketSession> action) {
    for (int i = 0; i < ids.size(); i++) {
      SocketSession s = members.get((String) ids.get(i));
      if (s != null && s.roomId().equals(roomId)) {
        action.accept(s);
      }
    }
  }
}
