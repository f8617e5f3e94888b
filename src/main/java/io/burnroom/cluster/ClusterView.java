package io.burnroom.cluster;

import com.hazelcast.cluster.Member;
import com.hazelcast.core.HazelcastInstance;
import java.util.Set;
import java.util.TreeSet;

/** Which nodes are alive right now, and which one of them restores orphaned rooms (the lowest id: all agree). */
public interface ClusterView {
  String localNode();

  Set<String> liveNodes();

  /** Exactly one live node answers true, so an orphaned room is restored once. */
  default boolean isRestorer() {
    Set<String> live = liveNodes();
    return !live.isEmpty() && new TreeSet<>(live).first().equals(localNode());
  }

  static ClusterView single(String nodeId) {
    return new ClusterView() {
      @Override
      public String localNode() {
        return nodeId;
      }

      @Override
      public Set<String> liveNodes() {
        return Set.of(nodeId);
      }
    };
  }

  /**
   * Vert.x names a node by its own id, which it stores as a Hazelcast member attribute; the Hazelcast member UUID
   * is a different value. Directory owners are Vert.x node ids, so live nodes must be too.
   */
  String VERTX_NODE_ID_ATTRIBUTE = "__vertx.nodeId";

  static String vertxNodeId(Member m) {
    String id = m.getAttribute(VERTX_NODE_ID_ATTRIBUTE);
    return id != null ? id : m.getUuid().toString();
  }

  static ClusterView hazelcast(HazelcastInstance hz, String nodeId) {
    return new ClusterView() {
      @Override
      public String localNode() {
        return nodeId;
      }

      @Override
      public Set<String> liveNodes() {
        Set<String> out = new TreeSet<>();
        for (Member m : hz.getCluster().getMembers()) {
          out.add(vertxNodeId(m));
        }
        return out;
      }
    };
  }
}
