package io.burnroom.support;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class FreePortsTest {
  @Test
  @DisplayName("ports are distinct, below the ephemeral range, and bindable")
  void belowEphemeralAndBindable() throws Exception {
    int ephemeral = Integer.parseInt(Files.readAllLines(Path.of("/proc/sys/net/ipv4/ip_local_port_range")).get(0).split("\\s+")[0]);
    List<Integer> ports = FreePorts.take(20);
    assertThat(new HashSet<>(ports)).hasSize(20);
    assertThat(ports).allSatisfy(p -> assertThat(p).isBetween(10_000, ephemeral - 1));
    for (int p : ports) {
      try (ServerSocket s = new ServerSocket()) {
        s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), p));
      }
    }
  }

  @Test
  @DisplayName("a port taken by a listener is skipped, and no port is handed out twice")
  void skipsTakenPorts() throws Exception {
    Set<Integer> seen = new HashSet<>();
    int next = FreePorts.take(1).get(0) + 1;
    try (ServerSocket blocker = new ServerSocket()) {
      blocker.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), next));
      List<Integer> ports = FreePorts.take(3);
      assertThat(ports).doesNotContain(next);
      seen.addAll(ports);
    }
    assertThat(FreePorts.take(3)).doesNotContainAnyElementsOf(seen);
  }
}
