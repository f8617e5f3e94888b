package io.burnroom.support;

import io.burnroom.cluster.ClusterView;
import java.util.Set;

/** A node's view of its cluster whose quorum and quorum epoch a test sets (no Hazelcast behind it). */
public final class SettableClusterView implements ClusterView {
  private final String node;
  public volatile boolean quorum = true;
  public volatile long epoch = 1;
  /** Whether this node is the elected restorer (it is the only live node, so by default it is). */
  public volatile boolean elected = true;
  /** Runs at every {@link #hasQuorum()} before it answers: a test can change the view between two questions. */
  public volatile Runnable onAsk = () -> { };

  public SettableClusterView(String node) {
    this.node = node;
  }

  @Override
  public String localNode() {
    return node;
  }

  @Override
  public Set<String> liveNodes() {
    return Set.of(node);
  }

  @Override
  public boolean hasQuorum() {
    onAsk.run();
    return quorum;
  }

  @Override
  public long quorumEpoch() {
    return epoch;
  }

  @Override
  public boolean isRestorer() {
    return elected;
  }
}
