package io.burnroom.cluster;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.instance.EndpointQualifier;
import com.hazelcast.instance.impl.HazelcastInstanceImpl;
import com.hazelcast.instance.impl.HazelcastInstanceProxy;
import com.hazelcast.internal.server.ServerConnection;
import com.hazelcast.internal.server.ServerConnectionManager;
import com.hazelcast.internal.server.tcp.TcpServerConnection;
import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.function.Predicate;
import java.util.function.ToLongFunction;

/**
 * Closes member connections that neither side uses any more (decision 69).
 *
 * <p>Hazelcast makes each member connection that completes its handshake the one it uses for that member, replacing
 * (not closing) the one before. Two members that connect to each other at the same moment, which is what both sides
 * of a healed partition do, each end up with a connection they no longer use, open at both ends, and nothing ever
 * closes it: each holds a socket and two 128 KiB heap buffers. Found by chaos/'s heap report: after a two-minute run
 * one node held five connections to its two peers (0.75 MiB more than it needed), more after every split.
 *
 * <p>The rule: a connection is closed when it is not this node's connection to its member and no byte went either way
 * for {@link #idleMs} (10 s by default). Every member sends a heartbeat each second over the connection it uses, so a
 * connection the other side still uses is never idle here; one still in its handshake (no member yet) is left alone.
 * Reads Hazelcast's connection manager (an internal API, like {@link Heartbeats}: an upgrade that moves it fails the
 * node's start and {@code SpareLinksTest}, not silently).
 */
public final class SpareLinks {
  /**
   * Silence after which an unused connection is closed: ten missed heartbeats, and at least twice failure detection,
   * so a peer merely paused for less than that finds the connection it used still open when it wakes.
   */
  static final long IDLE_MS = 10_000;
  public static final long SWEEP_MS = 5_000;

  /** The idle time for a node whose failure detection is {@code detectMs}. */
  public static long idleMs(long detectMs) {
    return Math.max(IDLE_MS, 2 * detectMs);
  }

  private SpareLinks() {
  }

  /** Sweeps {@code hz}'s member connections every {@code sweepMs} on {@code vertx}'s timers while it runs. */
  public static void start(Vertx vertx, HazelcastInstance hz, long sweepMs, long idleMs) {
    HazelcastInstanceImpl impl = hz instanceof HazelcastInstanceProxy p ? p.getOriginal() : (HazelcastInstanceImpl) hz;
    ServerConnectionManager members = impl.node.getServer().getConnectionManager(EndpointQualifier.MEMBER);
    vertx.setPeriodic(sweepMs, id -> sweep(members, idleMs, System.currentTimeMillis()));
  }

  /** Closes {@code members}' spare connections; returns how many. */
  static int sweep(ServerConnectionManager members, long idleMs, long now) {
    List<ServerConnection> spare = spare(members.getConnections(), c -> inUse(members, c),
        c -> Math.max(c.lastReadTimeMillis(), c.lastWriteTimeMillis()), now, idleMs);
    spare.forEach(c -> c.close("unused by both members for " + idleMs + " ms (a replaced connection)", null));
    return spare.size();
  }

  /**
   * The connections to close: alive, past their handshake (a member on the other end), not in use by this node, and
   * silent both ways for at least {@code idleMs}.
   */
  static <C extends ServerConnection> List<C> spare(Collection<C> connections, Predicate<C> inUse,
      ToLongFunction<C> lastActivity, long now, long idleMs) {
    List<C> out = new ArrayList<>();
    for (C c : connections) {
      if (c.isAlive() && c.getRemoteUuid() != null && !inUse.test(c) && now - lastActivity.applyAsLong(c) >= idleMs) {
        out.add(c);
      }
    }
    return out;
  }

  /** True when {@code c} is the connection this node sends to its member over. */
  private static boolean inUse(ServerConnectionManager members, ServerConnection c) {
    int plane = c instanceof TcpServerConnection t ? Math.max(0, t.getPlaneIndex()) : 0;
    return c.getRemoteAddress() == null || members.get(c.getRemoteAddress(), plane) == c;
  }
}
