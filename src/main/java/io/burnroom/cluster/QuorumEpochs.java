package io.burnroom.cluster;

/**
 * Numbers the stretches of time in which this node has its quorum: each time a check finds the quorum after one that
 * did not, a new epoch starts. A room copy remembers the epoch in which it last knew it owned its room; in a later
 * epoch the cluster may have moved the room while this node was paused or cut off (decision 54). Safe to call from
 * any thread: the edges' watch, the rooms and the host all ask.
 */
final class QuorumEpochs {
  private volatile boolean had;
  private volatile long epoch;

  /** Records one check's result and returns it. Every request asks: the common case (no change) takes no lock. */
  boolean observe(boolean hasQuorum) {
    if (hasQuorum != had) {
      synchronized (this) {
        if (hasQuorum && !had) {
          epoch++;
        }
        had = hasQuorum;
      }
    }
    return hasQuorum;
  }

  long current() {
    return epoch;
  }
}
