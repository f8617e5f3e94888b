package io.burnroom.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import io.burnroom.config.AppConfig;
import java.util.Map;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Hazelcast's thread pools shrink to one thread each on a box of at most two cores, and only there; the join follows
 * the chosen discovery.
 */
@DisplayName("Hazelcast configuration")
class ClusterConfigTest {
  @Test
  @DisplayName("two cores or fewer: one partition, generic and response thread; more cores: Hazelcast's own defaults")
  void threadsFollowCores() {
    Config small = ClusterConfig.hazelcast(AppConfig.defaults(), 2);
    for (String p : ClusterConfig.SMALL_BOX_THREADS) {
      assertThat(small.getProperty(p)).as(p).isEqualTo("1");
    }
    // One IO thread pair let a paused peer stall the survivors' heartbeats to each other (decision 58).
    assertThat(small.getProperty("hazelcast.io.thread.count")).as("IO threads keep Hazelcast's default").isNull();
    Config large = ClusterConfig.hazelcast(AppConfig.defaults(), 8);
    for (String p : ClusterConfig.SMALL_BOX_THREADS) {
      assertThat(large.getProperty(p)).as(p).isNull();
    }
  }

  @Test
  @DisplayName("halves of a split cluster look for each other within failure detection, not after Hazelcast's 300 s")
  void mergeSoonAfterSplit() {
    Config c = ClusterConfig.hazelcast(AppConfig.from(java.util.Map.of("BURNROOM_FAILURE_DETECT_SECONDS", "3")), 2);
    // Found by chaos/ (a 5 s SIGSTOP or a 12 s partition): with the defaults both halves kept serving the same rooms
    // for minutes, and members stuck on the far half never got an ack.
    assertThat(c.getProperty("hazelcast.merge.first.run.delay.seconds")).isEqualTo("3");
    assertThat(c.getProperty("hazelcast.merge.next.run.delay.seconds")).isEqualTo("3");
    assertThat(c.getProperty("hazelcast.operation.backup.timeout.millis")).as("past failure detection").isEqualTo("5000");
    // A backup that missed a write during a pause was repaired only by the 30 s anti-entropy; a primary lost before
    // that gave rooms back without an extend or acknowledged frames (found by chaos/, decision 54).
    assertThat(c.getProperty("hazelcast.partition.backup.sync.interval")).isEqualTo("1");
    // A node woken from a pause can be the side the others merge into; Hazelcast's default (put if absent) then kept
    // its stale rooms over the ones restored meanwhile (found by chaos/, decision 48).
    for (String map : List.of(RoomDirectory.MAP, SnapshotStore.MAP, SnapshotStore.FRAMES)) {
      assertThat(c.getMapConfig(map).getMergePolicyConfig().getPolicy()).as(map)
          .isEqualTo(com.hazelcast.spi.merge.LatestUpdateMergePolicy.class.getName());
      assertThat(c.getMapConfig(map).isPerEntryStatsEnabled()).as(map + ": the update time is kept").isTrue();
    }
  }

  @Test
  @DisplayName("71 partitions, and the expiry sweep visits each of them every second (decisions 53, 69)")
  void partitions() {
    Config c = ClusterConfig.hazelcast(AppConfig.from(Map.of()), 2);
    // Each partition a node holds costs it heap once first used (8 KiB for the event bus's multimap alone): with
    // Hazelcast's 271 every node grew by up to 2 MiB over its first few hundred rooms (chaos/'s heap report).
    assertThat(c.getProperty("hazelcast.partition.count")).isEqualTo("71");
    assertThat(c.getProperty("hazelcast.internal.map.expiration.cleanup.operation.count")).isEqualTo("71");
  }

  @Test
  @DisplayName("the member port is an advanced-network member endpoint on the cluster host (decision 61)")
  void memberEndpoint() {
    Config c = ClusterConfig.hazelcast(AppConfig.from(Map.of("BURNROOM_CLUSTER", "true", "BURNROOM_CLUSTER_HOST",
        "127.0.0.12", "BURNROOM_CLUSTER_PORT", "5711", "BURNROOM_CLUSTER_MEMBERS", "127.0.0.11:5711,127.0.0.12:5711")), 2);
    // The classic network's unified encoder spins an output thread on a connection to a silent peer (SilentPeerTest).
    assertThat(c.getAdvancedNetworkConfig().isEnabled()).isTrue();
    com.hazelcast.config.ServerSocketEndpointConfig member = (com.hazelcast.config.ServerSocketEndpointConfig)
        c.getAdvancedNetworkConfig().getEndpointConfigs().get(com.hazelcast.instance.EndpointQualifier.MEMBER);
    assertThat(member.getPort()).isEqualTo(5711);
    assertThat(member.isPortAutoIncrement()).as("a fixed member list names fixed ports").isFalse();
    assertThat(member.getInterfaces().isEnabled()).isTrue();
    assertThat(member.getInterfaces().getInterfaces()).containsExactly("127.0.0.12");
    assertThat(c.getAdvancedNetworkConfig().getJoin().getTcpIpConfig().getMembers())
        .containsExactly("127.0.0.11:5711", "127.0.0.12:5711");
    // Listens on and connects from its own address, not the wildcard (NoDiskIT saw 127.0.0.1 as a source address).
    assertThat(c.getProperty("hazelcast.socket.bind.any")).isEqualTo("false");
    assertThat(c.getProperty("hazelcast.socket.client.bind.any")).isEqualTo("false");
  }

  @Test
  @DisplayName("an operator's -Dhazelcast.* flag wins over the small-box size")
  void systemPropertyWins() {
    String p = "hazelcast.operation.thread.count";
    System.setProperty(p, "3");
    try {
      Config c = ClusterConfig.hazelcast(AppConfig.defaults(), 2);
      // Config.getProperty falls back to the system property when the config sets none
      assertThat(c.getProperty(p)).isEqualTo("3");
      assertThat(c.getProperties()).as("not set in the config itself").doesNotContainKey(p);
    } finally {
      System.clearProperty(p);
    }
  }

  @Test
  @DisplayName("Kubernetes discovery: DNS lookup of the Service name on the cluster port, and no static member list")
  void kubernetesDiscovery() {
    Config c = ClusterConfig.hazelcast(AppConfig.from(Map.of("BURNROOM_CLUSTER", "true", "BURNROOM_CLUSTER_PORT", "5701",
        "BURNROOM_CLUSTER_DISCOVERY", "kubernetes", "BURNROOM_CLUSTER_SERVICE_DNS", "burnroom-cluster.chat.svc")), 2);
    JoinConfig join = c.getAdvancedNetworkConfig().getJoin();
    assertThat(join.getKubernetesConfig().isEnabled()).isTrue();
    assertThat(join.getKubernetesConfig().getProperty("service-dns")).isEqualTo("burnroom-cluster.chat.svc");
    assertThat(join.getKubernetesConfig().getProperty("service-port")).isEqualTo("5701");
    assertThat(join.getTcpIpConfig().isEnabled()).isFalse();
    assertThat(c.getProperty("hazelcast.wait.seconds.before.join")).as("0 would skip the DNS lookup").isEqualTo("5");
    assertThat(join.getMulticastConfig().isEnabled()).isFalse();

    JoinConfig members = ClusterConfig.hazelcast(AppConfig.defaults(), 2).getAdvancedNetworkConfig().getJoin();
    assertThat(members.getKubernetesConfig().isEnabled()).isFalse();
    assertThat(members.getTcpIpConfig().isEnabled()).isTrue();
  }
}
