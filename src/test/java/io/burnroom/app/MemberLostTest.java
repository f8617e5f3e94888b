package io.burnroom.app;

import static org.assertj.core.api.Assertions.assertThat;

import io.burnroom.support.TestNodes;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Seen once under chaos/: right after a merge, Hazelcast shut a node's member down under a process that lived on,
 * never ready again, and the cluster was two nodes for the rest of the run. The node now tells its caller (Main
 * exits 70, its supervisor starts it again); a node that closes itself does not count.
 */
@DisplayName("a node whose cluster member Hazelcast stopped says so once; a node that closes does not")
class MemberLostTest {
  @Test
  void memberStoppedUnderTheNode() throws Exception {
    try (TestNodes nodes = new TestNodes()) {
      BurnroomNode a = nodes.clustered();
      BurnroomNode b = nodes.clustered();
      AtomicInteger lostA = new AtomicInteger();
      AtomicInteger lostB = new AtomicInteger();
      a.onClusterMemberLost(lostA::incrementAndGet);
      b.onClusterMemberLost(lostB::incrementAndGet);
      nodes.stop(b);
      assertThat(lostB).as("a graceful close is no loss").hasValue(0);
      a.hazelcast().getLifecycleService().shutdown();
      long deadline = System.currentTimeMillis() + 10_000;
      while (lostA.get() == 0 && System.currentTimeMillis() < deadline) {
        Thread.sleep(20);
      }
      assertThat(lostA).as("told once").hasValue(1);
    }
  }
}
