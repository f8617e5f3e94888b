package io.burnroom.room;

import io.burnroom.cluster.ClusterView;
import io.burnroom.cluster.RoomDirectory;
import java.util.function.BooleanSupplier;

/**
 * Whether this copy of a room is the one that serves it. The directory names one owner per room; a copy that is not
 * it steps down. Two ways a copy can find itself not the owner:
 * <ul>
 *   <li>a split (a partition, or this node paused past failure detection): the other side restored the room and
 *   served it. After the merge the event bus hands each request to either copy, and the stale one acknowledged
 *   messages the room's members never got (found by chaos/). So a copy serves only in the quorum epoch in which it
 *   last saw the directory name this node ({@link ClusterView#quorumEpoch}): back in the quorum, its first request
 *   is refused (the edge retries in 200 ms) while it asks the directory, and it serves again or steps down
 *   (decision 54);</li>
 *   <li>anything else that moved the room: checked on every tick and when Hazelcast reports a merge; an owner whose
 *   entry is gone or out of date writes it back then.</li>
 * </ul>
 * Used on the room's event loop only.
 */
final class Ownership {
  private final String roomId;
  private final String nodeId;
  private final RoomDirectory directory;
  private final ClusterView cluster;
  /** True once the room burned or stopped serving: nothing left to check. */
  private final BooleanSupplier over;
  private final Runnable stepDown;
  /** The room's current expiry, for an entry this owner writes back. */
  private final java.util.function.LongSupplier expiresAt;
  private long ownedInEpoch;
  private boolean asking;
  /** The next answer that names this node is written back even if it holds the right expiry ({@link #refresh}). */
  private boolean refreshing;

  /** A copy created or restored now owns its room in the current epoch (the caller saw the quorum and won it). */
  Ownership(String roomId, String nodeId, RoomDirectory directory, ClusterView cluster, BooleanSupplier over,
            Runnable stepDown, java.util.function.LongSupplier expiresAt) {
    this.roomId = roomId;
    this.nodeId = nodeId;
    this.directory = directory;
    this.cluster = cluster;
    this.over = over;
    this.stepDown = stepDown;
    this.expiresAt = expiresAt;
    this.ownedInEpoch = cluster.quorumEpoch();
  }

  /**
   * True when this copy may serve and write: the node sees its quorum, and the directory named this node since the
   * node last got the quorum back. Otherwise false, and the question is put to the directory (once at a time).
   */
  boolean serving() {
    if (!cluster.hasQuorum()) {
      return false;
    }
    long epoch = cluster.quorumEpoch();
    if (epoch == ownedInEpoch) {
      return true;
    }
    ask(epoch, true);
    return false;
  }

  /**
   * On every tick of a copy that serves: steps down if the directory names another node; writes the entry back if it
   * is gone or holds an older expiry. Found by chaos/: an extended room's entry vanished at its old expiry after a
   * split healed (a replica that had missed the extend won), and its members were told 4004 while it still served.
   */
  void check() {
    ask(-1, false);
  }

  /**
   * After the cluster settled from a change: writes the entry again if the directory names this node (or has none),
   * though it holds the right expiry. What vanishes an entry is Hazelcast's expiration time, which the tick's check
   * cannot see: after a merge or a promoted replica an entry can hold the extended expiry with the lifetime of an
   * older write (found by chaos/, seed 27: an extended room's entry vanished 2 s after the old expiry, its members were
   * told 4004 six seconds early; decision 72).
   */
  void refresh() {
    refreshing = true;
    ask(-1, false);
  }

  /** Writes this copy's entry back, if it is the owner in this epoch (never a copy that may be stale). */
  private void writeBack() {
    if (cluster.hasQuorum() && cluster.quorumEpoch() == ownedInEpoch) {
      directory.put(new RoomDirectory.Entry(roomId, nodeId, expiresAt.getAsLong()));
    }
  }

  /**
   * @param epoch       the epoch to record as owned if the directory names this node (-1: record nothing)
   * @param strict      an entry that is gone counts as not owned: a copy back from a split does not serve a room
   *                    the directory forgot (burned or expired on the other side)
   */
  private void ask(long epoch, boolean strict) {
    if (asking || over.getAsBoolean()) {
      return;
    }
    asking = true;
    directory.get(roomId).onComplete(ar -> {
      asking = false;
      if (ar.failed() || over.getAsBoolean()) {
        return; // asked again by the next request or tick
      }
      RoomDirectory.Entry entry = ar.result();
      boolean refresh = refreshing && !strict;
      refreshing = refreshing && strict; // a strict answer is not the one refresh() asked for: the next check's is
      if (entry != null && entry.owner().equals(nodeId)) {
        if (epoch >= 0) {
          ownedInEpoch = epoch;
        }
        if (!strict && (refresh || entry.expiresAt() != expiresAt.getAsLong())) {
          writeBack();
        }
      } else if (entry != null || strict) {
        stepDown.run();
      } else {
        writeBack();
      }
    });
  }
}
