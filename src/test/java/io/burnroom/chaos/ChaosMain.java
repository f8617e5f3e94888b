package io.burnroom.chaos;

import io.burnroom.chaos.ChaosSchedule.Fault;
import io.burnroom.chaos.History.Kind;
import io.burnroom.support.NodeProcess;
import io.vertx.core.Vertx;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.json.JsonObject;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * The chaos harness ({@code chaos/run.sh}, and {@code ChaosIT} for two minutes in {@code mvn verify}): starts a
 * cluster of real node processes behind haproxy inside a network namespace of its own, keeps rooms of members
 * talking through it, runs a seeded fault schedule against the nodes and the links between them, records a
 * {@link History} and prints the {@link Checker}'s verdict. Exit code 0 = every rule held.
 *
 * <pre>
 *   --minutes=M (2)  --seed=S (1)  --nodes=N (3)  --rooms=R (6)  --members=K (3)  --detect=D (5 s: docs/deploy.md's value for small machines)
 *   --root=DIR (the project; deploy/cluster.sh and chaos/slowlink.py are read from it)
 *   --faults=KILL9,SIGTERM,PAUSE,PARTITION,SLOW (all; a subset leaves the others out)
 *   --check=FILE (no run: the checker's verdict on a history written by --history)
 *   --history=FILE (also write the history there, one event a line; it names rooms r1, r2, … never by id)
 *   --quorum=true|false (true: nodes get BURNROOM_CLUSTER_SIZE=N and the checker lets no split excuse a loss)
 *   --warmup=S (100: a lap of S seconds before the heap baseline, its rooms and faults not checked; 0 = none)
 * </pre>
 */
public final class ChaosMain {
  static final String IN_NAMESPACE = "BURNROOM_CHAOS_NETNS";
  private static final String[] KEYS = {"minutes", "seed", "nodes", "rooms", "members", "detect", "root", "history",
      "faults", "check", "quorum", "warmup"};

  private final Map<String, String> opts;
  private final History history = new History();
  private final List<ChaosRoom> rooms = new CopyOnWriteArrayList<>();
  private final AtomicInteger creating = new AtomicInteger();
  /** Until when each creation that failed here may still have a room on a node (its whole lifetime + 2 s). */
  private final java.util.Queue<Long> unsure = new java.util.concurrent.ConcurrentLinkedQueue<>();
  private final AtomicBoolean loadOn = new AtomicBoolean(true);
  private final AtomicBoolean sampling = new AtomicBoolean(true);
  private long t0;

  private ChaosMain(Map<String, String> opts) {
    this.opts = opts;
  }

  public static void main(String[] args) throws Exception {
    Map<String, String> opts = parse(args);
    if (opts.containsKey("check")) {
      Checker.Verdict v = checker(Integer.parseInt(opts.get("detect")), Boolean.parseBoolean(opts.get("quorum")))
          .check(History.parse(Files.readAllLines(Paths.get(opts.get("check")))));
      System.out.print(v.report());
      System.exit(v.passed() ? 0 : 1);
    }
    if (!"1".equals(System.getenv(IN_NAMESPACE))) {
      System.exit(launch(args, System.out::println));
    }
    System.exit(new ChaosMain(opts).run() ? 0 : 1);
  }

  static Map<String, String> parse(String[] args) {
    Map<String, String> o = new HashMap<>(Map.of("minutes", "2", "seed", "1", "nodes", "3", "rooms", "6",
        "members", "3", "detect", "5", "root", System.getProperty("user.dir"), "quorum", "true", "warmup", "100"));
    for (String a : args) {
      int eq = a.indexOf('=');
      String k = a.startsWith("--") && eq > 2 ? a.substring(2, eq) : null;
      if (k == null || !List.of(KEYS).contains(k)) {
        throw new IllegalArgumentException("unknown argument " + a + " (use --" + String.join("= --", KEYS) + "=)");
      }
      o.put(k, a.substring(eq + 1));
    }
    return o;
  }

  /**
   * Runs the harness in a fresh network namespace ({@code unshare --net}): everything it starts lives and dies
   * there, so no rule, address or qdisc outlives it, even when the run fails or is killed. Returns the exit code.
   */
  public static int launch(String[] args, Consumer<String> out) throws IOException, InterruptedException {
    Path classes = Paths.get(ChaosMain.class.getProtectionDomain().getCodeSource().getLocation().getPath());
    List<String> cmd = new ArrayList<>(List.of("unshare", "--net", "--fork", "--kill-child", "--",
        Paths.get(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx768m", "-XX:-UsePerfData",
        "-Dburnroom.jar=" + NodeProcess.defaultJar(),
        "-Dburnroom.jvmFlags=" + String.join(" ", NodeProcess.defaultJvmFlags()),
        "-cp", classes + java.io.File.pathSeparator + NodeProcess.defaultJar(), ChaosMain.class.getName()));
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    pb.environment().put(IN_NAMESPACE, "1");
    Process p = pb.start();
    p.getOutputStream().close();
    try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = r.readLine()) != null) {
        out.accept(line);
      }
    } finally {
      if (p.isAlive()) {
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly();
      }
    }
    return p.waitFor();
  }

  private void say(String fmt, Object... args) {
    System.out.printf("[chaos %6.1fs] %s%n", (System.currentTimeMillis() - t0) / 1000.0, String.format(fmt, args));
  }

  private boolean run() throws Exception {
    t0 = System.currentTimeMillis();
    long seed = Long.parseLong(opts.get("seed"));
    long durationMs = (long) (Double.parseDouble(opts.get("minutes")) * 60_000);
    int nodes = Integer.parseInt(opts.get("nodes"));
    int detect = Integer.parseInt(opts.get("detect"));
    Path root = Paths.get(opts.get("root")).toAbsolutePath();
    List<ChaosSchedule.Kind> kinds = opts.containsKey("faults")
        ? java.util.Arrays.stream(opts.get("faults").split(",")).map(String::trim).map(ChaosSchedule.Kind::valueOf).toList()
        : List.of(ChaosSchedule.Kind.values());
    ChaosSchedule schedule = ChaosSchedule.plan(seed, durationMs, nodes, 10_000, 0, kinds, detect * 1000L);
    System.out.print(schedule);
    System.out.flush();

    boolean quorum = Boolean.parseBoolean(opts.get("quorum"));
    ChaosCluster cluster = new ChaosCluster(nodes, detect, root, "chaos-" + UUID.randomUUID(), quorum);
    ChaosNet net = new ChaosNet(cluster.addresses(), cluster.gids(), root.resolve("chaos/slowlink.py"), seed);
    Vertx vertx = null;
    try {
      net.setUp();
      // After the loopback is up, or Netty finds no interface.
      vertx = Vertx.vertx();
      say("network namespace ready: nodes on %s, haproxy on %s:%d", cluster.addresses(), ChaosCluster.LB_HOST,
          ChaosCluster.LB_PORT);
      cluster.start();
      say("%d nodes and haproxy ready", nodes);
      long warmMs = Long.parseLong(opts.get("warmup")) * 1000;
      if (warmMs > 0) {
        // Before the baseline: every node cut off once and one paused, with rooms talking throughout, so the code
        // and the tables a node first uses under faults are in the baseline, not counted as growth (decision 71).
        // Nothing is restarted here: a restarted node would give a baseline of a process that has seen none of it.
        ChaosMain warm = new ChaosMain(opts);
        say("warm-up: %d s, its own rooms, not checked", warmMs / 1000);
        ChaosSchedule plan = ChaosSchedule.warmUp(nodes, warmMs, detect * 1000L);
        System.out.print("warm-up " + plan);
        warm.lap(vertx, cluster, net, plan, warmMs, seed ^ 0x3A3AL);
        warm.endState(cluster);
        // Rule 7 covers the warm-up too: whatever it left behind would also sit in the baseline.
        warm.history.events().stream().filter(e -> e.kind() == Kind.END_STATE).forEach(e -> history.add(
            Kind.END_STATE, null, e.member(), null, "after the warm-up: " + e.id(), -1, e.value()));
        say("warm-up over: %d rooms, %d events", warm.rooms.size(), warm.history.size());
      }
      heap(cluster, History.BASELINE);
      lap(vertx, cluster, net, schedule, durationMs, seed);
      say("all rooms over; reading every node's gauges");
      endState(cluster);
      heap(cluster, History.AFTER);
      if (System.getenv("CHAOS_NODE_OUTPUT") != null) {
        System.out.print(cluster.tails(Integer.parseInt(System.getenv("CHAOS_NODE_OUTPUT"))));
      }
    } finally {
      if (vertx != null) {
        vertx.close();
      }
      cluster.close();
      net.close();
    }
    if (opts.containsKey("history")) {
      Files.write(Paths.get(opts.get("history")), history.events().stream().map(Object::toString).toList());
    }
    Checker.Verdict v = checker(detect, quorum).check(history.events());
    System.out.println("chaos run: seed " + seed + ", " + opts.get("minutes") + " min, " + nodes + " nodes, "
        + rooms.size() + " rooms, " + history.size() + " events, quorum " + (quorum ? "on" : "off")
        + ", network faults: namespace + iptables + NFQUEUE");
    System.out.print(v.report());
    return v.passed();
  }

  /** One lap: rooms talking under {@code schedule} for {@code durationMs}, then until every room burned. */
  private void lap(Vertx vertx, ChaosCluster cluster, ChaosNet net, ChaosSchedule schedule, long durationMs, long seed)
      throws InterruptedException {
    t0 = System.currentTimeMillis();
    Thread load = daemon("chaos-load", () -> load(vertx, cluster, seed, durationMs));
    Thread sampler = daemon("chaos-sampler", () -> sample(cluster));
    daemon("chaos-supervisor", () -> supervise(cluster));
    runFaults(schedule, cluster, net);
    sleepUntil(t0 + durationMs);
    loadOn.set(false);
    load.join();
    say("schedule done; waiting for the last rooms to burn");
    long deadline = System.currentTimeMillis() + 120_000;
    while (rooms.stream().anyMatch(r -> !r.done()) && System.currentTimeMillis() < deadline) {
      ChaosCluster.sleep(200);
    }
    rooms.stream().filter(r -> !r.done()).forEach(r -> {
      say("%s: not every member heard the burn; abandoning", r.name());
      r.abandon();
    });
    sampling.set(false);
    sampler.join();
  }

  private void runFaults(ChaosSchedule schedule, ChaosCluster cluster, ChaosNet net) {
    int n = 0;
    for (Fault f : schedule.faults()) {
      sleepUntil(t0 + f.atMs());
      String what = f.kind() + (f.kind() == ChaosSchedule.Kind.SLOW ? " links" : " node" + (f.node() + 1)) + " #" + (++n);
      long start = System.currentTimeMillis();
      say("fault %s for %.1f s", what, f.holdMs() / 1000.0);
      history.fault(Kind.FAULT_START, what);
      switch (f.kind()) {
        case KILL9, SIGTERM -> {
          if (f.kind() == ChaosSchedule.Kind.KILL9) {
            cluster.kill9(f.node());
          } else {
            cluster.sigterm(f.node());
          }
          sleepUntil(start + f.holdMs());
          cluster.startNode(f.node());
        }
        case PAUSE -> {
          cluster.pause(f.node());
          sleepUntil(start + f.holdMs());
          cluster.resume(f.node());
        }
        case PARTITION -> {
          net.partition(f.node());
          sleepUntil(start + f.holdMs());
          net.heal();
        }
        case SLOW -> {
          net.slowLinks();
          sleepUntil(start + f.holdMs());
          net.heal();
        }
      }
      history.fault(Kind.FAULT_END, what);
      say("fault %s over after %.1f s", what, (System.currentTimeMillis() - start) / 1000.0);
    }
  }

  private void load(Vertx vertx, ChaosCluster cluster, long seed, long durationMs) {
    Random r = new Random(seed ^ 0x5DEECE66DL);
    int target = Integer.parseInt(opts.get("rooms"));
    int members = Integer.parseInt(opts.get("members"));
    WebSocketClient ws = vertx.createWebSocketClient(new WebSocketClientOptions().setMaxFrameSize(1 << 20));
    int made = 0;
    while (loadOn.get()) {
      long live = rooms.stream().filter(x -> !x.done()).count();
      // New rooms until 45 s before the end, so every room burns (and is checked) within the run.
      if (live < target && System.currentTimeMillis() + 45_000 < t0 + durationMs) {
        int ttl = 15 + r.nextInt(31);
        creating.incrementAndGet();
        // A generous timeout: a creation that timed out here but happened on the node would be a room the
        // harness does not know, and the one-copy samples would count it.
        String body = cluster.post("/api/rooms", new JsonObject().put("ttlSeconds", ttl).encode(), 15_000);
        if (body == null) {
          unsure.add(System.currentTimeMillis() + ttl * 1000L + 2000);
          creating.decrementAndGet();
          ChaosCluster.sleep(500);
          continue;
        }
        JsonObject c = new JsonObject(body);
        ChaosRoom room = new ChaosRoom("r" + (++made), c.getString("roomId"), c.getString("pin"),
            c.getLong("expiresAt"), ChaosCluster.LB_HOST, ChaosCluster.LB_PORT);
        history.add(Kind.CREATE, room.name(), null, null, null, -1, room.expiresAt());
        rooms.add(room);
        creating.decrementAndGet();
        room.addMembers(members, vertx, ws, history, seed * 1000 + made);
        if (r.nextInt(3) == 0) {
          long at = 2000 + r.nextInt(ttl * 1000 - 4000);
          int seconds = 5 + r.nextInt(11);
          vertx.setTimer(at, t -> room.members().get(0).extend(room.pin(), seconds));
        }
        continue;
      }
      ChaosCluster.sleep(200);
    }
  }

  /** Once a second: the room verticles all nodes run together, against how many rooms may be alive. */
  /**
   * Plays the nodes' supervisor (systemd's Restart=on-failure, Kubernetes' restart policy): a node process that ends
   * though the schedule did not take it down (a node exits 70 when Hazelcast stops its member) is started again,
   * and the gap is in the history as a fault of its own ("EXIT"), so the checker's windows cover it.
   */
  private void supervise(ChaosCluster cluster) {
    while (sampling.get()) {
      for (int i = 0; i < cluster.size(); i++) {
        if (cluster.exitedByItself(i)) {
          String what = "EXIT node" + (i + 1);
          say("node%d exited by itself (status %d); starting it again", i + 1, cluster.node(i).waitForExit(java.time.Duration.ofSeconds(5)));
          history.fault(Kind.FAULT_START, what);
          cluster.startNode(i);
          history.fault(Kind.FAULT_END, what);
          say("node%d started again", i + 1);
        }
      }
      ChaosCluster.sleep(500);
    }
  }

  private void sample(ChaosCluster cluster) {
    while (sampling.get()) {
      long which = 0;
      int ready = 0;
      for (int i = 0; i < cluster.size(); i++) {
        if (cluster.ready(i)) {
          which |= 1L << i;
          ready++;
        }
      }
      history.add(Kind.READY, null, null, null, null, which, ready);
      long before = mayLive();
      long sum = 0;
      boolean all = true;
      for (int i = 0; i < cluster.size(); i++) {
        OptionalDouble g = cluster.gauge(i, "burnroom_rooms_active");
        if (g.isEmpty()) {
          all = false;
          break;
        }
        sum += (long) g.getAsDouble();
      }
      if (all) {
        // Counted before and after the scrapes: a room created while the nodes were read is in the gauges but was in
        // neither count before (found by ChaosIT in CI: "7 room verticles for at most 6 live rooms", one sample, a
        // creation that began between the count and the scrape).
        history.add(Kind.SAMPLE, null, null, null, null, Math.max(before, mayLive()), sum);
      }
      ChaosCluster.sleep(1000);
    }
  }

  /**
   * Rooms that may have a verticle now: being created, known and not over (or over less than 2 s ago), and created
   * although their creation failed here (a lost response: the node may have made the room, which then lives out its
   * lifetime unknown to the harness).
   */
  private long mayLive() {
    long now = System.currentTimeMillis();
    unsure.removeIf(until -> until < now);
    return creating.get() + unsure.size()
        + rooms.stream().filter(r -> !r.done() || now < r.latestExpiry() + 2000).count();
  }

  /** Each node's heap by class at the baseline, so the report can say what grew (a restarted node: its predecessor's). */
  private final Map<Integer, Map<String, long[]>> baselineClasses = new java.util.HashMap<>();

  /** Each node's heap after a full collection, for the heap rule, and after the run the classes that grew most. */
  private void heap(ChaosCluster cluster, String when) {
    for (int i = 0; i < cluster.size(); i++) {
      java.util.OptionalLong used = cluster.heapAfterFullGc(i);
      if (used.isPresent()) {
        history.add(Kind.HEAP, null, "node" + (i + 1), null, when, -1, used.getAsLong());
      }
      Map<String, long[]> classes = cluster.histogram(i);
      if (classes == null) {
        continue;
      }
      if (History.BASELINE.equals(when)) {
        baselineClasses.put(i, classes);
      } else if (baselineClasses.containsKey(i)) {
        say("node%d heap growth by class: %s", i + 1, HeapGrowth.top(baselineClasses.get(i), classes, 12));
      }
    }
  }

  private void endState(ChaosCluster cluster) {
    List<String> gauges = List.of("burnroom_rooms_active", "burnroom_members_connected", "burnroom_cluster_map_entries");
    long deadline = System.currentTimeMillis() + 20_000;
    for (int i = 0; i < cluster.size(); i++) {
      for (String g : gauges) {
        OptionalDouble v = cluster.gauge(i, g);
        while ((v.isEmpty() || v.getAsDouble() != 0) && System.currentTimeMillis() < deadline) {
          ChaosCluster.sleep(500);
          v = cluster.gauge(i, g);
        }
        if (v.isPresent()) {
          history.add(Kind.END_STATE, null, "node" + (i + 1), null, g, -1, (long) v.getAsDouble());
        } else if (!g.equals("burnroom_cluster_map_entries")) {
          history.add(Kind.END_STATE, null, "node" + (i + 1), null, g + " (no answer)", -1, -1);
        }
      }
      // The gauges count what the node's code tracks; the heap says what is still reachable: a room, seat or socket
      // that burned or closed but is still referenced somewhere (a timer, a map, a closure) would show here.
      Map<String, Long> live = cluster.liveObjects(i, ChaosCluster.PER_ROOM_CLASSES);
      if (live == null) {
        history.add(Kind.END_STATE, null, "node" + (i + 1), null, "live objects (no answer)", -1, -1);
      } else {
        int node = i + 1;
        live.forEach((type, n) -> history.add(Kind.END_STATE, null, "node" + node, null, "live " + type, -1, n));
      }
    }
  }

  /** Faults count as active until detection + 2 s after they end; the halves of a split get 20 s to merge. */
  static Checker checker(int detectSeconds, boolean quorum) {
    return new Checker(detectSeconds * 1000L, detectSeconds * 1000L + 2000, 20_000, quorum);
  }

  private static Thread daemon(String name, Runnable r) {
    Thread t = new Thread(r, name);
    t.setDaemon(true);
    t.start();
    return t;
  }

  private static void sleepUntil(long at) {
    long left = at - System.currentTimeMillis();
    if (left > 0) {
      ChaosCluster.sleep(left);
    }
  }

  static boolean exists(Path p) {
    return Files.exists(p);
  }
}
