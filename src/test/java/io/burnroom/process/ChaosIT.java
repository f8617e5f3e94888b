package io.burnroom.process;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.burnroom.chaos.ChaosMain;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Two minutes of chaos/ with a fixed seed: three node processes behind haproxy in a network namespace of their own,
 * six rooms of resuming clients, and every kind of fault: SIGTERM, slow lossy links, a partition, kill -9 and a pause
 * (see {@link #KINDS}); the checker's verdict must be PASS. Skipped only where a tool or network namespaces are missing (.ci/run installs the tools and runs as root). The namespace dies with the harness, so no
 * address, rule or queue outlives the run; the host's own rules are checked before and after.
 */
@DisplayName("Chaos: two minutes of faults, nothing lost")
class ChaosIT {
  private static final long SEED = 1;
  /**
   * Every kind, in this order (the seed shuffles the list it is given, so the order is part of the schedule; decisions
   * 57 and 59). {@code -Dburnroom.chaos.splits=false} leaves the splits (PAUSE, PARTITION) out.
   */
  private static final List<String> KINDS = "false".equals(System.getProperty("burnroom.chaos.splits"))
      ? List.of("KILL9", "SIGTERM", "SLOW") : List.of("PAUSE", "PARTITION", "SIGTERM", "SLOW", "KILL9");

  @Test
  @Timeout(value = 8, unit = TimeUnit.MINUTES)
  @DisplayName("a seeded 2-minute fault schedule keeps every message exactly once, bursts on time and leaves nothing")
  void twoMinutesOfChaos() throws Exception {
    for (String tool : List.of("unshare", "iptables", "python3", "haproxy", "setpriv")) {
      assumeTrue(run("sh", "-c", "command -v " + tool) != null, tool + " is not installed (see .ci/run)");
    }
    assumeTrue(run("unshare", "--net", "true") != null, "no network namespace allowed here (needs root)");
    String hostRulesBefore = run("iptables", "-t", "raw", "-S");

    List<String> out = new ArrayList<>();
    int exit;
    try {
      exit = ChaosMain.launch(new String[] {"--minutes=2", "--seed=" + SEED, "--faults=" + String.join(",", KINDS)}, line -> {
        out.add(line);
        System.out.println(line);
      });
    } finally {
      assertThat(run("iptables", "-t", "raw", "-S")).as("the host's rules are untouched").isEqualTo(hostRulesBefore);
    }
    String text = String.join("\n", out);
    for (String kind : KINDS) {
      assertThat(text).as("the schedule ran a %s", kind).containsPattern("fault " + kind + " .* over after");
    }
    assertThat(text).as("every node's heap held to its baseline").contains("heap=3");
    assertThat(text).contains("VERDICT: PASS");
    assertThat(exit).isZero();
  }

  /** stdout of a command that succeeded, or null. */
  private static String run(String... cmd) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0 ? out : null;
  }
}
