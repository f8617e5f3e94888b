package io.burnroom.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Configuration")
class AppConfigTest {
  @Test
  @DisplayName("defaults: embedded node, chat 8080 on all interfaces, management 9090 on loopback, TTL 300..86400")
  void defaults() {
    AppConfig c = AppConfig.defaults();
    assertThat(c.cluster()).isFalse();
    assertThat(c.httpPort()).isEqualTo(8080);
    assertThat(c.mgmtHost()).isEqualTo("127.0.0.1");
    assertThat(c.mgmtPort()).isEqualTo(9090);
    assertThat(c.minTtlSeconds()).isEqualTo(300);
    assertThat(c.maxTtlSeconds()).isEqualTo(86_400);
    assertThat(c.allowedOrigins()).isEmpty();
    assertThat(c.nativeTransport()).as("epoll wherever its library is on java.library.path").isTrue();
  }

  @Test
  @DisplayName("environment variables set everything, and --flags override them")
  void envAndFlags() {
    AppConfig c = AppConfig.from(Map.of("BURNROOM_HTTP_PORT", "9000", "BURNROOM_CLUSTER", "true",
            "BURNROOM_CLUSTER_MEMBERS", "10.0.0.1:5701, 10.0.0.2:5701", "BURNROOM_MIN_TTL_SECONDS", "1",
            "BURNROOM_MSGS_PER_SECOND_PER_CONNECTION", "500", "BURNROOM_ALLOWED_ORIGINS", "https://a,https://b"),
        new String[] {"--http-port=9001", "--rooms-per-minute-per-source=7", "--native-transport=false"});
    assertThat(c.httpPort()).isEqualTo(9001);
    assertThat(c.cluster()).isTrue();
    assertThat(c.clusterMembers()).containsExactly("10.0.0.1:5701", "10.0.0.2:5701");
    assertThat(c.minTtlSeconds()).isEqualTo(1);
    assertThat(c.limits().msgsPerSecond()).isEqualTo(500);
    assertThat(c.limits().roomsPerMinute()).isEqualTo(7);
    assertThat(c.allowedOrigins()).containsExactly("https://a", "https://b");
    assertThat(c.nativeTransport()).isFalse();
  }

  @Test
  @DisplayName("attachment limits: 10 MiB files, 8 MiB/s per connection, 64 MiB/s per room, 256 MiB/s per node; none outruns the next")
  void attachmentLimits() {
    ChunkLimits d = AppConfig.defaults().chunkLimits();
    assertThat(d).isEqualTo(new ChunkLimits(10 << 20, 8 << 20, 64 << 20, 256 << 20, 8));
    ChunkLimits set = AppConfig.from(Map.of("BURNROOM_MAX_ATTACHMENT_BYTES", "1048576",
        "BURNROOM_CHUNK_BYTES_PER_SECOND_PER_CONNECTION", "100000", "BURNROOM_ROOM_BYTES_PER_SECOND", "200000",
        "BURNROOM_NODE_BYTES_PER_SECOND", "300000")).chunkLimits();
    assertThat(set).isEqualTo(new ChunkLimits(1 << 20, 100_000, 200_000, 300_000, 8));
    assertThatThrownBy(() -> AppConfig.from(Map.of("BURNROOM_NODE_BYTES_PER_SECOND", "1000000",
        "BURNROOM_ROOM_BYTES_PER_SECOND", "2000000"))).hasMessageContaining("BURNROOM_ROOM_BYTES_PER_SECOND");
    assertThat(AppConfig.from(Map.of("BURNROOM_ROOM_BYTES_PER_SECOND", "1000000")).chunkLimits()
        .connectionBytesPerSecond()).as("the default connection budget shrinks to a smaller room's").isEqualTo(1_000_000);
    assertThatThrownBy(() -> AppConfig.from(Map.of("BURNROOM_ROOM_BYTES_PER_SECOND", "1000000",
        "BURNROOM_CHUNK_BYTES_PER_SECOND_PER_CONNECTION", "2000000")))
        .hasMessageContaining("BURNROOM_CHUNK_BYTES_PER_SECOND_PER_CONNECTION");
    assertThatThrownBy(() -> AppConfig.from(Map.of("BURNROOM_MAX_ATTACHMENT_BYTES", "0")))
        .hasMessageContaining("BURNROOM_MAX_ATTACHMENT_BYTES");
  }

  @Test
  @DisplayName("invalid values fail fast and name the variable")
  void invalid() {
    assertThatThrownBy(() -> AppConfig.from(Map.of("BURNROOM_HTTP_PORT", "eighty")))
        .hasMessageContaining("BURNROOM_HTTP_PORT");
    assertThatThrownBy(() -> AppConfig.from(Map.of("BURNROOM_MIN_TTL_SECONDS", "0")))
        .hasMessageContaining("BURNROOM_MIN_TTL_SECONDS");
    assertThatThrownBy(() -> AppConfig.from(Map.of("BURNROOM_CLUSTER", "maybe")))
        .hasMessageContaining("BURNROOM_CLUSTER");
    assertThatThrownBy(() -> AppConfig.from(Map.of("BURNROOM_NATIVE_TRANSPORT", "epoll")))
        .hasMessageContaining("BURNROOM_NATIVE_TRANSPORT");
    assertThatThrownBy(() -> AppConfig.from(Map.of(), new String[] {"--oops"})).hasMessageContaining("--oops");
  }

  @Test
  @DisplayName("Kubernetes discovery takes the headless Service's DNS name, and refuses a member list or a missing name")
  void kubernetesDiscovery() {
    AppConfig c = AppConfig.from(Map.of("BURNROOM_CLUSTER", "true", "BURNROOM_CLUSTER_DISCOVERY", "Kubernetes",
        "BURNROOM_CLUSTER_SERVICE_DNS", "burnroom-cluster.chat.svc.cluster.local"));
    assertThat(c.clusterDiscovery()).isEqualTo(AppConfig.Discovery.KUBERNETES);
    assertThat(c.clusterServiceDns()).isEqualTo("burnroom-cluster.chat.svc.cluster.local");
    assertThat(AppConfig.defaults().clusterDiscovery()).isEqualTo(AppConfig.Discovery.MEMBERS);

    assertThatThrownBy(() -> AppConfig.from(Map.of("BURNROOM_CLUSTER_DISCOVERY", "kubernetes")))
        .hasMessageContaining("BURNROOM_CLUSTER_SERVICE_DNS");
    assertThatThrownBy(() -> AppConfig.from(Map.of("BURNROOM_CLUSTER_SERVICE_DNS", "burnroom-cluster")))
        .hasMessageContaining("BURNROOM_CLUSTER_DISCOVERY=kubernetes");
    assertThatThrownBy(() -> AppConfig.from(Map.of("BURNROOM_CLUSTER_DISCOVERY", "kubernetes",
        "BURNROOM_CLUSTER_SERVICE_DNS", "burnroom-cluster", "BURNROOM_CLUSTER_MEMBERS", "10.0.0.1:5701")))
        .hasMessageContaining("BURNROOM_CLUSTER_MEMBERS");
    assertThatThrownBy(() -> AppConfig.from(Map.of("BURNROOM_CLUSTER_DISCOVERY", "multicast")))
        .hasMessageContaining("BURNROOM_CLUSTER_DISCOVERY");
  }

  @Test
  @DisplayName("the cluster address may be a host name (a compose service's), resolved once at start to its IP")
  void clusterHostByName() {
    assertThat(AppConfig.from(Map.of("BURNROOM_CLUSTER_HOST", "localhost")).clusterHost()).isEqualTo("127.0.0.1");
    assertThat(AppConfig.from(Map.of("BURNROOM_CLUSTER_HOST", "127.0.0.4")).clusterHost()).isEqualTo("127.0.0.4");
    assertThatThrownBy(() -> AppConfig.from(Map.of("BURNROOM_CLUSTER_HOST", "no-such-host.invalid")))
        .hasMessageContaining("BURNROOM_CLUSTER_HOST");
  }
}
