package io.burnroom.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.burnroom.config.AppConfig;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Client address behind (or without) trusted proxies")
class ClientAddressTest {
  private final ClientAddress none = new ClientAddress(List.of());
  private final ClientAddress proxied = new ClientAddress(List.of("10.0.0.0/8", "192.168.1.5", "fd00::/8"));

  @Test
  @DisplayName("without trusted proxies the TCP peer is the source and X-Forwarded-For is ignored")
  void noProxies() {
    assertThat(none.of("203.0.113.9", List.of("1.2.3.4"))).isEqualTo("203.0.113.9");
    assertThat(none.of("0:0:0:0:0:0:0:1", List.of())).isEqualTo("0:0:0:0:0:0:0:1");
  }

  @Test
  @DisplayName("a peer that is not a trusted proxy cannot pick its own source with X-Forwarded-For")
  void untrustedPeerSpoofs() {
    assertThat(proxied.of("203.0.113.9", List.of("10.1.1.1", "198.51.100.7"))).isEqualTo("203.0.113.9");
  }

  @Test
  @DisplayName("behind a trusted proxy the rightmost entry that is not a trusted proxy wins, never the leftmost")
  void rightmostUntrusted() {
    // The client wrote "6.6.6.6" itself; our proxy appended the address it saw (198.51.100.7).
    assertThat(proxied.of("10.0.0.2", List.of("6.6.6.6, 198.51.100.7"))).isEqualTo("198.51.100.7");
    // Two trusted hops (an LB then a sidecar) are skipped.
    assertThat(proxied.of("10.0.0.2", List.of("6.6.6.6, 198.51.100.7, 192.168.1.5"))).isEqualTo("198.51.100.7");
    // Several headers count as one list in order.
    assertThat(proxied.of("10.0.0.2", List.of("6.6.6.6", "198.51.100.8"))).isEqualTo("198.51.100.8");
    // Ports and brackets are stripped; IPv6 is canonical.
    assertThat(proxied.of("10.0.0.2", List.of("198.51.100.9:4711"))).isEqualTo("198.51.100.9");
    assertThat(proxied.of("fd00::1", List.of("[2001:db8::0001]:443"))).isEqualTo("2001:db8:0:0:0:0:0:1");
  }

  @Test
  @DisplayName("garbage or an empty chain falls back to the last hop that could be trusted, never to client text")
  void garbage() {
    assertThat(proxied.of("10.0.0.2", List.of())).isEqualTo("10.0.0.2");
    assertThat(proxied.of("10.0.0.2", List.of("evil.example.com"))).isEqualTo("10.0.0.2");
    assertThat(proxied.of("10.0.0.2", List.of("not an ip, 192.168.1.5"))).isEqualTo("192.168.1.5");
    assertThat(proxied.of("10.0.0.2", List.of("999.1.1.1"))).isEqualTo("10.0.0.2");
    // Only trusted hops: the leftmost of them is as far as anyone can vouch.
    assertThat(proxied.of("10.0.0.2", List.of("10.9.9.9, 192.168.1.5"))).isEqualTo("10.9.9.9");
  }

  @Test
  @DisplayName("BURNROOM_TRUSTED_PROXIES accepts addresses and CIDR blocks and rejects anything else at start-up")
  void config() {
    AppConfig c = AppConfig.from(Map.of("BURNROOM_TRUSTED_PROXIES", "127.0.0.1, 10.0.0.0/8,::1"));
    assertThat(c.trustedProxies()).containsExactly("127.0.0.1", "10.0.0.0/8", "::1");
    assertThat(AppConfig.defaults().trustedProxies()).isEmpty();
    assertThatThrownBy(() -> AppConfig.from(Map.of("BURNROOM_TRUSTED_PROXIES", "proxy.local")))
        .hasMessageContaining("BURNROOM_TRUSTED_PROXIES");
    assertThatThrownBy(() -> AppConfig.from(Map.of("BURNROOM_TRUSTED_PROXIES", "10.0.0.0/33")))
        .hasMessageContaining("BURNROOM_TRUSTED_PROXIES");
  }
}
