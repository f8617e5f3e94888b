package io.burnroom.room;

import java.util.OptionalLong;

/**
 * When a room host's rooms write what they know again after the cluster changed shape (decision 65). A cluster map's
 * replica can lose writes made while members leave, join and merge: chaos/ found restored rooms whose snapshot had
 * missed an extend (seed 25's r63, traced) or every join (r13), written while a paused node was away and read after
 * it had merged back and another node was cut off. Hazelcast says nothing about it; a write made once the cluster has
 * settled lands on the replicas it then has. So after the last of a burst of cluster events, once nothing has happened
 * for {@link #QUIET_MS} and Hazelcast reports every backup in sync, each room writes its snapshot and the frames it
 * relayed since {@link #LOOKBACK_MS} before the burst began (its writes in the burst, and those a departed node's
 * backup still held before anyone noticed it was gone). Pure rules; used on the host's event loop.
 */
final class ChurnWatch {
  /** How long the cluster must have been quiet before the host asks whether it settled. */
  static final long QUIET_MS = 2_000;
  /** How far before the burst's first event the rewritten frames go: longer than failure detection plus backups' wait. */
  static final long LOOKBACK_MS = 15_000;

  private long firstEvent = -1;
  private long lastEvent;

  /** A member left, joined or merged at {@code now}. */
  void event(long now) {
    if (firstEvent < 0) {
      firstEvent = now;
    }
    lastEvent = now;
  }

  /** True when a burst is waiting and the cluster has been quiet long enough to ask whether it settled. */
  boolean due(long now) {
    return firstEvent >= 0 && now - lastEvent >= QUIET_MS;
  }

  /**
   * The cluster was found settled by a check begun at {@code checkedAt}: the time the rooms write again from, and the
   * burst is over. Empty when another event came after the check began (the burst goes on; asked again later).
   */
  OptionalLong settled(long checkedAt) {
    if (firstEvent < 0 || lastEvent > checkedAt) {
      return OptionalLong.empty();
    }
    long since = firstEvent - LOOKBACK_MS;
    firstEvent = -1;
    return OptionalLong.of(since);
  }
}
