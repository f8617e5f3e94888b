package io.burnroom.cluster;

import com.hazelcast.cluster.Member;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.instance.impl.HazelcastInstanceImpl;
import com.hazelcast.instance.impl.HazelcastInstanceProxy;
import com.hazelcast.internal.cluster.impl.ClusterHeartbeatManager;
import java.util.Collection;
import java.util.function.ToLongFunction;

/**
 * When this node last heard each cluster member's heartbeat. Hazelcast's member list lags behind a partition: the
 * members on the far side are removed one at a time, each after failure detection, so a node cut off from both others
 * still lists one of them for a moment, counts two of three and would serve (chaos/, seed 1 in ChaosIT: a node cut off
 * by a partition relayed and acknowledged a message the other side never saw). A member counts toward the quorum only
 * while its heartbeats arrive (decision 48). Reads Hazelcast's own failure detector (an internal class: a Hazelcast
 * upgrade that moves it fails the node's start and {@code QuorumTest}, not silently).
 */
public final class Heartbeats {
  private Heartbeats() {
  }

  /** The last heartbeat time (epoch millis, 0 if none yet) of each member, as this member's failure detector saw it. */
  public static ToLongFunction<Member> of(HazelcastInstance hz) {
    HazelcastInstanceImpl impl = hz instanceof HazelcastInstanceProxy p ? p.getOriginal() : (HazelcastInstanceImpl) hz;
    ClusterHeartbeatManager manager = impl.node.getClusterService().getClusterHeartbeatManager();
    return manager::getLastHeartbeatTime;
  }

  /** How many of {@code members} this node heard within {@code silenceMs} before {@code now}, itself included. */
  static int heard(Collection<Member> members, ToLongFunction<Member> lastHeartbeat, long now, long silenceMs) {
    int n = 0;
    for (Member m : members) {
      if (m.localMember() || now - lastHeartbeat.applyAsLong(m) <= silenceMs) {
        n++;
      }
    }
    return n;
  }
}
