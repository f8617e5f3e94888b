package io.burnroom.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * deploy/compose.yaml as podman-compose reads it, and its haproxy configuration as haproxy reads it. The images are
 * not run here: compose's network is a bridge on private addresses, and this machine's tests stay on loopback
 * (ContainerIT runs the same image on the host's network instead).
 */
@DisplayName("Compose: deploy/compose.yaml and its haproxy")
class ComposeIT {
  private static final Path DEPLOY = Paths.get("deploy").toAbsolutePath();

  private record Run(int exit, String output) {
  }

  private static Run run(List<String> cmd) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(cmd).directory(DEPLOY.toFile()).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(120, TimeUnit.SECONDS)).as("%s finished", cmd).isTrue();
    return new Run(p.exitValue(), out);
  }

  @Test
  @DisplayName("podman-compose makes three read-only, unprivileged nodes that find each other by name, and haproxy")
  void podmanComposeReadsIt() throws Exception {
    String project = "burnroom-compose-" + UUID.randomUUID().toString().substring(0, 8);
    Run r;
    try {
      // --dry-run prints the podman commands instead of running them (podman-compose 1.0.3 still creates the
      // project's network, removed below).
      r = run(List.of("podman-compose", "--dry-run", "-p", project, "-f", "compose.yaml", "up", "--no-build"));
    } finally {
      run(List.of("podman", "network", "rm", "--force", project + "_default"));
    }
    assertThat(r.exit()).as(r.output()).isZero();
    List<String> creates = r.output().lines().filter(l -> l.startsWith("podman create")).toList();
    assertThat(creates).hasSize(4);
    for (int i = 1; i <= 3; i++) {
      String name = "node" + i;
      String node = creates.stream().filter(l -> l.contains("--name=" + project + "_" + name + "_1")).findFirst()
          .orElseThrow(() -> new AssertionError("no " + name + " in:\n" + r.output()));
      assertThat(node).contains("--read-only", "--cap-drop ALL", "-u 10001:10001", "no-new-privileges:true",
          "-e BURNROOM_CLUSTER_HOST=" + name, "-e BURNROOM_CLUSTER_MEMBERS=node1:5701,node2:5701,node3:5701",
          "-p 127.0.0.1:909" + i + ":9090", "--stop-signal SIGTERM", "localhost/burnroom:latest")
          .doesNotContain("-p 127.0.0.1:8080", "--tmpfs", "-v ");
    }
    String haproxy = creates.stream().filter(l -> l.contains("_haproxy_1")).findFirst().orElseThrow();
    assertThat(haproxy).contains("--read-only", "-p 127.0.0.1:8080:8080",
        DEPLOY.resolve("compose-haproxy.cfg") + ":/usr/local/etc/haproxy/haproxy.cfg:ro");
  }

  @Test
  @DisplayName("haproxy accepts compose-haproxy.cfg, and it is cluster.sh's configuration but for the node addresses")
  void haproxyConfigMatchesClusterSh() throws Exception {
    Run check = run(List.of("haproxy", "-c", "-f", DEPLOY.resolve("compose-haproxy.cfg").toString()));
    assertThat(check.exit()).as(check.output()).isZero();
    assertThat(check.output()).contains("Configuration file is valid");

    Run generated = run(List.of("bash", DEPLOY.resolve("cluster.sh").toString(), "haproxy-config"));
    assertThat(generated.exit()).as(generated.output()).isZero();
    String compose = Files.readString(DEPLOY.resolve("compose-haproxy.cfg"), StandardCharsets.UTF_8);
    List<String> shared = generated.output().lines().map(String::strip)
        .filter(l -> !l.isEmpty() && !l.startsWith("#") && !l.startsWith("bind ") && !l.startsWith("server "))
        .toList();
    assertThat(compose.lines().map(String::strip).toList()).as("every setting of cluster.sh's haproxy")
        .containsAll(shared);
    assertThat(compose).contains("server node1 node1:8080", "server node2 node2:8080", "server node3 node3:8080")
        .doesNotContainPattern("(?m)^\\s*log\\s");
  }
}
