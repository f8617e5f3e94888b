package io.burnroom.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;

/**
 * A real Burnroom node in a podman container, run attached (its output is piped into memory, never into a log file)
 * with a read-only root file system and nothing writable at all: no tmpfs, no volume, no /dev/shm. Networking is the
 * host's, so the node listens on the loopback ports it is given, as a {@link NodeProcess} does.
 */
public final class ContainerNode implements AutoCloseable {
  private final Podman podman;
  private final String name;
  private final Process process;
  private final NodeProcess.Output stdout;
  private final NodeProcess.Output stderr;
  private final int httpPort;
  private final int mgmtPort;
  private volatile boolean down;

  private ContainerNode(Podman podman, String name, Process process, NodeProcess.Output stdout,
                        NodeProcess.Output stderr, Matcher ready) {
    this.podman = podman;
    this.name = name;
    this.process = process;
    this.stdout = stdout;
    this.stderr = stderr;
    this.httpPort = Integer.parseInt(ready.group(1));
    this.mgmtPort = Integer.parseInt(ready.group(2));
  }

  /**
   * Starts {@code image} as container {@code name} and waits for its ready line. The health check is left to the
   * test ({@code podman healthcheck run}): podman would schedule it through systemd, which a CI box may not run.
   */
  public static ContainerNode start(Podman podman, String name, String image, Map<String, String> env) {
    List<String> args = new ArrayList<>(List.of("run", "--name", name, "--read-only", "--read-only-tmpfs=false",
        "--ipc=none", "--network=host", "--log-driver=none", "--health-interval=disable"));
    env.forEach((k, v) -> args.add("--env=" + k + "=" + v));
    args.add(image);
    Process p = podman.start(args);
    NodeProcess.Output out = new NodeProcess.Output(p.getInputStream(), name + "-stdout");
    NodeProcess.Output err = new NodeProcess.Output(p.getErrorStream(), name + "-stderr");
    try {
      Matcher ready = out.awaitLine(NodeProcess.READY, Duration.ofSeconds(120), p);
      return new ContainerNode(podman, name, p, out, err, ready);
    } catch (RuntimeException e) {
      podman.run("rm", "--force", name);
      throw new IllegalStateException(name + " never became ready: " + e.getMessage()
          + "\n--- stdout ---\n" + out.text() + "\n--- stderr ---\n" + err.text(), e);
    }
  }

  public String name() { return name; }
  public int httpPort() { return httpPort; }
  public int mgmtPort() { return mgmtPort; }
  /** False once the test killed or stopped it. */
  public boolean up() { return !down; }
  /** Everything the node printed, stdout then stderr (podman's own notes included). */
  public String output() { return stdout.text() + stderr.text(); }

  /** {@code podman kill --signal KILL}: no shutdown hook, no handover. */
  public void kill9() {
    down = true;
    podman.run("kill", "--signal", "KILL", name);
    awaitExit();
  }

  /** {@code podman stop}: the image's STOPSIGNAL (SIGTERM) to PID 1, the JVM; returns the container's exit code. */
  public int stop() {
    down = true;
    podman.run("stop", "--time", "60", name);
    return awaitExit();
  }

  private int awaitExit() {
    try {
      if (!process.waitFor(90, TimeUnit.SECONDS)) {
        throw new IllegalStateException(name + ": podman run did not return");
      }
      stdout.drained().get(5, TimeUnit.SECONDS);
      stderr.drained().get(5, TimeUnit.SECONDS);
      return process.exitValue();
    } catch (Exception e) {
      throw new IllegalStateException(name + ": " + e, e);
    }
  }

  /** {@code podman healthcheck run}: true when the image's HEALTHCHECK says healthy. */
  public boolean healthy() {
    return podman.run("healthcheck", "run", name).exit() == 0;
  }

  /** {@code podman diff}: what the container changed in its own file system (empty when it wrote nothing). */
  public List<String> diff() {
    return podman.diff(name);
  }

  /** Removes the container, running or not. */
  @Override
  public void close() {
    down = true;
    podman.run("rm", "--force", "--time", "0", name);
    process.destroyForcibly();
  }

  /**
   * The podman command with the settings this test machine needs (Debian's podman with runc on a cgroup v1 host).
   * A user's machine needs none of them, so they live here and not in the image or the docs.
   */
  public record Podman(List<String> base, Map<String, String> env) {
    /** The global options and environment for a box like this one: runc, cgroupfs, no default ulimits. */
    public static Podman forThisMachine(Path containersConf) {
      try {
        java.nio.file.Files.createDirectories(containersConf.getParent());
        // crun fails here ("cgroups in hybrid mode not supported"), and runc may not raise rlimits in this sandbox.
        java.nio.file.Files.writeString(containersConf, "[containers]\ndefault_ulimits = []\n");
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      return new Podman(List.of("podman", "--runtime=runc", "--cgroup-manager=cgroupfs"),
          Map.of("CONTAINERS_CONF", containersConf.toString()));
    }

    /** The command line as one string, for scripts that take it in a variable (deploy/jre-base-image.sh's PODMAN). */
    public String commandLine() {
      return String.join(" ", base);
    }

    public Process start(List<String> args) {
      List<String> cmd = new ArrayList<>(base);
      cmd.addAll(args);
      ProcessBuilder pb = new ProcessBuilder(cmd);
      pb.environment().putAll(env);
      try {
        Process p = pb.start();
        p.getOutputStream().close();
        return p;
      } catch (IOException e) {
        throw new UncheckedIOException("cannot start " + cmd, e);
      }
    }

    /** {@code podman diff}: the paths a container added (A), changed (C) or deleted (D) in its own layer. */
    public List<String> diff(String container) {
      Result r = run("diff", container);
      if (r.exit() != 0) {
        throw new IllegalStateException("podman diff " + container + ": " + r.output());
      }
      return r.output().lines().filter(l -> l.matches("[ACD] /.*")).toList();
    }

    public Result run(String... args) {
      return exec(List.of(args), Duration.ofMinutes(5));
    }

    /** Runs one podman command to completion; stdout and stderr together, in memory. */
    public Result exec(List<String> args, Duration timeout) {
      List<String> cmd = new ArrayList<>(base);
      cmd.addAll(args);
      ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
      pb.environment().putAll(env);
      try {
        Process p = pb.start();
        p.getOutputStream().close();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
          p.destroyForcibly();
          throw new IllegalStateException(cmd + " did not finish within " + timeout);
        }
        return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
      } catch (IOException e) {
        throw new UncheckedIOException("cannot run " + cmd, e);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
    }

    public record Result(int exit, String output) {
    }
  }
}
