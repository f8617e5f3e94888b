package io.burnroom.chaos;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Network faults between nodes, inside the network namespace the harness runs in (never the host's): every node has
 * its own loopback address (127.0.0.11, .12, …), and only packets between two node addresses are touched.
 *
 * <ul>
 *   <li>Each node runs under its own group id; a {@code nat POSTROUTING} rule gives the connections it opens from
 *       127.0.0.1 (the Vert.x event bus client does not bind) its own address, so every node-to-node packet carries
 *       both nodes' addresses.</li>
 *   <li>Partitions: {@code raw PREROUTING} drops between the two sides, both directions.</li>
 *   <li>Slow links: this kernel has no {@code tc netem}, so {@code raw PREROUTING} sends the packets to an NFQUEUE
 *       that {@code chaos/slowlink.py} holds 50 ms ± 20 ms (reordering them) and thins by 1 %.</li>
 * </ul>
 */
final class ChaosNet implements AutoCloseable {
  static final int QUEUE = 7;
  private static final String CHAIN = "BURNROOM_CHAOS";

  private final List<String> addresses;
  private final List<Integer> gids;
  private final Path slowlink;
  private final long seed;
  private Process slow;

  ChaosNet(List<String> addresses, List<Integer> gids, Path slowlink, long seed) {
    this.addresses = addresses;
    this.gids = gids;
    this.slowlink = slowlink;
    this.seed = seed;
  }

  /** Loopback up, the fault chain hooked in (empty), source addresses per node, the slow-link holder running. */
  void setUp() {
    run("ip", "link", "set", "lo", "up");
    run("iptables", "-t", "raw", "-N", CHAIN);
    run("iptables", "-t", "raw", "-A", "PREROUTING", "-j", CHAIN);
    for (int i = 0; i < addresses.size(); i++) {
      run("iptables", "-t", "nat", "-A", "POSTROUTING", "-m", "owner", "--gid-owner", String.valueOf(gids.get(i)),
          "-s", "127.0.0.1", "-j", "SNAT", "--to-source", addresses.get(i));
    }
    try {
      slow = new ProcessBuilder("setpriv", "--pdeathsig", "KILL", "python3", slowlink.toString(),
          String.valueOf(QUEUE), "50", "20", "1", String.valueOf(seed)).inheritIO().start();
    } catch (IOException e) {
      throw new IllegalStateException("cannot start " + slowlink, e);
    }
  }

  /** Cuts {@code node} off from every other node (both directions). */
  void partition(int node) {
    for (int j = 0; j < addresses.size(); j++) {
      if (j != node) {
        drop(addresses.get(node), addresses.get(j));
        drop(addresses.get(j), addresses.get(node));
      }
    }
  }

  /** Every link between two nodes gets the slow-link treatment. */
  void slowLinks() {
    for (String a : addresses) {
      for (String b : addresses) {
        if (!a.equals(b)) {
          run("iptables", "-t", "raw", "-A", CHAIN, "-s", a, "-d", b, "-j", "NFQUEUE", "--queue-num",
              String.valueOf(QUEUE), "--queue-bypass");
        }
      }
    }
  }

  /** Removes every partition and slow link. */
  void heal() {
    run("iptables", "-t", "raw", "-F", CHAIN);
  }

  /** The rules in force, for the report. */
  String rules() {
    return run("iptables", "-t", "raw", "-S", CHAIN);
  }

  private void drop(String from, String to) {
    run("iptables", "-t", "raw", "-A", CHAIN, "-s", from, "-d", to, "-j", "DROP");
  }

  @Override
  public void close() {
    try {
      heal();
    } catch (RuntimeException ignored) {
      // the namespace goes with the harness anyway
    }
    if (slow != null) {
      slow.destroy();
    }
  }

  static String run(String... cmd) {
    try {
      Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
        throw new IllegalStateException(String.join(" ", cmd) + " failed: " + out.trim());
      }
      return out;
    } catch (IOException e) {
      throw new IllegalStateException(String.join(" ", cmd) + ": " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  static List<String> list(String... items) {
    return new ArrayList<>(List.of(items));
  }
}
