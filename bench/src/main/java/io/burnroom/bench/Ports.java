package io.burnroom.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Ports for servers the bench names before they bind them (cluster members list each other). Taken from below the
 * kernel's ephemeral range, each probed first: a port found by binding port 0 is an ephemeral port, which any outgoing
 * connection on the machine may be given before the server binds it (the project's tests lost a CI run to that; their
 * {@code FreePorts} follows the same rule — the bench has no compile-time dependency on the project).
 */
final class Ports {
  private static final int FIRST = 10_000;
  private static final int END = ephemeralStart();
  private static final AtomicInteger NEXT = new AtomicInteger(FIRST + ThreadLocalRandom.current().nextInt(END - FIRST));

  private Ports() {
  }

  static List<Integer> free(int n) {
    List<Integer> ports = new ArrayList<>(n);
    for (int tries = 0; ports.size() < n; tries++) {
      if (tries > END - FIRST) {
        throw new IllegalStateException("no free port below " + END);
      }
      int port = NEXT.getAndUpdate(p -> p + 1 >= END ? FIRST : p + 1);
      try (ServerSocket s = new ServerSocket()) {
        s.setReuseAddress(false);
        s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1);
        ports.add(port);
      } catch (IOException taken) {
        // in use: the next one
      }
    }
    return List.copyOf(ports);
  }

  /** Linux's ip_local_port_range (read by line: procfs files report size 0); 32768 where it cannot be read. */
  private static int ephemeralStart() {
    try (BufferedReader r = Files.newBufferedReader(Path.of("/proc/sys/net/ipv4/ip_local_port_range"))) {
      int start = Integer.parseInt(r.readLine().trim().split("\\s+")[0]);
      return start > FIRST + 1000 ? start : 32_768;
    } catch (IOException | RuntimeException e) {
      return 32_768;
    }
  }
}
