package io.burnroom.chaos;

import io.burnroom.support.NodeProcess;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The system under test: N clustered node processes, node i on its own loopback address 127.0.0.(11+i) for chat,
 * management and Hazelcast (the event bus follows the cluster host), each under its own group id (see
 * {@link ChaosNet}), behind a real haproxy on 127.0.0.1 configured by {@code deploy/cluster.sh haproxy-config}.
 */
final class ChaosCluster implements AutoCloseable {
  static final int CHAT_PORT = 8080;
  static final int MGMT_PORT = 9090;
  static final int HZ_PORT = 5701;
  /** JMX, for the heap rule only: a full collection and the heap after it (see {@link #heapAfterFullGc}). */
  static final int JMX_PORT = 9010;
  static final String LB_HOST = "127.0.0.1";
  static final int LB_PORT = 8000;

  private final int size;
  private final int detectSeconds;
  private final Path root;
  private final String clusterName;
  private final boolean quorum;
  private final NodeProcess[] nodes;
  /** Nodes the schedule took down (kill -9, SIGTERM) until it starts them again. Any other dead node exited itself. */
  private final boolean[] takenDown;
  /** Every node process started, restarts included, for the report. */
  private final List<NodeProcess> started = new java.util.concurrent.CopyOnWriteArrayList<>();
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofMillis(500)).build();
  private Process haproxy;

  ChaosCluster(int size, int detectSeconds, Path root, String clusterName, boolean quorum) {
    this.quorum = quorum;
    this.size = size;
    this.detectSeconds = detectSeconds;
    this.root = root;
    this.clusterName = clusterName;
    this.nodes = new NodeProcess[size];
    this.takenDown = new boolean[size];
  }

  static String address(int node) {
    return "127.0.0." + (11 + node);
  }

  static int gid(int node) {
    return 3011 + node;
  }

  List<String> addresses() {
    List<String> out = new ArrayList<>();
    for (int i = 0; i < size; i++) {
      out.add(address(i));
    }
    return out;
  }

  List<Integer> gids() {
    List<Integer> out = new ArrayList<>();
    for (int i = 0; i < size; i++) {
      out.add(gid(i));
    }
    return out;
  }

  int size() { return size; }

  void start() {
    for (int i = 0; i < size; i++) {
      nodes[i] = startNode(i);
    }
    startHaproxy();
  }

  synchronized NodeProcess startNode(int i) {
    String members = String.join(",", addresses().stream().map(a -> a + ":" + HZ_PORT).toList());
    NodeProcess n = NodeProcess.builder().name("node" + (i + 1))
        .clustered(clusterName, HZ_PORT, members)
        .env(Map.of(
            "BURNROOM_CLUSTER_HOST", address(i),
            "BURNROOM_HTTP_HOST", address(i), "BURNROOM_HTTP_PORT", String.valueOf(CHAT_PORT),
            "BURNROOM_MGMT_HOST", address(i), "BURNROOM_MGMT_PORT", String.valueOf(MGMT_PORT),
            "BURNROOM_FAILURE_DETECT_SECONDS", String.valueOf(detectSeconds),
            "BURNROOM_RESUME_GRACE_MS", "60000",
            "BURNROOM_CLUSTER_SIZE", quorum ? String.valueOf(size) : "0",
            "BURNROOM_TRUSTED_PROXIES", LB_HOST))
        // Hazelcast listens on and connects from the node's own address only: ClusterConfig's default (decision 61).
        .jvmArg("-Xmx256m")
        // A JMX agent on the node's own address inside the namespace, started with the JVM (no attach mechanism, no
        // file): the harness's only way to force a full collection before and after the run. Never in a product run.
        .jvmArg("-Dcom.sun.management.jmxremote.port=" + JMX_PORT, "-Dcom.sun.management.jmxremote.rmi.port=" + JMX_PORT,
            "-Dcom.sun.management.jmxremote.host=" + address(i), "-Djava.rmi.server.hostname=" + address(i),
            "-Dcom.sun.management.jmxremote.authenticate=false", "-Dcom.sun.management.jmxremote.ssl=false",
            "-Dcom.sun.management.jmxremote.local.only=false")
        // Extra JVM flags for an investigation (e.g. -Xlog:gc:stdout; never a flag that writes a file).
        .jvmArg(System.getenv().getOrDefault("CHAOS_NODE_JVM", "").isBlank() ? new String[0]
            : System.getenv("CHAOS_NODE_JVM").trim().split("\\s+"))
        .wrapWith("setpriv", "--regid=" + gid(i), "--clear-groups", "--pdeathsig", "KILL")
        .readyTimeout(Duration.ofSeconds(120))
        .start();
    nodes[i] = n;
    takenDown[i] = false;
    started.add(n);
    return n;
  }

  private void startHaproxy() {
    try {
      ProcessBuilder cfg = new ProcessBuilder("bash", root.resolve("deploy/cluster.sh").toString(), "haproxy-config");
      cfg.environment().put("LB_HOST", LB_HOST);
      cfg.environment().put("LB_PORT", String.valueOf(LB_PORT));
      cfg.environment().put("NODE_HOSTS", String.join(" ", addresses()));
      cfg.environment().put("CHAT_PORTS", String.join(" ", java.util.Collections.nCopies(size, String.valueOf(CHAT_PORT))));
      Process c = cfg.start();
      byte[] config = c.getInputStream().readAllBytes();
      if (!c.waitFor(10, TimeUnit.SECONDS) || c.exitValue() != 0) {
        throw new IllegalStateException("cluster.sh haproxy-config failed: "
            + new String(c.getErrorStream().readAllBytes(), StandardCharsets.UTF_8));
      }
      // The configuration goes to haproxy on a pipe, never into a file (as cluster.sh does).
      haproxy = new ProcessBuilder("setpriv", "--pdeathsig", "KILL", "haproxy", "-db", "-f", "/dev/stdin")
          .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(ProcessBuilder.Redirect.INHERIT).start();
      try (OutputStream in = haproxy.getOutputStream()) {
        in.write(config);
      }
    } catch (IOException e) {
      throw new IllegalStateException("cannot start haproxy: " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
    long deadline = System.currentTimeMillis() + 30_000;
    while (get("http://" + LB_HOST + ":" + LB_PORT + "/health/ready", 1000) == null) {
      if (System.currentTimeMillis() > deadline || !haproxy.isAlive()) {
        throw new IllegalStateException("haproxy did not answer on " + LB_HOST + ":" + LB_PORT);
      }
      sleep(200);
    }
  }

  /** The last lines each node process printed (nodes redact room ids from every line they print). */
  String tails(int lines) {
    StringBuilder b = new StringBuilder();
    for (NodeProcess n : started) {
      List<String> all = n.output().lines().toList();
      b.append("--- ").append(n.name()).append(" (pid ").append(n.pid()).append(") ---\n");
      all.subList(Math.max(0, all.size() - lines), all.size()).forEach(l -> b.append(l).append('\n'));
    }
    return b.toString();
  }

  NodeProcess node(int i) {
    return nodes[i];
  }

  /** True when node i's process ended though the schedule did not take it down (e.g. exit 70: member lost). */
  synchronized boolean exitedByItself(int i) {
    return !takenDown[i] && nodes[i] != null && !nodes[i].isAlive();
  }

  void kill9(int i) {
    markTakenDown(i);
    nodes[i].kill9();
  }

  /** SIGTERM and wait for the handover to finish (kill -9 after 30 s). */
  void sigterm(int i) {
    markTakenDown(i);
    nodes[i].stop(Duration.ofSeconds(30));
  }

  private synchronized void markTakenDown(int i) {
    takenDown[i] = true;
  }

  void pause(int i) {
    nodes[i].pause();
  }

  void resume(int i) {
    nodes[i].resume();
  }

  /** A {@code burnroom_*} (or any) gauge of node i, or empty when the node does not answer within 1 s. */
  OptionalDouble gauge(int i, String name) {
    String text = metrics(i);
    if (text == null) {
      return OptionalDouble.empty();
    }
    Matcher m = Pattern.compile("(?m)^" + Pattern.quote(name) + "(?:\\{[^}]*})? ([0-9.eE+-]+)$").matcher(text);
    double sum = 0;
    boolean found = false;
    while (m.find()) {
      sum += Double.parseDouble(m.group(1));
      found = true;
    }
    return found ? OptionalDouble.of(sum) : OptionalDouble.empty();
  }

  /**
   * Node i's heap in use right after a full collection (two, so objects freed by the first one's finalizers and
   * cleaners go too), over JMX; empty when the node does not answer.
   */
  java.util.OptionalLong heapAfterFullGc(int i) {
    Long used = overJmx(i, c -> {
      java.lang.management.MemoryMXBean memory = java.lang.management.ManagementFactory.newPlatformMXBeanProxy(c,
          java.lang.management.ManagementFactory.MEMORY_MXBEAN_NAME, java.lang.management.MemoryMXBean.class);
      memory.gc();
      memory.gc();
      return memory.getHeapMemoryUsage().getUsed();
    });
    return used == null ? java.util.OptionalLong.empty() : java.util.OptionalLong.of(used);
  }

  /** Classes of which a node holds one object per room, seat or socket: after the run none may be left alive. */
  static final List<String> PER_ROOM_CLASSES = List.of("io.burnroom.room.RoomVerticle", "io.burnroom.room.RoomState",
      "io.burnroom.room.Member", "io.burnroom.room.ReplayLog", "io.burnroom.edge.SocketSession");

  /**
   * How many objects of each of {@code classes} node i's heap holds after a full collection; null when the node does not
   * answer.
   */
  Map<String, Long> liveObjects(int i, List<String> classes) {
    Map<String, long[]> all = histogram(i);
    if (all == null) {
      return null;
    }
    Map<String, Long> out = new java.util.TreeMap<>();
    classes.forEach(k -> out.put(k, all.containsKey(k) ? all.get(k)[0] : 0L));
    return out;
  }

  /**
   * Node i's heap by class after a full collection (the JVM's class histogram over JMX, which collects first): class
   * name to {objects, bytes}; null when the node does not answer.
   */
  Map<String, long[]> histogram(int i) {
    return overJmx(i, c -> {
      String text = (String) c.invoke(new javax.management.ObjectName("com.sun.management:type=DiagnosticCommand"),
          "gcClassHistogram", new Object[] {new String[0]}, new String[] {String[].class.getName()});
      Map<String, long[]> out = new java.util.HashMap<>();
      for (String line : text.split("\n")) {
        String[] f = line.trim().split("\\s+"); // "rank: instances bytes class (module)"
        if (f.length >= 4 && f[0].endsWith(":")) {
          out.put(f[3], new long[] {Long.parseLong(f[1]), Long.parseLong(f[2])});
        }
      }
      return out;
    });
  }

  private interface JmxCall<T> {
    T call(javax.management.MBeanServerConnection c) throws Exception;
  }

  /** One call over node i's JMX agent (chaos runs only, see {@link #JMX_PORT}); null when it does not answer. */
  private <T> T overJmx(int i, JmxCall<T> call) {
    if (nodes[i] == null || !nodes[i].isAlive()) {
      return null;
    }
    try (javax.management.remote.JMXConnector c = javax.management.remote.JMXConnectorFactory.connect(
        new javax.management.remote.JMXServiceURL("service:jmx:rmi:///jndi/rmi://" + address(i) + ":" + JMX_PORT
            + "/jmxrmi"))) {
      return call.call(c.getMBeanServerConnection());
    } catch (Exception e) {
      return null;
    }
  }

  /** True when node i answers {@code /health/ready} with 200 within half a second: it sees its quorum and serves. */
  boolean ready(int i) {
    return management(i, "/health/ready", 500) != null;
  }

  /** The whole scrape of node i, or null. */
  String metrics(int i) {
    return management(i, "/metrics", 1000);
  }

  /** A 200 answer's body from node i's management port, or null (no such node, not running, no answer in time). */
  private String management(int i, String path, long timeoutMs) {
    if (nodes[i] == null || !nodes[i].isAlive()) {
      return null;
    }
    return get("http://" + address(i) + ":" + MGMT_PORT + path, timeoutMs);
  }

  String get(String url, long timeoutMs) {
    try {
      HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofMillis(timeoutMs))
          .GET().build(), HttpResponse.BodyHandlers.ofString());
      return r.statusCode() == 200 ? r.body() : null;
    } catch (IOException e) {
      return null;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    }
  }

  /** POST through haproxy; the response body, or null on any failure. */
  String post(String path, String body, long timeoutMs) {
    try {
      HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://" + LB_HOST + ":" + LB_PORT + path))
          .timeout(Duration.ofMillis(timeoutMs)).header("Content-Type", "application/json")
          .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
      return r.statusCode() == 201 ? r.body() : null;
    } catch (IOException e) {
      return null;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    }
  }

  @Override
  public void close() {
    for (NodeProcess n : nodes) {
      if (n != null && n.isAlive()) {
        try {
          n.resume();
        } catch (RuntimeException ignored) {
          // already gone
        }
        n.kill9();
      }
    }
    if (haproxy != null) {
      haproxy.destroyForcibly();
    }
  }

  static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
