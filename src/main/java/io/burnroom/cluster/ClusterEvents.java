package io.burnroom.cluster;

import com.hazelcast.cluster.MembershipEvent;
import com.hazelcast.cluster.MembershipListener;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.core.LifecycleEvent;
import com.hazelcast.core.LifecycleListener;
import io.burnroom.bus.Bus;
import io.burnroom.bus.NodeEvent;
import io.vertx.core.eventbus.EventBus;

/**
 * Hazelcast's view of the cluster, told to this node's verticles: a member that disappears becomes a local
 * {@link NodeEvent.NodeLeft} broadcast (rooms mark its sockets gone, the elected survivor restores its rooms), one that
 * joins becomes {@link NodeEvent.NodeJoined} (a side that regained its quorum restores what it could not before), and
 * a merge after a split becomes {@link NodeEvent.ClusterMerged} (room copies check they still own their room).
 * Hazelcast calls these listeners on its own threads; the event bus hands the news to each verticle's event loop.
 */
public final class ClusterEvents implements MembershipListener, LifecycleListener {
  private final EventBus bus;

  private ClusterEvents(EventBus bus) {
    this.bus = bus;
  }

  /** Registers the listeners on {@code hz}; they publish on {@code bus} for as long as the member runs. */
  public static void install(HazelcastInstance hz, EventBus bus) {
    ClusterEvents events = new ClusterEvents(bus);
    hz.getCluster().addMembershipListener(events);
    hz.getLifecycleService().addLifecycleListener(events);
  }

  @Override
  public void memberAdded(MembershipEvent e) {
    Bus.publish(bus, new NodeEvent.NodeJoined(ClusterView.vertxNodeId(e.getMember())));
  }

  @Override
  public void memberRemoved(MembershipEvent e) {
    Bus.publish(bus, new NodeEvent.NodeLeft(ClusterView.vertxNodeId(e.getMember())));
  }

  @Override
  public void stateChanged(LifecycleEvent e) {
    if (e.getState() == LifecycleEvent.LifecycleState.MERGED) {
      Bus.publish(bus, new NodeEvent.ClusterMerged());
    }
  }
}
