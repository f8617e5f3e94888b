package io.burnroom.cluster;

import com.hazelcast.config.Config;
import io.vertx.core.Completable;
import io.vertx.core.spi.cluster.RegistrationInfo;
import io.vertx.core.spi.cluster.RegistrationListener;
import io.vertx.core.spi.cluster.RegistrationUpdateEvent;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Vert.x's Hazelcast cluster manager, with the event-bus routes it hands out kept honest (decision 66).
 *
 * <p>Vert.x caches, per address, the nodes that registered a handler for it, and updates that cache only from
 * Hazelcast's entry events. Three things leave it wrong, all seen or suspected under chaos/: an event missed while
 * this node was paused or cut off (nothing ever corrects the entry: Vert.x 5's selector ignores "registrations lost");
 * a registration of a node that has left but is not yet cleaned out of the shared map; and a merge. A message sent to
 * a live node that no longer has the handler is dropped there without an answer, so a room that moved would look
 * unreachable to this node's edges for as long as the wrong entry lasts. Here:
 * <ul>
 *   <li>only registrations of current members are handed to the selector;</li>
 *   <li>"registrations lost" (Vert.x calls it when a member leaves and after a merge, after removing the gone
 *       nodes' registrations) drops every cached route, so the next message reads the shared map again;</li>
 *   <li>{@link #forget} drops one, for an edge whose request to a room got no answer.</li>
 * </ul>
 */
public final class RoutingClusterManager extends HazelcastClusterManager implements Routes {
  /** Addresses the selector holds a route for: the ones it asked about and got at least one node for. */
  private final Set<String> cached = ConcurrentHashMap.newKeySet();
  private volatile RegistrationListener selector;

  public RoutingClusterManager(Config config) {
    super(config);
  }

  @Override
  public void registrationListener(RegistrationListener listener) {
    this.selector = listener;
    super.registrationListener(new LiveRoutes());
  }

  @Override
  public void getRegistrations(String address, Completable<List<RegistrationInfo>> promise) {
    super.getRegistrations(address, (found, failure) -> {
      if (failure != null) {
        promise.fail(failure);
        return;
      }
      List<RegistrationInfo> live = live(found);
      // The selector keeps a route only when there is a node to go to; remembering the others would let anyone
      // who asks for made-up rooms grow this set.
      if (live.isEmpty()) {
        cached.remove(address);
      } else {
        cached.add(address);
      }
      promise.succeed(live);
    });
  }

  @Override
  public void forget(String address) {
    RegistrationListener s = selector;
    if (s != null) {
      cached.remove(address);
      s.registrationsUpdated(new RegistrationUpdateEvent(address, List.of())); // no nodes: the selector drops it
    }
  }

  /** How many addresses this node holds a route for (tests: made-up addresses must not add any). */
  int cachedRoutes() {
    return cached.size();
  }

  private void forgetAll() {
    for (String address : List.copyOf(cached)) {
      forget(address);
    }
  }

  /** The registrations whose node is a member now; this node's own (local-only included) always are. */
  private List<RegistrationInfo> live(List<RegistrationInfo> registrations) {
    if (registrations == null || registrations.isEmpty()) {
      return List.of();
    }
    Set<String> members = new HashSet<>();
    try {
      members.addAll(getNodes());
    } catch (RuntimeException stopped) {
      return registrations; // Hazelcast is shutting down under us: the node is leaving, nothing to judge by
    }
    members.add(getNodeId());
    List<RegistrationInfo> live = new ArrayList<>(registrations.size());
    for (RegistrationInfo r : registrations) {
      if (members.contains(r.nodeId())) {
        live.add(r);
      }
    }
    return live;
  }

  /** Hazelcast's news about registrations, passed to Vert.x's selector as described above. */
  private final class LiveRoutes implements RegistrationListener {
    @Override
    public void registrationsUpdated(RegistrationUpdateEvent event) {
      List<RegistrationInfo> live = live(event.registrations());
      if (live.isEmpty()) {
        cached.remove(event.address());
      }
      selector.registrationsUpdated(new RegistrationUpdateEvent(event.address(), live));
    }

    @Override
    public void registrationsLost() {
      selector.registrationsLost();
      forgetAll();
    }

    @Override
    public boolean wantsUpdatesFor(String address) {
      boolean wanted = selector.wantsUpdatesFor(address);
      if (!wanted) {
        cached.remove(address);
      }
      return wanted;
    }
  }
}
