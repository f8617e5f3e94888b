package io.burnroom.support;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A real Burnroom node in its own operating-system process, started from {@code target/burnroom.jar} the way an
 * operator would start it. Output is kept in memory only (never a log file), so tests can assert what a node prints.
 *
 * <pre>{@code
 * try (NodeProcess a = NodeProcess.builder().clustered("test-x", 5801, "127.0.0.1:5801,127.0.0.1:5802").start()) {
 *   int chat = a.httpPort();
 *   a.kill9();                       // abrupt death, for failover tests
 * }
 * }</pre>
 *
 * The jar and the JVM flags come from the failsafe system properties {@code burnroom.jar} and
 * {@code burnroom.jvmFlags} (see pom.xml), so a test sees exactly the flags the build documents. A command prefix
 * (for example {@code strace -f -o ...}) may wrap the JVM; {@link #pid()} and the signals then still address the JVM
 * itself, not the wrapper.
 */
public final class NodeProcess implements AutoCloseable {
  /** {@code Burnroom ready: chat http://host:PORT management http://host:PORT mode=M node=ID} (see app.Main). */
  public static final Pattern READY = Pattern.compile(
      "Burnroom ready: chat http://\\S+?:(\\d+) management http://\\S+?:(\\d+) mode=(\\S+) node=(\\S+)");

  private final String name;
  private final Process process;
  private final ProcessHandle jvm;
  private final Output stdout;
  private final Output stderr;
  private final int httpPort;
  private final int mgmtPort;
  private final String mode;
  private final String nodeId;

  private NodeProcess(String name, Process process, ProcessHandle jvm, Output stdout, Output stderr, Matcher ready) {
    this.name = name;
    this.process = process;
    this.jvm = jvm;
    this.stdout = stdout;
    this.stderr = stderr;
    this.httpPort = Integer.parseInt(ready.group(1));
    this.mgmtPort = Integer.parseInt(ready.group(2));
    this.mode = ready.group(3);
    this.nodeId = ready.group(4);
  }

  public static Builder builder() {
    return new Builder();
  }

  /** An embedded node on free ports with the test-friendly settings of {@link TestNodes#baseEnv()}. */
  public static NodeProcess startEmbedded() {
    return builder().start();
  }

  // ---- what a test asks ----

  public String name() { return name; }
  public int httpPort() { return httpPort; }
  public int mgmtPort() { return mgmtPort; }
  /** {@code embedded} or {@code clustered}, as the node reported it. */
  public String mode() { return mode; }
  /** The node's cluster id (Hazelcast member uuid when clustered), as printed on its ready line. */
  public String nodeId() { return nodeId; }
  /** The JVM's pid (not a wrapper's). */
  public long pid() { return jvm.pid(); }
  public ProcessHandle handle() { return jvm; }
  public boolean isAlive() { return jvm.isAlive() || process.isAlive(); }

  /** Everything the node printed on stdout so far. */
  public String stdout() { return stdout.text(); }
  /** Everything the node printed on stderr so far. */
  public String stderr() { return stderr.text(); }
  /** stdout followed by stderr. */
  public String output() { return stdout() + stderr(); }

  /** {@code kill -9}: no shutdown hook, no handover. Returns once the process (and any wrapper) is gone. */
  public void kill9() {
    jvm.destroyForcibly();
    process.destroyForcibly();
    waitForExit(Duration.ofSeconds(30));
  }

  /** SIGSTOP: the JVM freezes with its sockets open (a stalled VM, a long GC); its peers see silence, not a close. */
  public void pause() {
    signal("STOP");
  }

  /** SIGCONT after {@link #pause}. */
  public void resume() {
    signal("CONT");
  }

  private void signal(String name) {
    try {
      Process kill = new ProcessBuilder("kill", "-" + name, String.valueOf(pid())).redirectErrorStream(true).start();
      String out = new String(kill.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
      if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
        throw new IllegalStateException("kill -" + name + " " + pid() + " failed: " + out);
      }
    } catch (IOException e) {
      throw new IllegalStateException("kill -" + name + ": " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** Sends SIGTERM only; the node hands its rooms over and leaves the cluster. Pair with {@link #waitForExit}. */
  public void sigterm() {
    jvm.destroy();
  }

  /** SIGTERM, then waits for a graceful exit; {@code kill -9} if it takes longer than {@code timeout}. */
  public int stop(Duration timeout) {
    sigterm();
    try {
      return waitForExit(timeout);
    } catch (IllegalStateException e) {
      kill9();
      throw e;
    }
  }

  /** Waits until the JVM (and any wrapper around it) has exited and its output is fully read; returns the exit code. */
  public int waitForExit(Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    try {
      jvm.onExit().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
      long left = Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime()));
      if (!process.waitFor(left, TimeUnit.MILLISECONDS)) {
        throw new IllegalStateException(name + " did not exit within " + timeout);
      }
      stdout.drained().get(5, TimeUnit.SECONDS);
      stderr.drained().get(5, TimeUnit.SECONDS);
      return process.exitValue();
    } catch (TimeoutException e) {
      throw new IllegalStateException(name + " did not exit within " + timeout, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    } catch (Exception e) {
      throw new IllegalStateException(name + ": " + e, e);
    }
  }

  /** Graceful stop if still running (SIGTERM, 30 s), else nothing. Never leaves a process behind. */
  @Override
  public void close() {
    if (isAlive()) {
      try {
        stop(Duration.ofSeconds(30));
      } catch (RuntimeException e) {
        kill9();
      }
    }
  }

  @Override
  public String toString() {
    return name + "[pid " + pid() + ", chat " + httpPort + ", mgmt " + mgmtPort + ", " + mode + "]";
  }

  // ---- starting ----

  /** How to start a node: environment, JVM flags, working directory, optional wrapper command. */
  public static final class Builder {
    private final Map<String, String> env = new LinkedHashMap<>(TestNodes.baseEnv());
    private final List<String> jvmArgs = new ArrayList<>();
    private final List<String> prefix = new ArrayList<>();
    private Path jar = defaultJar();
    private List<String> jvmFlags = defaultJvmFlags();
    private Path workingDir;
    private boolean inheritEnvironment = true;
    private Duration readyTimeout = Duration.ofSeconds(90);
    private String name = "node";

    private Builder() {
    }

    /** Adds or overrides one {@code BURNROOM_*} (or any) environment variable. */
    public Builder env(String key, String value) {
      env.put(key, value);
      return this;
    }

    public Builder env(Map<String, String> values) {
      env.putAll(values);
      return this;
    }

    /** Removes a variable (for example one of {@link TestNodes#baseEnv()}'s test settings). */
    public Builder unsetEnv(String key) {
      env.remove(key);
      return this;
    }

    /**
     * Joins (or forms) a memory-only cluster: fixed Hazelcast port on 127.0.0.1, static member list, random-free
     * chat and management ports, failure detection in 3 s.
     */
    public Builder clustered(String clusterName, int clusterPort, String members) {
      env.put("BURNROOM_CLUSTER", "true");
      env.put("BURNROOM_CLUSTER_NAME", clusterName);
      env.put("BURNROOM_CLUSTER_HOST", "127.0.0.1");
      env.put("BURNROOM_CLUSTER_PORT", String.valueOf(clusterPort));
      env.put("BURNROOM_CLUSTER_MEMBERS", members);
      env.putIfAbsent("BURNROOM_FAILURE_DETECT_SECONDS", "3");
      return this;
    }

    /** Start from an empty environment (plus PATH) instead of the test JVM's. */
    public Builder cleanEnvironment() {
      this.inheritEnvironment = false;
      return this;
    }

    /** Extra JVM arguments after the build's flags (e.g. {@code -Djava.io.tmpdir=...}). */
    public Builder jvmArg(String... args) {
      jvmArgs.addAll(Arrays.asList(args));
      return this;
    }

    /** Replaces the build's JVM flags (default: system property {@code burnroom.jvmFlags}). */
    public Builder jvmFlags(List<String> flags) {
      this.jvmFlags = List.copyOf(flags);
      return this;
    }

    public Builder jar(Path jar) {
      this.jar = jar;
      return this;
    }

    public Builder workingDir(Path dir) {
      this.workingDir = dir;
      return this;
    }

    /** A command that wraps the JVM, e.g. {@code strace -f -o /dev/shm/x/trace}. */
    public Builder wrapWith(String... command) {
      prefix.addAll(Arrays.asList(command));
      return this;
    }

    public Builder readyTimeout(Duration timeout) {
      this.readyTimeout = timeout;
      return this;
    }

    /** A label for messages (e.g. "node-2"). */
    public Builder name(String name) {
      this.name = name;
      return this;
    }

    /** The full command line this builder would run. */
    public List<String> command() {
      List<String> cmd = new ArrayList<>(prefix);
      cmd.add(Paths.get(System.getProperty("java.home"), "bin", "java").toString());
      cmd.addAll(jvmFlags);
      cmd.addAll(jvmArgs);
      cmd.add("-jar");
      cmd.add(jar.toAbsolutePath().toString());
      return cmd;
    }

    /** Starts the process and blocks until it prints its ready line; fails (and kills it) if it never does. */
    public NodeProcess start() {
      if (!Files.isRegularFile(jar)) {
        throw new IllegalStateException(jar + " is missing: run `mvn -B package -DskipTests` (failsafe sets burnroom.jar)");
      }
      ProcessBuilder pb = new ProcessBuilder(command());
      if (!inheritEnvironment) {
        String path = pb.environment().get("PATH");
        pb.environment().clear();
        if (path != null) {
          pb.environment().put("PATH", path);
        }
      }
      pb.environment().putAll(env);
      if (workingDir != null) {
        pb.directory(workingDir.toFile());
      }
      Process p;
      try {
        p = pb.start();
      } catch (IOException e) {
        throw new UncheckedIOException("cannot start " + pb.command(), e);
      }
      try {
        p.getOutputStream().close();
      } catch (IOException ignored) {
        // a node reads no input
      }
      Output out = new Output(p.getInputStream(), name + "-stdout");
      Output err = new Output(p.getErrorStream(), name + "-stderr");
      Matcher ready;
      try {
        ready = out.awaitLine(READY, readyTimeout, p);
      } catch (RuntimeException e) {
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly();
        throw new IllegalStateException(name + " never became ready: " + e.getMessage()
            + "\n--- stdout ---\n" + out.text() + "\n--- stderr ---\n" + err.text(), e);
      }
      ProcessHandle jvm = prefix.isEmpty() ? p.toHandle() : findJvm(p);
      return new NodeProcess(name, p, jvm, out, err, ready);
    }

    /**
     * With a wrapper, the JVM is a descendant, or the process itself when the wrapper execs it (setpriv); once it
     * printed its ready line it certainly exists.
     */
    private static ProcessHandle findJvm(Process wrapper) {
      if (wrapper.info().command().map(c -> c.endsWith("/java")).orElse(false)) {
        return wrapper.toHandle();
      }
      return wrapper.descendants()
          .filter(h -> h.info().command().map(c -> c.endsWith("/java")).orElse(false))
          .findFirst()
          .orElseThrow(() -> new IllegalStateException("no java process under " + wrapper.pid()));
    }
  }

  /** Path of the runnable jar: failsafe's {@code burnroom.jar}, else {@code target/burnroom.jar}. */
  public static Path defaultJar() {
    return Paths.get(Optional.ofNullable(System.getProperty("burnroom.jar")).orElse("target/burnroom.jar"))
        .toAbsolutePath();
  }

  /** The build's JVM flags for a node: failsafe's {@code burnroom.jvmFlags}, else the Hazelcast + no-disk + native set. */
  public static List<String> defaultJvmFlags() {
    String flags = System.getProperty("burnroom.jvmFlags",
        "--add-modules java.se --add-exports java.base/jdk.internal.ref=ALL-UNNAMED"
            + " --add-opens java.base/java.lang=ALL-UNNAMED --add-opens java.base/sun.nio.ch=ALL-UNNAMED"
            + " --add-opens java.management/sun.management=ALL-UNNAMED"
            + " --add-opens jdk.management/com.sun.management.internal=ALL-UNNAMED"
            + " -XX:-UsePerfData -Dvertx.disableFileCPResolving=true -Dvertx.disableFileCaching=true"
            + " -Dhazelcast.logging.type=jdk -XX:+DisableAttachMechanism -XX:+ErrorFileToStderr"
            + " -XX:-CreateCoredumpOnCrash -Djava.library.path=" + Paths.get("target/native").toAbsolutePath());
    return Arrays.stream(flags.trim().split("\\s+")).filter(s -> !s.isEmpty()).toList();
  }

  /** Reads one stream into memory on its own thread; never touches disk. Also used by {@link ContainerNode}. */
  static final class Output {
    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    private final CompletableFuture<Void> drained = new CompletableFuture<>();
    private final Object lock = new Object();

    Output(InputStream in, String threadName) {
      Thread t = new Thread(() -> pump(in), threadName);
      t.setDaemon(true);
      t.start();
    }

    private void pump(InputStream in) {
      byte[] buf = new byte[8192];
      try (in) {
        int n;
        while ((n = in.read(buf)) >= 0) {
          synchronized (lock) {
            bytes.write(buf, 0, n);
            lock.notifyAll();
          }
        }
      } catch (IOException ignored) {
        // the process went away
      } finally {
        synchronized (lock) {
          lock.notifyAll();
        }
        drained.complete(null);
      }
    }

    String text() {
      synchronized (lock) {
        return bytes.toString(StandardCharsets.UTF_8);
      }
    }

    CompletableFuture<Void> drained() {
      return drained;
    }

    Matcher awaitLine(Pattern p, Duration timeout, Process process) {
      long deadline = System.nanoTime() + timeout.toNanos();
      synchronized (lock) {
        while (true) {
          Matcher m = p.matcher(bytes.toString(StandardCharsets.UTF_8));
          if (m.find()) {
            return m;
          }
          if (drained.isDone() || !process.isAlive()) {
            throw new IllegalStateException("process exited before its ready line");
          }
          long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
          if (left <= 0) {
            throw new IllegalStateException("no ready line within " + timeout);
          }
          try {
            lock.wait(Math.min(left, 200));
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
          }
        }
      }
    }
  }
}
