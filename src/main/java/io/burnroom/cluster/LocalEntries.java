package io.burnroom.cluster;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.LocalMapStats;
import java.util.List;

/**
 * How many entries of the room maps (directory, snapshots, relayed frames, tombstones) this member holds, its backup
 * copies included. A count only, never a key: once every room's time is over it must be 0 on every node (chaos/
 * checks it); a room its creator burned early keeps a tombstone until then.
 */
public final class LocalEntries {
  private static final List<String> MAPS = List.of(RoomDirectory.MAP, SnapshotStore.MAP, SnapshotStore.FRAMES,
      RoomDirectory.BURNED);

  private LocalEntries() {
  }

  public static long count(HazelcastInstance hz) {
    if (!hz.getLifecycleService().isRunning()) {
      return 0;
    }
    long n = 0;
    for (String map : MAPS) {
      LocalMapStats s = hz.getMap(map).getLocalMapStats();
      n += s.getOwnedEntryCount() + s.getBackupEntryCount();
    }
    return n;
  }
}
