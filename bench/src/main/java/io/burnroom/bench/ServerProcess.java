package io.burnroom.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A server under test in its own process (a Burnroom node from {@code target/burnroom.jar}, or the {@link BareRelay}),
 * so its CPU, RSS and heap are measured apart from the generator's. Output stays in memory; nothing is written to disk.
 */
final class ServerProcess implements AutoCloseable {
  private static final Pattern BURNROOM_READY = Pattern.compile(
      "Burnroom ready: chat http://\\S+?:(\\d+) management http://\\S+?:(\\d+) mode=(\\S+) node=(\\S+) transport=(\\S+)");
  private static final Pattern RELAY_READY = Pattern.compile("Relay ready: port (\\d+) transport=(\\S+)");
  private static final Pattern HEAP_USED = Pattern.compile("heap\\s+total \\d+K, used (\\d+)K");

  /**
   * The project's Hazelcast + no-disk JVM flags (pom.xml), minus {@code -XX:+DisableAttachMechanism}: the bench needs
   * {@code jcmd GC.run} / {@code GC.heap_info} to read the heap after a full GC. Same fixed heap for every server.
   */
  static final List<String> BURNROOM_JVM_FLAGS = List.of(
      "--add-modules", "java.se", "--add-exports", "java.base/jdk.internal.ref=ALL-UNNAMED",
      "--add-opens", "java.base/java.lang=ALL-UNNAMED", "--add-opens", "java.base/sun.nio.ch=ALL-UNNAMED",
      "--add-opens", "java.management/sun.management=ALL-UNNAMED",
      "--add-opens", "jdk.management/com.sun.management.internal=ALL-UNNAMED",
      "-XX:-UsePerfData", "-Dvertx.disableFileCPResolving=true", "-Dvertx.disableFileCaching=true",
      "-Dhazelcast.logging.type=jdk", "-XX:+ErrorFileToStderr", "-XX:-CreateCoredumpOnCrash");
  /**
   * Netty's epoll transport for every process of the run (servers, relay, generator), as the README runs a node;
   * {@code BENCH_TRANSPORT=nio} runs them all on the JDK's NIO instead. A process that does not get the transport
   * asked for stops the bench rather than measure the wrong thing.
   */
  static final String TRANSPORT = "nio".equalsIgnoreCase(System.getenv().getOrDefault("BENCH_TRANSPORT", "epoll"))
      ? "nio" : "epoll";
  static final List<String> HEAP_FLAGS = List.of("-Xms1g", "-Xmx1g");
  /**
   * Extra JVM flags for every server, relay included, from {@code BENCH_SERVER_JVM_FLAGS} (space separated): for
   * trying a GC or heap setting on both sides of a comparison.
   */
  static final List<String> EXTRA_FLAGS = List.of(
      System.getenv().getOrDefault("BENCH_SERVER_JVM_FLAGS", "").trim().split("\\s+")).stream()
      .filter(f -> !f.isEmpty()).toList();

  /** Servers still running, so Ctrl-C on the bench never leaves a node behind. */
  private static final java.util.Set<Process> LIVE = java.util.concurrent.ConcurrentHashMap.newKeySet();

  static {
    Runtime.getRuntime().addShutdownHook(new Thread(() -> LIVE.forEach(Process::destroyForcibly), "bench-cleanup"));
  }

  private final String name;
  private final Process process;
  /** Everything the process printed so far (the pump thread keeps appending; read under its lock). */
  private final StringBuilder output;
  private final int port;
  private final int mgmtPort;
  private final String nodeId;

  private final String transport;

  private ServerProcess(String name, Process process, StringBuilder output, int port, int mgmtPort, String nodeId,
                        String transport) {
    this.transport = transport;
    this.output = output;
    this.name = name;
    this.process = process;
    this.port = port;
    this.mgmtPort = mgmtPort;
    this.nodeId = nodeId;
  }

  /** "epoll" or "nio", as the process reported it in its ready line. */
  String transport() {
    return transport;
  }

  /** Settings every bench node gets: loopback, free ports, 1 s minimum TTL, limits far above the load. */
  static Map<String, String> benchEnv() {
    // every per-source budget raised: the whole fleet comes from 127.0.0.1 (variables a node does not know are ignored)
    return new java.util.HashMap<>(Map.ofEntries(
        Map.entry("BURNROOM_HTTP_HOST", "127.0.0.1"),
        Map.entry("BURNROOM_HTTP_PORT", "0"),
        Map.entry("BURNROOM_MGMT_PORT", "0"),
        Map.entry("BURNROOM_MIN_TTL_SECONDS", "1"),
        Map.entry("BURNROOM_ROOMS_PER_MINUTE_PER_SOURCE", "1000000"),
        Map.entry("BURNROOM_MSGS_PER_SECOND_PER_CONNECTION", "1000000"),
        Map.entry("BURNROOM_MAX_ROOMS_PER_NODE", "100000"),
        Map.entry("BURNROOM_MAX_SOCKETS_PER_NODE", "100000"),
        Map.entry("BURNROOM_CONNECTS_PER_MINUTE_PER_SOURCE", "1000000"),
        Map.entry("BURNROOM_ADMIN_ATTEMPTS_PER_MINUTE_PER_SOURCE", "1000000")));
  }

  static ServerProcess burnroom(String name, Path jar, Map<String, String> env) {
    return burnroom(name, jar, env, List.of(), TRANSPORT);
  }

  /**
   * {@code moreFlags}: JVM flags for this server only (the B side of {@code --compare}); {@code transport}: "epoll"
   * or "nio".
   */
  static ServerProcess burnroom(String name, Path jar, Map<String, String> env, List<String> moreFlags,
                                String transport) {
    List<String> cmd = new ArrayList<>();
    cmd.add(javaBin());
    cmd.addAll(BURNROOM_JVM_FLAGS);
    cmd.addAll(HEAP_FLAGS);
    Map<String, String> environment = new java.util.HashMap<>(env);
    if (transport.equals("epoll")) {
      // the library beside the jar, read in place (pom.xml native.jvm.flags); before moreFlags so B can override it
      cmd.add("-Djava.library.path=" + jar.toAbsolutePath().getParent().resolve("native"));
    } else {
      environment.put("BURNROOM_NATIVE_TRANSPORT", "false");
    }
    cmd.addAll(EXTRA_FLAGS);
    cmd.addAll(moreFlags);
    cmd.add("-jar");
    cmd.add(jar.toAbsolutePath().toString());
    return start(name, cmd, environment, BURNROOM_READY, moreFlags.isEmpty() ? transport : null);
  }

  /**
   * A node started the plain way ({@code java -jar burnroom.jar}, no flag at all: the JVM's default heap and GC, no
   * Hazelcast {@code --add-opens}), as an outside tester following the README's env might start it (issue 31,
   * {@code --plain-nodes}). {@code transport}: "nio" sets {@code BURNROOM_NATIVE_TRANSPORT=false}.
   */
  static ServerProcess plainBurnroom(String name, Path jar, Map<String, String> env, String transport) {
    List<String> cmd = new ArrayList<>(List.of(javaBin()));
    Map<String, String> environment = new java.util.HashMap<>(env);
    if (transport.equals("epoll")) {
      cmd.add("-Djava.library.path=" + jar.toAbsolutePath().getParent().resolve("native"));
    } else {
      environment.put("BURNROOM_NATIVE_TRANSPORT", "false");
    }
    cmd.add("-jar");
    cmd.add(jar.toAbsolutePath().toString());
    return start(name, cmd, environment, BURNROOM_READY, transport);
  }

  static ServerProcess relay(String name) {
    List<String> cmd = new ArrayList<>();
    cmd.add(javaBin());
    cmd.addAll(HEAP_FLAGS);
    cmd.addAll(EXTRA_FLAGS);
    cmd.add("-XX:-UsePerfData");
    cmd.add("-Djava.library.path=" + System.getProperty("java.library.path", ""));
    cmd.add("-Dbench.transport=" + TRANSPORT);
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(BareRelay.class.getName());
    cmd.add("0");
    return start(name, cmd, Map.of(), RELAY_READY, TRANSPORT);
  }

  /** {@code expected}: fail unless the process reports this transport (null: a B side with its own flags). */
  private static ServerProcess start(String name, List<String> cmd, Map<String, String> env, Pattern ready,
                                     String expected) {
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    pb.environment().putAll(env);
    Process p;
    try {
      p = pb.start();
      LIVE.add(p);
      p.getOutputStream().close();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start " + cmd, e);
    }
    StringBuilder out = new StringBuilder();
    CompletableFuture<Matcher> readyLine = new CompletableFuture<>();
    Thread pump = new Thread(() -> {
      try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
        String line;
        while ((line = r.readLine()) != null) {
          synchronized (out) {
            out.append(line).append('\n');
          }
          Matcher m = ready.matcher(line);
          if (m.find()) {
            readyLine.complete(m);
          }
        }
      } catch (IOException ignored) {
        // the process went away
      }
      readyLine.completeExceptionally(new IllegalStateException("exited before its ready line"));
    }, name + "-output");
    pump.setDaemon(true);
    pump.start();
    try {
      Matcher m = readyLine.get(120, TimeUnit.SECONDS);
      boolean burnroom = m.groupCount() >= 4;
      String transport = m.group(m.groupCount());
      if (expected != null && !transport.equals(expected)) {
        throw new IllegalStateException(name + " runs on " + transport + ", the bench asked for " + expected
            + " (BENCH_TRANSPORT; epoll needs target/native from `mvn package`)");
      }
      ServerProcess sp = new ServerProcess(name, p, out, Integer.parseInt(m.group(1)),
          burnroom ? Integer.parseInt(m.group(2)) : -1, burnroom ? m.group(4) : "relay", transport);
      return sp;
    } catch (Exception e) {
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly();
      String text;
      synchronized (out) {
        text = out.toString();
      }
      throw new IllegalStateException(name + " never became ready: " + e + "\n" + text, e);
    }
  }

  private static String javaBin() {
    return Paths.get(System.getProperty("java.home"), "bin", "java").toString();
  }

  String name() { return name; }
  int port() { return port; }
  int mgmtPort() { return mgmtPort; }
  String nodeId() { return nodeId; }
  long pid() { return process.pid(); }

  /** CPU time (user + system, all threads) the process has used so far. */
  long cpuNanos() {
    return process.toHandle().info().totalCpuDuration().map(Duration::toNanos).orElse(0L);
  }

  /**
   * CPU time the JIT compiler threads of the process have used so far (per thread, from /proc: user + system):
   * the bench warms a server up until its compilers go quiet.
   */
  long compilerCpuNanos() {
    long ticks = 0;
    try (java.util.stream.Stream<Path> tasks = Files.list(Paths.get("/proc/" + pid() + "/task"))) {
      for (Path task : (Iterable<Path>) tasks::iterator) {
        try {
          String comm = Files.readString(task.resolve("comm")).trim();
          if (!comm.startsWith("C1 Compiler") && !comm.startsWith("C2 Compiler")) {
            continue;
          }
          String stat = Files.readString(task.resolve("stat"));
          String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
          ticks += Long.parseLong(f[11]) + Long.parseLong(f[12]); // utime, stime (fields 14 and 15 of stat)
        } catch (IOException | RuntimeException gone) {
          // the thread ended while we looked
        }
      }
    } catch (IOException e) {
      return 0;
    }
    return ticks * 10_000_000L; // USER_HZ is 100 on Linux
  }

  /** Resident set size from /proc/<pid>/status, in bytes. */
  long rssBytes() {
    return rssBytes(process.pid());
  }

  static long rssBytes(long pid) {
    try {
      for (String line : Files.readAllLines(Paths.get("/proc/" + pid + "/status"))) {
        if (line.startsWith("VmRSS:")) {
          return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return -1;
  }

  /** Heap in use right after two full GCs ({@code jcmd GC.run}, then {@code GC.heap_info}), in bytes. */
  long heapAfterGcBytes() {
    jcmd("GC.run");
    jcmd("GC.run");
    String info = jcmd("GC.heap_info");
    Matcher m = HEAP_USED.matcher(info);
    if (!m.find()) {
      throw new IllegalStateException("cannot read GC.heap_info of " + name + ":\n" + info);
    }
    return Long.parseLong(m.group(1)) * 1024;
  }

  /**
   * The node's own figure for its heap after a full GC, read from its management port: {@code jcmd GC.run} twice,
   * then the scrape's {@code jvm_memory_used_bytes} of every heap pool but the eden (which the scrape itself starts
   * filling again). Returns {@code [that sum, jvm_gc_live_data_size_bytes]}.
   */
  long[] heapAfterGcFromMetrics() {
    jcmd("GC.run");
    jcmd("GC.run");
    String text = scrape();
    long used = 0;
    long live = -1;
    for (String line : text.split("\n")) {
      if (line.startsWith("jvm_memory_used_bytes{") && line.contains("area=\"heap\"") && !line.contains("Eden")) {
        used += (long) Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
      } else if (line.startsWith("jvm_gc_live_data_size_bytes")) {
        live = (long) Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
      }
    }
    if (used == 0) {
      throw new IllegalStateException("no heap figures in the metrics of " + name);
    }
    return new long[] {used, live};
  }

  /** One meter's value from the management port's scrape (the first series whose line starts with {@code prefix}). */
  double metric(String prefix) {
    for (String line : scrape().split("\n")) {
      if (line.startsWith(prefix)) {
        return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
      }
    }
    return Double.NaN;
  }

  /** GET /metrics on the management port (Prometheus text). */
  String scrape() {
    try {
      java.net.http.HttpClient client = java.net.http.HttpClient.newHttpClient();
      java.net.http.HttpResponse<String> r = client.send(java.net.http.HttpRequest.newBuilder(
              java.net.URI.create("http://127.0.0.1:" + mgmtPort + "/metrics")).timeout(Duration.ofSeconds(30)).build(),
          java.net.http.HttpResponse.BodyHandlers.ofString());
      if (r.statusCode() != 200) {
        throw new IllegalStateException("/metrics of " + name + " answered " + r.statusCode());
      }
      return r.body();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** Open file descriptors of the process (every process here may hold 20,000). */
  long openFiles() {
    try (java.util.stream.Stream<Path> fds = Files.list(Paths.get("/proc/" + pid() + "/fd"))) {
      return fds.count();
    } catch (IOException e) {
      return -1;
    }
  }

  /**
   * Files the process holds open for writing outside /dev, /proc and /sys (the no-disk rule, checked on the node at
   * its peak): the targets of its descriptors whose {@code fdinfo} flags say write-only or read-write.
   */
  List<String> filesOpenForWriting() {
    List<String> out = new ArrayList<>();
    try (java.util.stream.Stream<Path> fds = Files.list(Paths.get("/proc/" + pid() + "/fd"))) {
      for (Path fd : (Iterable<Path>) fds::iterator) {
        try {
          String target = Files.readSymbolicLink(fd).toString();
          if (!target.startsWith("/") || target.startsWith("/dev/") || target.startsWith("/proc/")
              || target.startsWith("/sys/")) {
            continue; // sockets, pipes, anonymous inodes, devices
          }
          String info = Files.readString(Paths.get("/proc/" + pid() + "/fdinfo/" + fd.getFileName()));
          Matcher m = Pattern.compile("(?m)^flags:\\s+(\\d+)").matcher(info);
          if (m.find() && (Integer.parseInt(m.group(1), 8) & 3) != 0) {
            out.add(target);
          }
        } catch (IOException | RuntimeException gone) {
          // closed while we looked
        }
      }
    } catch (IOException e) {
      out.add("cannot list /proc/" + pid() + "/fd: " + e);
    }
    return out;
  }

  /** {@code jcmd GC.class_histogram} (after a full GC) as bytes per class name. */
  Map<String, Long> classBytes() {
    Map<String, Long> out = new java.util.HashMap<>();
    Matcher m = Pattern.compile("(?m)^\\s*\\d+:\\s+\\d+\\s+(\\d+)\\s+(\\S+)").matcher(jcmd("GC.class_histogram"));
    while (m.find()) {
      out.merge(m.group(2), Long.parseLong(m.group(1)), Long::sum);
    }
    return out;
  }

  /**
   * Bytes of live objects: the "Total" of {@code jcmd GC.class_histogram} (which runs a full GC first). Unlike
   * {@code GC.heap_info}'s "used" it does not count partly filled regions, so it moves by a few KiB, not by MiB.
   */
  long liveBytes() {
    Matcher m = HISTO_TOTAL.matcher(jcmd("GC.class_histogram"));
    if (!m.find()) {
      throw new IllegalStateException("cannot read the class histogram total of " + name);
    }
    return Long.parseLong(m.group(1));
  }

  private static final Pattern HISTO_TOTAL = Pattern.compile("(?m)^Total\\s+\\d+\\s+(\\d+)");

  /** The top of {@code jcmd GC.class_histogram} (what fills the heap), for --histo. */
  String classHistogram(int lines) {
    return String.join("\n", jcmd("GC.class_histogram").lines().limit(lines + 3).toList());
  }

  /** One {@code jcmd} command (its words split on spaces) against this process; its output. */
  String jcmdText(String command) {
    return jcmd(command);
  }

  private String jcmd(String command) {
    Path jcmd = Paths.get(System.getProperty("java.home"), "bin", "jcmd");
    List<String> cmd = new java.util.ArrayList<>(List.of(jcmd.toString(), String.valueOf(pid())));
    cmd.addAll(split(command));
    try {
      Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
      String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
        throw new IllegalStateException("jcmd " + command + " failed for " + name + ": " + text);
      }
      return text;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  String output() {
    synchronized (output) {
      return output.toString();
    }
  }

  /** SIGTERM, then kill -9 after 20 s. With {@code BENCH_SERVER_OUTPUT=1} the server's console is printed first. */
  @Override
  public void close() {
    if ("1".equals(System.getenv("BENCH_SERVER_OUTPUT"))) {
      System.out.println("---- output of " + name + " ----\n" + output() + "---- end of " + name + " ----");
    }
    LIVE.remove(process);
    if (!process.isAlive()) {
      return;
    }
    process.destroy();
    try {
      if (!process.waitFor(20, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      process.destroyForcibly();
    }
  }

  static List<String> split(String flags) {
    return Arrays.stream(flags.trim().split("\\s+")).filter(s -> !s.isEmpty()).toList();
  }
}
