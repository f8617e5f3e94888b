package io.burnroom.cluster;

import com.hazelcast.cluster.Member;
import com.hazelcast.core.HazelcastInstance;
import java.util.Set;
import java.util.TreeSet;

/**
 * Which nodes are alive right now, which one of them restores orphaned rooms (the lowest id: all agree), and whether
 * this node sees enough of the cluster to serve at all (decision 48).
 */
public interface ClusterView {
  String localNode();

  Set<String> liveNodes();

  /**
   * True while this node sees at least the quorum: a strict majority of the cluster's expected size (1 when no size
   * is given, or it is below 3). A node without it is on the losing side of a split: it neither serves rooms nor
   * restores any, so the members move to the side that has it and nothing is said on two copies of a room.
   */
  boolean hasQuorum();

  /**
   * Counts the times this node got its quorum back after it was without (fenced after a pause, cut off by a
   * partition, alone at start), as observed by {@link #hasQuorum}, which the edges ask every 200 ms and every request
   * asks. While it was without, the other side may have restored its rooms and served them; a room copy from an
   * earlier epoch asks the directory whether it still owns its room before it serves or writes again (decision 54).
   * It looks at nothing itself: read it right after {@link #hasQuorum}. Constant where the quorum is never lost.
   */
  default long quorumEpoch() {
    return 0;
  }

  /**
   * True when no partition is migrating and every backup is in sync with its primary (Hazelcast's "cluster safe"):
   * rooms then write again what they wrote while the cluster changed shape (decision 65). Blocking: it asks every
   * member, so it is called on a worker thread. Always true where there are no replicas.
   */
  default boolean settled() {
    return true;
  }

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

      @Override
      public boolean hasQuorum() {
        return true;
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

  /**
   * @param quorum how many members (this one included) the node must see to serve
   * @param fence  keeps a node just back from a pause from serving on a member list that is no longer true
   * @param silenceMs a member not heard from for this long does not count, though Hazelcast still lists it
   */
  static ClusterView hazelcast(HazelcastInstance hz, String nodeId, int quorum, PauseFence fence, long silenceMs) {
    java.util.function.ToLongFunction<Member> lastHeartbeat = quorum <= 1 ? m -> Long.MAX_VALUE : Heartbeats.of(hz);
    QuorumEpochs epochs = new QuorumEpochs();
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

      @Override
      public boolean hasQuorum() {
        return epochs.observe(seesQuorum());
      }

      @Override
      public long quorumEpoch() {
        return epochs.current(); // as of the last hasQuorum check: callers ask that first, so no second look here
      }

      @Override
      public boolean settled() {
        return hz.getPartitionService().isClusterSafe();
      }

      private boolean seesQuorum() {
        // The member set is Hazelcast's current view, kept up to date by its membership protocol: no remote call.
        if (quorum <= 1) {
          return true;
        }
        if (fence.fenced() || !hz.getLifecycleService().isRunning()) {
          return false;
        }
        Set<Member> members = hz.getCluster().getMembers();
        return members.size() >= quorum
            && Heartbeats.heard(members, lastHeartbeat, System.currentTimeMillis(), silenceMs) >= quorum;
      }
    };
  }
}
