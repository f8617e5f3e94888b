package io.burnroom.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import com.hazelcast.cluster.Address;
import com.hazelcast.cluster.Member;
import com.hazelcast.cluster.impl.MemberImpl;
import com.hazelcast.version.MemberVersion;
import io.burnroom.app.BurnroomNode;
import io.burnroom.support.TestNodes;
import java.util.List;
import java.util.Map;
import java.util.function.ToLongFunction;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * A member counts toward the quorum only while its heartbeats arrive: Hazelcast removes the far side of a partition one
 * member at a time, so a node cut off from both others still lists one of them for a moment (found by chaos/).
 */
@DisplayName("Quorum counts only the members whose heartbeats arrive")
class HeartbeatsTest {
  @Test
  @DisplayName("a listed member silent for longer than the limit is not counted; this node always is")
  void silentMembersDoNotCount() throws Exception {
    Member self = new MemberImpl(new Address("127.0.0.1", 5701), MemberVersion.of("5.3.8"), true);
    Member heard = new MemberImpl(new Address("127.0.0.1", 5702), MemberVersion.of("5.3.8"), false);
    Member silent = new MemberImpl(new Address("127.0.0.1", 5703), MemberVersion.of("5.3.8"), false);
    long now = 100_000;
    Map<Member, Long> last = Map.of(heard, now - 900, silent, now - 4_500);
    ToLongFunction<Member> lastHeartbeat = m -> last.getOrDefault(m, 0L);
    assertThat(Heartbeats.heard(List.of(self, heard, silent), lastHeartbeat, now, 4_000)).isEqualTo(2);
    assertThat(Heartbeats.heard(List.of(self, silent), lastHeartbeat, now, 4_000)).as("one of three: no quorum").isEqualTo(1);
    assertThat(Heartbeats.heard(List.of(self, heard, silent), lastHeartbeat, now, 5_000)).isEqualTo(3);
  }

  @Test
  @DisplayName("on a live cluster every other member was heard within the last seconds")
  void readsHazelcastsFailureDetector() throws Exception {
    try (TestNodes nodes = new TestNodes()) {
      BurnroomNode a = nodes.clustered();
      nodes.clustered();
      nodes.clustered();
      long deadline = System.currentTimeMillis() + 20_000;
      ToLongFunction<Member> lastHeartbeat = Heartbeats.of(a.hazelcast());
      while (Heartbeats.heard(a.hazelcast().getCluster().getMembers(), lastHeartbeat, System.currentTimeMillis(), 2_500) < 3) {
        assertThat(System.currentTimeMillis()).as("heartbeats of all three").isLessThan(deadline);
        Thread.sleep(100);
      }
    }
  }
}
