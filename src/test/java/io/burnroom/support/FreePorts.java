package io.burnroom.support;

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
 * Ports for nodes a test starts as processes, which must be named before the process binds them. They come from
 * below the kernel's ephemeral range: a port bound to 0 and released is an ephemeral port, and any outgoing connection
 * on the machine (Hazelcast members dialing each other, WebSocket clients) may be given it before the node binds it —
 * CI once lost a run to exactly that ("Port [46505] is already in use"). Below the range only a listener can take a
 * port, and each is probed before it is handed out. A random start per JVM keeps parallel suites apart.
 */
public final class FreePorts {
  private static final int FIRST = 10_000;
  private static final int END = ephemeralStart();
  private static final AtomicInteger NEXT = new AtomicInteger(FIRST + ThreadLocalRandom.current().nextInt(END - FIRST));

  private FreePorts() {
  }

  /** {@code n} distinct ports, each free when probed, never handed out twice by this JVM (until the range wraps). */
  public static List<Integer> take(int n) {
    List<Integer> ports = new ArrayList<>(n);
    for (int tries = 0; ports.size() < n; tries++) {
      if (tries > END - FIRST) {
        throw new IllegalStateException("no free port below " + END);
      }
      int port = NEXT.getAndUpdate(p -> p + 1 >= END ? FIRST : p + 1);
      if (free(port)) {
        ports.add(port);
      }
    }
    return List.copyOf(ports);
  }

  private static boolean free(int port) {
    try (ServerSocket s = new ServerSocket()) {
      s.setReuseAddress(false);
      s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  /** The first ephemeral port (Linux: ip_local_port_range); 32768 is the Linux default where it cannot be read. */
  private static int ephemeralStart() {
    // Read line by line: Files.readString of a procfs file returned one byte on this kernel (its size reads as 0).
    try (BufferedReader range = Files.newBufferedReader(Path.of("/proc/sys/net/ipv4/ip_local_port_range"))) {
      int start = Integer.parseInt(range.readLine().trim().split("\\s+")[0]);
      if (start <= FIRST + 1000) {
        throw new IllegalStateException("ephemeral ports start at " + start + ": no room below them for test ports");
      }
      return start;
    } catch (IOException | NumberFormatException e) {
      return 32_768;
    }
  }
}
