package io.burnroom.bench;

import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Callable;
import org.HdrHistogram.Histogram;

/**
 * Runs every benchmark scenario against Burnroom nodes and the {@link BareRelay} (each its own process), prints a
 * table, and writes {@code bench/results/latest.json} plus SVG plots under {@code docs/bench/}.
 *
 * <pre>
 *   bench/run.sh                 # everything, twice (about 26 minutes)
 *   bench/run.sh --quick         # small sizes, once: a smoke test of the bench itself
 *   bench/run.sh --only=a,b,d    # a subset (h: attachments, --attachment-rooms=N --attachment-members=N --attachment-raised); --repeat=N, --rounds=N, --latency-rounds=N, --measure=S, --warmup=S,
 *                                # --rooms=N, --members=N
 *   bench/run.sh --only=a,b --compare=/tmp/other.jar   # A/B: a second build's nodes take turns with the first's
 * </pre>
 */
public final class BenchMain {
  final Map<String, String> opts;
  final Path jar;
  private final Path outDir;
  private final Set<String> only;
  private final int repeat;
  private final int rooms;
  private final int members;
  final int bodyChars;
  final int warmupS;
  private final int measureS;
  final int window;
  final int lanes;
  private final int idleSockets;
  private final int idleRooms;
  private final int churnRooms;
  private final int expiryRooms;
  /** Last repetition's open-loop latency histograms, for the plot. */
  private final Map<String, Histogram> curves = new LinkedHashMap<>();

  private BenchMain(Map<String, String> opts) {
    this.opts = opts;
    boolean quick = opts.containsKey("quick");
    this.jar = Paths.get(opts.getOrDefault("jar", "target/burnroom.jar"));
    this.outDir = Paths.get(opts.getOrDefault("out", "."));
    this.only = Set.of(opts.getOrDefault("only", "a,b,c,d,e,f,g,h").split(","));
    this.repeat = num("repeat", quick ? 1 : 2);
    this.rooms = num("rooms", quick ? 10 : 100);
    this.members = num("members", quick ? 5 : 10);
    this.bodyChars = num("body", 1024);
    this.warmupS = num("warmup", quick ? 2 : 5);
    this.measureS = num("measure", quick ? 3 : 10);
    this.window = num("window", 4);
    this.lanes = num("lanes", 2);
    this.idleSockets = num("idle-sockets", quick ? 500 : 10_000);
    this.idleRooms = num("idle-rooms", quick ? 500 : 10_000);
    this.churnRooms = num("churn", quick ? 300 : 10_000);
    this.expiryRooms = num("expiry", quick ? 50 : 1_000);
    this.generator = opts.getOrDefault("generator", "lean");
    if (!List.of("lean", "vertx", "both").contains(generator)) {
      throw new IllegalArgumentException("--generator=lean|vertx|both, not " + generator);
    }
  }

  /**
   * The fan-out fleets' WebSocket client (issue 31): "lean" ({@link LeanSocket}), "vertx" ({@link VertxSock} for every
   * target) or "both" (one node and two nodes each driven by both clients in turn, on the same servers).
   */
  final String generator;

  int num(String key, int fallback) {
    return Integer.parseInt(opts.getOrDefault(key, String.valueOf(fallback)));
  }

  public static void main(String[] args) throws Exception {
    Map<String, String> opts = new LinkedHashMap<>();
    for (String a : args) {
      String s = a.replaceFirst("^--", "");
      int eq = s.indexOf('=');
      opts.put(eq < 0 ? s : s.substring(0, eq), eq < 0 ? "true" : s.substring(eq + 1));
    }
    BenchMain bench = new BenchMain(opts);
    if (opts.containsKey("report")) {
      bench.rerender(Paths.get(opts.get("report")));
    } else {
      bench.run();
    }
    System.exit(0);
  }

  private void run() throws Exception {
    if (!Files.isRegularFile(jar)) {
      throw new IllegalStateException(jar.toAbsolutePath() + " is missing: build it with `mvn -B -q package -DskipTests`");
    }
    JsonObject result = new JsonObject()
        .put("startedAt", Instant.now().toString())
        .put("machine", machine())
        .put("config", new JsonObject().put("rooms", rooms).put("members", members).put("bodyChars", bodyChars)
            .put("warmupSeconds", warmupS).put("measureSeconds", measureS).put("closedLoopWindowPerRoom", window)
            .put("generatorEventLoops", lanes).put("closedLoopRounds", num("rounds", opts.containsKey("quick") ? 2 : 3)).put("latencyRounds", num("latency-rounds", opts.containsKey("quick") ? 1 : 3)).put("idleSockets", idleSockets).put("idleRooms", idleRooms)
            .put("churnRooms", churnRooms).put("expiryRooms", expiryRooms).put("repeat", repeat)
            .put("serverHeap", String.join(" ", ServerProcess.HEAP_FLAGS)));
    JsonArray runs = new JsonArray();
    result.put("runs", runs);
    System.out.println("machine: " + result.getJsonObject("machine").encode());
    for (int rep = 1; rep <= repeat; rep++) {
      JsonObject r = new JsonObject().put("rep", rep);
      runs.add(r);
      if (only.contains("a") || only.contains("b") || only.contains("c")) {
        step("a/b/c fan-out, interleaved", () -> fanoutInterleaved(r));
      }
      if (only.contains("d")) {
        step("d memory", () -> r.put("memory", memory()));
      }
      if (only.contains("e")) {
        step("e churn", () -> r.put("churn", churn()));
      }
      if (only.contains("f")) {
        step("f expiry", () -> r.put("expiry", expiry()));
      }
      if (only.contains("g")) {
        step("g one node full of sockets", () -> r.put("scale", new Scale(this).run()));
      }
      if (only.contains("h")) {
        step("h attachments", () -> r.put("attachments", new AttachmentBench(this::startServers,
            num("attachment-rooms", 10), num("attachment-members", 10), warmupS, measureS,
            opts.containsKey("attachment-raised")).run()));
      }
    }
    result.put("finishedAt", Instant.now().toString()).put("loadavgAtEnd", loadavg())
        .put("roomCreationRetries", Fleet.CREATE_RETRIES.get());
    if (Fleet.CREATE_RETRIES.get() > 0) {
      System.out.println("room creations sent twice after 15 s without an outcome: " + Fleet.CREATE_RETRIES.get());
    }
    write(result);
  }

  /** {@code --report=bench/results/latest.json}: re-renders the table, summary and throughput plot of a finished run. */
  private void rerender(Path json) throws IOException {
    write(new JsonObject(Files.readString(json)));
  }

  private void write(JsonObject result) throws IOException {
    Report report = new Report(result);
    result.put("summary", report.summary());
    String table = report.table();
    System.out.println();
    System.out.println(table);
    System.out.println(report.issueTable());
    Path json = outDir.resolve("bench/results/latest.json");
    Files.createDirectories(json.getParent());
    Files.writeString(json, result.encodePrettily() + "\n");
    Path svgDir = outDir.resolve("docs/bench");
    Files.createDirectories(svgDir);
    if (!curves.isEmpty()) {
      Files.writeString(svgDir.resolve("latency.svg"), Report.latencySvg(curves, result));
    }
    Files.writeString(svgDir.resolve("throughput.svg"), Report.throughputSvg(result));
    System.out.println("wrote " + json + " and " + svgDir + "/{latency,throughput}.svg");
  }

  private interface Step {
    void run() throws Exception;
  }

  private void step(String name, Step s) throws Exception {
    System.out.println("== " + name + "  (loadavg " + loadavg() + ")");
    long t0 = System.nanoTime();
    s.run();
    System.out.printf("   done in %.1f s%n", (System.nanoTime() - t0) / 1e9);
  }

  // ---- (a)(b)(c): fan-out throughput and latency ----

  /** One system under fan-out load: its server processes and a connected fleet. */
  record Target(String key, String label, List<ServerProcess> servers, Fleet fleet, List<JsonObject> rounds,
                        List<Double> warmup) {
  }

  /** One open-loop window per latency round: {@code target} at {@code rate} msg/s, kept under {@code field}. */
  private record OpenLoop(Target target, double rate, String field, String label, boolean plotted) {
  }

  /**
   * (a)(b)(c) together. All servers run at once (an idle one costs nothing) and the closed-loop measurements take
   * turns in short rounds — relay, burnroom, 2 nodes, relay, … — so every system sees the same background load from
   * the other users of this machine; the max rate of a system is the median of its rounds. Then each system gets an
   * open-loop run at 50 % of that median for latency.
   */
  private void fanoutInterleaved(JsonObject run) throws Exception {
    boolean ab = only.contains("a") || only.contains("b");
    boolean c = only.contains("c");
    List<ServerProcess> all = new ArrayList<>();
    List<Target> targets = new ArrayList<>();
    try {
      if (ab) {
        List<ServerProcess> relay = startServers("relay-1node", Fleet.Kind.RELAY, 1, Map.of());
        all.addAll(relay);
        targets.add(target("relay", "relay-1node", Fleet.Kind.RELAY, relay, true));
      }
      List<ServerProcess> one = startServers("burnroom-1node", Fleet.Kind.BURNROOM, 1, Map.of());
      all.addAll(one);
      targets.add(target("burnroom", "burnroom-1node", Fleet.Kind.BURNROOM, one, true));
      Path other = opts.containsKey("compare") ? Paths.get(opts.get("compare")) : null;
      if (other != null) {
        // A/B in one run: the same scenarios against a second build, interleaved with the first (same background load)
        List<ServerProcess> oneB = startServers("burnroom-1node-B", Fleet.Kind.BURNROOM, 1, Map.of(), other);
        all.addAll(oneB);
        targets.add(target("burnroomB", "burnroom-1node-B", Fleet.Kind.BURNROOM, oneB, true));
      }
      if (c) {
        List<ServerProcess> two = startServers("burnroom-2nodes", Fleet.Kind.BURNROOM, 2, Map.of());
        all.addAll(two);
        targets.add(target("burnroom2", "burnroom-2nodes", Fleet.Kind.BURNROOM, two, true));
        if (other != null) {
          List<ServerProcess> twoB = startServers("burnroom-2nodes-B", Fleet.Kind.BURNROOM, 2, Map.of(), other);
          all.addAll(twoB);
          targets.add(target("burnroom2B", "burnroom-2nodes-B", Fleet.Kind.BURNROOM, twoB, true));
        }
        if (opts.containsKey("one-owner")) {
          // diagnostic (issue 31): every room owned by the first node, members split over both
          List<ServerProcess> twoOne = startServers("burnroom-2nodes-one-owner", Fleet.Kind.BURNROOM, 2, Map.of());
          all.addAll(twoOne);
          targets.add(target("burnroom2one", "burnroom-2nodes-one-owner", Fleet.Kind.BURNROOM, twoOne, true, true));
        }
        if (!opts.containsKey("no-diagnostics")) {
          // diagnostic: same cluster, every member on its room's owner node (snapshots, but no cross-node hop)
          targets.add(target("burnroom2local", "burnroom-2nodes-local", Fleet.Kind.BURNROOM, two, false));
        }
        if (generator.equals("both")) {
          // issue 31: the same servers driven by Vert.x's WebSocket client too, taking turns with the LeanSockets
          targets.add(target("burnroomV", "burnroom-1node-vertx", Fleet.Kind.BURNROOM, one, true, false, true));
          targets.add(target("burnroom2V", "burnroom-2nodes-vertx", Fleet.Kind.BURNROOM, two, true, false, true));
        }
        if (opts.containsKey("plain-nodes")) {
          // issue 31: nodes started as `java -jar target/burnroom.jar` with no flag (default heap and GC)
          List<ServerProcess> oneP = startPlain("burnroom-1node-plain", 1);
          all.addAll(oneP);
          List<ServerProcess> twoP = startPlain("burnroom-2nodes-plain", 2);
          all.addAll(twoP);
          boolean v = !generator.equals("lean");
          targets.add(target("burnroomP", "burnroom-1node-plain", Fleet.Kind.BURNROOM, oneP, true, false, v));
          targets.add(target("burnroom2P", "burnroom-2nodes-plain", Fleet.Kind.BURNROOM, twoP, true, false, v));
        }
      }
      for (Target t : targets) {
        warmUp(t);
      }
      int rounds = num("rounds", opts.containsKey("quick") ? 2 : 3);
      for (int round = 1; round <= rounds; round++) {
        for (Target t : targets) {
          t.fleet().startClosedLoop(window);
          Thread.sleep(Math.max(2, warmupS / 2) * 1000L);
          JsonObject m = measure(t.fleet(), t.servers(), null).put("round", round);
          t.fleet().stopLoad();
          Thread.sleep(1500);
          t.rounds().add(m);
          System.out.printf("   round %d %-22s max %,10.0f delivered/s  (server %.2f, generator %.2f cores, load %s)%n",
              round, t.label(), m.getDouble("deliveredPerSec"), m.getDouble("serverCpuCores"),
              m.getDouble("generatorCpuCores"), m.getString("loadavgAfter"));
        }
      }
      Map<Target, Double> halfRate = new LinkedHashMap<>();
      for (Target t : targets) {
        List<JsonObject> sorted = new ArrayList<>(t.rounds());
        sorted.sort((x, y) -> Double.compare(x.getDouble("deliveredPerSec"), y.getDouble("deliveredPerSec")));
        JsonObject median = sorted.get(sorted.size() / 2).copy();
        median.put("roundsDeliveredPerSec", new JsonArray(t.rounds().stream().map(x -> x.getDouble("deliveredPerSec")).toList()));
        halfRate.put(t, median.getDouble("sentPerSec") * 0.5);
        run.put(t.key(), new JsonObject().put("nodes", t.servers().size()).put("closedLoop", median)
            .put("warmupDeliveredPerSec", new JsonArray(t.warmup())).put("placement", placement(t)));
      }
      List<OpenLoop> plan = new ArrayList<>();
      for (Target t : targets) {
        plan.add(new OpenLoop(t, halfRate.get(t), "openLoopHalf", t.label() + " 50%", true));
      }
      Target relay = targets.stream().filter(t -> t.key().equals("relay")).findFirst().orElse(null);
      Target node = targets.stream().filter(t -> t.key().equals("burnroom")).findFirst().orElse(null);
      if (relay != null && node != null) {
        // Each system's own 50 % is the target's load, but a system with a higher max is then measured under more
        // load: the same offered load as the relay's separates "slower" from "busier" (decision 34).
        plan.add(new OpenLoop(node, halfRate.get(relay), "openLoopAtRelayHalf", node.label() + " @relay 50%", false));
      }
      Target two = targets.stream().filter(t -> t.key().equals("burnroom2")).findFirst().orElse(null);
      if (relay != null && two != null) {
        // issue 31: two nodes' tail against the relay's at the relay's offered load
        plan.add(new OpenLoop(two, halfRate.get(relay), "openLoopAtRelayHalf", two.label() + " @relay 50%", false));
      }
      Map<OpenLoop, List<JsonObject>> windows = new LinkedHashMap<>();
      plan.forEach(o -> windows.put(o, new ArrayList<>()));
      // Open-loop windows take turns like the closed-loop rounds: one 10-s window's p99 moves by 2-5x with the
      // machine's other users, so each system gets several windows in the same minutes and reports the median one.
      int latencyRounds = num("latency-rounds", opts.containsKey("quick") ? 1 : 3);
      if (latencyRounds == 0) {
        plan.clear(); // --latency-rounds=0: closed-loop rounds only
      }
      for (int round = 1; round <= latencyRounds; round++) {
        for (OpenLoop o : plan) {
          Target t = o.target();
          t.fleet().startOpenLoop(o.rate());
          Thread.sleep(warmupS * 1000L);
          JsonObject open = measure(t.fleet(), t.servers(), o.plotted() ? t.label() + "#" + round : null)
              .put("targetSendRate", round(o.rate())).put("round", round);
          t.fleet().stopLoad();
          Thread.sleep(1500);
          windows.get(o).add(open);
          System.out.println("   " + o.label() + " (" + round + "): " + open.encode());
        }
      }
      for (OpenLoop o : plan) {
        Target t = o.target();
        List<JsonObject> own = windows.get(o);
        List<JsonObject> byP99 = new ArrayList<>(own);
        byP99.sort((x, y) -> Double.compare(x.getDouble("p99Ms"), y.getDouble("p99Ms")));
        JsonObject median = byP99.get(byP99.size() / 2);
        if (o.plotted()) {
          // the plot shows the median window's histogram under the system's own name
          curves.put(t.label(), curves.get(t.label() + "#" + median.getInteger("round")));
          for (int round = 1; round <= own.size(); round++) {
            curves.remove(t.label() + "#" + round);
          }
        }
        run.getJsonObject(t.key()).put(o.field(), median.copy()
            .put("windowsP99Ms", new JsonArray(own.stream().map(x -> x.getDouble("p99Ms")).toList()))
            .put("windowsP50Ms", new JsonArray(own.stream().map(x -> x.getDouble("p50Ms")).toList())));
      }
    } finally {
      for (Target t : targets) {
        try {
          t.fleet().closeMembers();
          t.fleet().close();
        } catch (RuntimeException e) {
          System.out.println("   closing " + t.label() + ": " + e);
        }
      }
      all.forEach(ServerProcess::close);
    }
  }

  /**
   * Closed-loop load until the JIT has compiled the system's hot paths: windows of 5 s until, in two in a row, the
   * servers' compiler threads used under 5 % of a core (at least {@code --jit-warmup-min}, at most
   * {@code --jit-warmup-max} seconds). Without it the first rounds measure the compiler: a cold two-node cluster went
   * from 29k to 81k delivered msg/s over five 10-s rounds, and its rate can stay flat for half a minute before the
   * compiled code arrives, so the rate alone does not tell when warm-up is over.
   */
  void warmUp(Target t) throws Exception {
    int minS = num("jit-warmup-min", opts.containsKey("quick") ? 5 : 30);
    int maxS = num("jit-warmup-max", opts.containsKey("quick") ? 10 : 150);
    List<Double> windows = new ArrayList<>();
    List<Double> compiler = new ArrayList<>();
    int quiet = 0;
    long t0 = System.nanoTime();
    t.fleet().startClosedLoop(window);
    while (true) {
      long c0 = t.servers().stream().mapToLong(ServerProcess::compilerCpuNanos).sum();
      t.fleet().beginMeasure();
      long w0 = System.nanoTime();
      Thread.sleep(5000);
      double secs = (System.nanoTime() - w0) / 1e9;
      windows.add(round(t.fleet().endMeasure().delivered() / secs));
      double jit = (t.servers().stream().mapToLong(ServerProcess::compilerCpuNanos).sum() - c0) / 1e9 / secs;
      compiler.add(round(jit));
      quiet = jit < 0.05 ? quiet + 1 : 0;
      double elapsed = (System.nanoTime() - t0) / 1e9;
      if ((quiet >= 2 && elapsed >= minS) || elapsed >= maxS) {
        break;
      }
    }
    t.fleet().stopLoad();
    Thread.sleep(1500);
    t.warmup().addAll(windows);
    System.out.printf("   warm-up %-22s %s delivered/s per 5 s; JIT cores %s%n", t.label(),
        windows.stream().map(w -> String.format("%,.0f", w)).toList(), compiler);
  }

  /**
   * Where the rooms and members of a target are, from each node's own meters: rooms owned, members connected and
   * messages relayed (a round-robin balancer's spread shows as about half of each on either node).
   */
  private static JsonArray placement(Target t) {
    JsonArray out = new JsonArray();
    for (ServerProcess s : t.servers()) {
      if (s.mgmtPort() < 0) {
        continue;
      }
      out.add(new JsonObject().put("node", s.name()).put("roomsOwned", s.metric("burnroom_rooms_active"))
          .put("membersConnected", s.metric("burnroom_members_connected"))
          .put("messagesRelayed", s.metric("burnroom_messages_relayed_total")));
    }
    return out;
  }

  /** Creates the rooms and joins every member; {@code split}: members alternate between the servers. */
  private Target target(String key, String label, Fleet.Kind kind, List<ServerProcess> servers, boolean split) {
    return target(key, label, kind, servers, split, false);
  }

  /** {@code oneOwner}: every room created on the first node (members still split when {@code split}). */
  private Target target(String key, String label, Fleet.Kind kind, List<ServerProcess> servers, boolean split,
                        boolean oneOwner) {
    return target(key, label, kind, servers, split, oneOwner, generator.equals("vertx"));
  }

  /** {@code vertxClient}: the fleet's members are Vert.x WebSocket clients ({@link VertxSock}), not LeanSockets. */
  private Target target(String key, String label, Fleet.Kind kind, List<ServerProcess> servers, boolean split,
                        boolean oneOwner, boolean vertxClient) {
    // the generator runs on the transport of the servers it drives (the B side of --compare may differ)
    Fleet fleet = new Fleet(kind, lanes, bodyChars, servers.get(0).transport(), vertxClient);
    int nodes = servers.size();
    List<Callable<Future<Fleet.Room>>> creating = new ArrayList<>();
    for (int i = 0; i < rooms; i++) {
      int port = servers.get(oneOwner ? 0 : i % nodes).port();
      int index = i;
      creating.add(() -> kind == Fleet.Kind.RELAY
          ? Future.succeededFuture(fleet.relayRoom(index)) : fleet.createRoom(port, 3600));
    }
    List<Fleet.Room> made = Fleet.throttled(creating, 32, 60_000);
    List<Callable<Future<Fleet.Member>>> joining = new ArrayList<>();
    for (int i = 0; i < made.size(); i++) {
      Fleet.Room room = fleet.adopt(made.get(i));
      for (int j = 0; j < members; j++) {
        int port = servers.get((split ? j : oneOwner ? 0 : i) % nodes).port();
        joining.add(() -> fleet.connect(room, port));
      }
    }
    // members of one room join one after another, like people opening a link
    Fleet.throttled(joining, 1, 120_000);
    return new Target(key, label, servers, fleet, new ArrayList<>(), new ArrayList<>());
  }

  JsonObject measure(Fleet fleet, List<ServerProcess> servers, String curveLabel) throws Exception {
    String load0 = loadavg();
    String startedAt = Instant.now().toString();
    long[] each0 = servers.stream().mapToLong(ServerProcess::cpuNanos).toArray();
    long srv0 = java.util.Arrays.stream(each0).sum();
    long gen0 = ownCpuNanos();
    long t0 = System.nanoTime();
    fleet.beginMeasure();
    Thread.sleep(measureS * 1000L);
    Fleet.Window w = fleet.endMeasure();
    double secs = (System.nanoTime() - t0) / 1e9;
    long[] each1 = servers.stream().mapToLong(ServerProcess::cpuNanos).toArray();
    long srv1 = java.util.Arrays.stream(each1).sum();
    long gen1 = ownCpuNanos();
    JsonArray each = new JsonArray();
    for (int i = 0; i < each0.length; i++) {
      each.add(round((each1[i] - each0[i]) / 1e9 / secs));
    }
    Histogram h = w.latencyMicros();
    if (curveLabel != null) {
      curves.put(curveLabel, h);
    }
    return new JsonObject()
        .put("startedAt", startedAt)
        .put("seconds", round(secs))
        .put("sentPerSec", round(w.sent() / secs))
        .put("deliveredPerSec", round(w.delivered() / secs))
        .put("acksPerSec", round(w.acks() / secs))
        .put("p50Ms", ms(h.getValueAtPercentile(50)))
        .put("p99Ms", ms(h.getValueAtPercentile(99)))
        .put("p999Ms", ms(h.getValueAtPercentile(99.9)))
        .put("maxMs", ms(h.getMaxValue()))
        .put("generatorSendLagP99Ms", ms(w.sendLagMicros().getValueAtPercentile(99)))
        .put("generatorSendLagMaxMs", ms(w.sendLagMicros().getMaxValue()))
        .put("slowSlices", slowSlices(w.worstPerSliceMicros(), secs))
        .put("serverCpuCores", round((srv1 - srv0) / 1e9 / secs))
        .put("serverCpuCoresEach", each)
        // server CPU per delivered message: what one node and two nodes pay for the same work
        .put("serverCpuMicrosPerDelivered", w.delivered() == 0 ? 0 : round((srv1 - srv0) / 1e3 / w.delivered()))
        .put("generatorCpuCores", round((gen1 - gen0) / 1e9 / secs))
        .put("errors", w.errors())
        .put("loadavgBefore", load0)
        .put("loadavgAfter", loadavg());
  }

  /**
   * The 100 ms slices of the window whose worst latency was over 10 ms, as {@code [offsetMs, worstMs]}: a few slices
   * with a long worst latency are stalls (a pause, a core taken away), many slices a queue that never drains.
   */
  private static JsonArray slowSlices(long[] worstMicros, double secs) {
    JsonArray out = new JsonArray();
    int slices = (int) Math.min(worstMicros.length, Math.ceil(secs * 1e9 / Fleet.SLICE_NANOS));
    for (int i = 0; i < slices; i++) {
      if (worstMicros[i] > 10_000) {
        out.add(new JsonArray().add(i * Fleet.SLICE_NANOS / 1_000_000).add(ms(worstMicros[i])));
      }
    }
    return out;
  }

  // ---- (d): memory per idle socket and per idle room ----

  private JsonObject memory() throws Exception {
    JsonObject out = new JsonObject();
    int perRoom = 20;
    try (ServerProcess node = ServerProcess.burnroom("burnroom-mem", jar, ServerProcess.benchEnv());
         Fleet fleet = new Fleet(Fleet.Kind.BURNROOM, lanes, bodyChars)) {
      Thread.sleep(2000);
      long h0 = node.heapAfterGcBytes();
      long r0 = node.rssBytes();
      List<Callable<Future<Fleet.Room>>> creating = new ArrayList<>();
      for (int i = 0; i < idleRooms; i++) {
        creating.add(() -> fleet.createRoom(node.port(), 3600));
      }
      List<Fleet.Room> made = Fleet.throttled(creating, 32, 120_000);
      Thread.sleep(2000);
      long h1 = node.heapAfterGcBytes();
      long r1 = node.rssBytes();
      long l1 = node.liveBytes();
      histogram(node, "burnroom with idle rooms");
      List<Callable<Future<Fleet.Member>>> joining = new ArrayList<>();
      for (int i = 0; i < idleSockets; i++) {
        Fleet.Room room = made.get(i / perRoom);
        if (room.lane == null) {
          fleet.adopt(room);
        }
        joining.add(() -> fleet.connect(room, node.port()));
      }
      Fleet.throttled(joining, 64, 120_000);
      Thread.sleep(3000);
      long h2 = node.heapAfterGcBytes();
      long r2 = node.rssBytes();
      long l2 = node.liveBytes();
      histogram(node, "burnroom with idle rooms and sockets");
      out.put("burnroom", new JsonObject()
          .put("idleRooms", idleRooms).put("idleSockets", idleSockets).put("socketsPerRoom", perRoom)
          .put("heapBaseBytes", h0).put("heapWithRoomsBytes", h1).put("heapWithSocketsBytes", h2)
          .put("rssBaseBytes", r0).put("rssWithRoomsBytes", r1).put("rssWithSocketsBytes", r2)
          .put("heapPerRoomBytes", (h1 - h0) / idleRooms).put("rssPerRoomBytes", (r1 - r0) / idleRooms)
          .put("heapPerSocketBytes", (h2 - h1) / idleSockets).put("rssPerSocketBytes", (r2 - r1) / idleSockets)
          .put("livePerSocketBytes", (l2 - l1) / idleSockets));
      fleet.closeMembers();
    }
    try (ServerProcess relay = ServerProcess.relay("relay-mem");
         Fleet fleet = new Fleet(Fleet.Kind.RELAY, lanes, bodyChars)) {
      Thread.sleep(2000);
      long h0 = relay.heapAfterGcBytes();
      long r0 = relay.rssBytes();
      long l0 = relay.liveBytes();
      List<Callable<Future<Fleet.Member>>> joining = new ArrayList<>();
      Fleet.Room room = null;
      for (int i = 0; i < idleSockets; i++) {
        if (i % perRoom == 0) {
          room = fleet.adopt(fleet.relayRoom(i / perRoom));
        }
        Fleet.Room r = room;
        joining.add(() -> fleet.connect(r, relay.port()));
      }
      Fleet.throttled(joining, 64, 120_000);
      Thread.sleep(3000);
      long h1 = relay.heapAfterGcBytes();
      long r1 = relay.rssBytes();
      long l1 = relay.liveBytes();
      histogram(relay, "relay with idle sockets");
      out.put("relay", new JsonObject().put("idleSockets", idleSockets)
          .put("heapBaseBytes", h0).put("heapWithSocketsBytes", h1).put("rssBaseBytes", r0).put("rssWithSocketsBytes", r1)
          .put("heapPerSocketBytes", (h1 - h0) / idleSockets).put("rssPerSocketBytes", (r1 - r0) / idleSockets)
          .put("livePerSocketBytes", (l1 - l0) / idleSockets));
      fleet.closeMembers();
    }
    System.out.println("   " + out.encode());
    return out;
  }

  /** With {@code --histo}: what the server holds right now, by class (for finding per-socket or per-room costs). */
  private void histogram(ServerProcess server, String when) {
    if (opts.containsKey("histo")) {
      System.out.println("histogram " + when + ":\n" + server.classHistogram(400));
    }
  }

  // ---- (e): churn ----

  private JsonObject churn() throws Exception {
    try (ServerProcess node = ServerProcess.burnroom("burnroom-churn", jar, ServerProcess.benchEnv());
         Fleet fleet = new Fleet(Fleet.Kind.BURNROOM, lanes, bodyChars)) {
      churnRooms(fleet, node, Math.max(100, churnRooms / 20));   // warm-up: JIT, lazily built structures
      Thread.sleep(2000);
      long h0 = node.heapAfterGcBytes();
      long l0 = node.liveBytes();
      long r0 = node.rssBytes();
      histogram(node, "burnroom before churn");
      long t0 = System.nanoTime();
      Histogram late = churnRooms(fleet, node, churnRooms);
      double secs = (System.nanoTime() - t0) / 1e9;
      Thread.sleep(3000);
      long h1 = node.heapAfterGcBytes();
      long l1 = node.liveBytes();
      long r1 = node.rssBytes();
      histogram(node, "burnroom after churn");
      JsonObject out = new JsonObject().put("rooms", churnRooms).put("seconds", round(secs))
          .put("roomsPerSec", round(churnRooms / secs))
          .put("heapBeforeBytes", h0).put("heapAfterBytes", h1)
          .put("heapGrowthPct", round(100.0 * (h1 - h0) / h0))
          // the target's figure: G1's "used" after a full GC also counts the partly filled regions its parallel
          // compaction leaves, which put the same live objects at two levels 0.5 MB apart (docs/decisions.md, 25)
          .put("liveBeforeBytes", l0).put("liveAfterBytes", l1)
          .put("liveGrowthPct", round(100.0 * (l1 - l0) / l0))
          .put("rssBeforeBytes", r0).put("rssAfterBytes", r1).put("rssGrowthPct", round(100.0 * (r1 - r0) / r0))
          .put("burnLatenessP50Ms", ms(late.getValueAtPercentile(50)))
          .put("burnLatenessP99Ms", ms(late.getValueAtPercentile(99)))
          .put("burnLatenessMaxMs", ms(late.getMaxValue()))
          .put("burnedFrames", late.getTotalCount());
      System.out.println("   " + out.encode());
      return out;
    }
  }

  /** Create, join with 2 members, {@code admin burn}: returns the lateness of every {@code burned} frame (µs). */
  private Histogram churnRooms(Fleet fleet, ServerProcess node, int n) {
    List<Callable<Future<long[]>>> tasks = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      tasks.add(() -> fleet.createRoom(node.port(), 3600).compose(room -> {
        fleet.assignLane(room);
        return fleet.connect(room, node.port())
            .compose(a -> fleet.connect(room, node.port()).compose(b -> fleet.burnNow(a, 30_000)));
      }));
    }
    Histogram h = new Histogram(60_000_000L, 3);
    for (long[] late : Fleet.throttled(tasks, 32, 120_000)) {
      for (long l : late) {
        h.recordValue(Math.max(0, l / 1000));
      }
    }
    return h;
  }

  // ---- (f): many rooms expiring in the same second ----

  private JsonObject expiry() throws Exception {
    try (ServerProcess node = ServerProcess.burnroom("burnroom-expiry", jar, ServerProcess.benchEnv());
         Fleet fleet = new Fleet(Fleet.Kind.BURNROOM, lanes, bodyChars)) {
      long leadMs = Long.parseLong(opts.getOrDefault("expiry-lead", "30")) * 1000;
      long target = ((System.currentTimeMillis() + leadMs) / 1000 + 1) * 1000;
      List<Fleet.Room> made = Scale.expiringRooms(fleet, node.port(), expiryRooms, target);
      long joinedAt = System.currentTimeMillis();
      long first = made.stream().mapToLong(r -> r.expiresAt).min().orElse(0);
      long last = made.stream().mapToLong(r -> r.expiresAt).max().orElse(0);
      if (joinedAt >= first) {
        System.out.println("   WARNING: joins finished after the first expiry; raise --expiry-lead");
      }
      Thread.sleep(Math.max(0, last - System.currentTimeMillis()) + 5000);
      JsonObject out = Scale.lateness(made, first, last, joinedAt).put("members", expiryRooms * 2);
      System.out.println("   " + out.encode());
      return out;
    }
  }

  // ---- helpers ----

  private List<ServerProcess> startServers(String label, Fleet.Kind kind, int nodes, Map<String, String> extra) {
    return startServers(label, kind, nodes, extra, jar);
  }

  private List<ServerProcess> startServers(String label, Fleet.Kind kind, int nodes, Map<String, String> extra,
                                           Path jar) {
    // the B side of --compare may also differ by JVM flags only (BENCH_COMPARE_JVM_FLAGS) or by transport
    // (BENCH_COMPARE_TRANSPORT=nio|epoll: its servers and its generator)
    boolean b = !jar.equals(this.jar);
    List<String> flags = b ? ServerProcess.split(System.getenv().getOrDefault("BENCH_COMPARE_JVM_FLAGS", ""))
        : List.of();
    String transport = b ? System.getenv().getOrDefault("BENCH_COMPARE_TRANSPORT", ServerProcess.TRANSPORT)
        : ServerProcess.TRANSPORT;
    List<ServerProcess> out = new ArrayList<>();
    if (kind == Fleet.Kind.RELAY) {
      out.add(ServerProcess.relay(label));
      return out;
    }
    if (nodes == 1) {
      Map<String, String> env = ServerProcess.benchEnv();
      env.putAll(extra);
      out.add(ServerProcess.burnroom(label, jar, env, flags, transport));
      return out;
    }
    List<Integer> ports = Ports.free(nodes);
    String members = String.join(",", ports.stream().map(p -> "127.0.0.1:" + p).toList());
    String cluster = "bench-" + UUID.randomUUID();
    for (int i = 0; i < nodes; i++) {
      Map<String, String> env = ServerProcess.benchEnv();
      env.put("BURNROOM_CLUSTER", "true");
      env.put("BURNROOM_CLUSTER_NAME", cluster);
      env.put("BURNROOM_CLUSTER_HOST", "127.0.0.1");
      env.put("BURNROOM_CLUSTER_PORT", String.valueOf(ports.get(i)));
      env.put("BURNROOM_CLUSTER_MEMBERS", members);
      env.putAll(extra);
      out.add(ServerProcess.burnroom(label + "-" + i, jar, env, flags, transport));
    }
    return out;
  }

  /** {@code nodes} plain nodes ({@link ServerProcess#plainBurnroom}), clustered when more than one. */
  private List<ServerProcess> startPlain(String label, int nodes) {
    List<ServerProcess> out = new ArrayList<>();
    List<Integer> ports = Ports.free(nodes);
    String members = String.join(",", ports.stream().map(p -> "127.0.0.1:" + p).toList());
    String cluster = "bench-" + UUID.randomUUID();
    for (int i = 0; i < nodes; i++) {
      Map<String, String> env = ServerProcess.benchEnv();
      if (nodes > 1) {
        env.put("BURNROOM_CLUSTER", "true");
        env.put("BURNROOM_CLUSTER_NAME", cluster);
        env.put("BURNROOM_CLUSTER_HOST", "127.0.0.1");
        env.put("BURNROOM_CLUSTER_PORT", String.valueOf(ports.get(i)));
        env.put("BURNROOM_CLUSTER_MEMBERS", members);
      }
      out.add(ServerProcess.plainBurnroom(nodes > 1 ? label + "-" + i : label, jar, env, ServerProcess.TRANSPORT));
    }
    return out;
  }

  static String loadavg() {
    try {
      String[] f = Files.readString(Paths.get("/proc/loadavg")).trim().split("\\s+");
      return f[0] + " " + f[1] + " " + f[2];
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static long ownCpuNanos() {
    return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
  }

  private static JsonObject machine() throws IOException {
    String model = Files.readAllLines(Paths.get("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name"))
        .findFirst().map(l -> l.substring(l.indexOf(':') + 1).trim()).orElse("?");
    String mem = Files.readAllLines(Paths.get("/proc/meminfo")).stream().filter(l -> l.startsWith("MemTotal"))
        .findFirst().map(l -> l.replaceAll("[^0-9]", "")).orElse("0");
    return new JsonObject()
        .put("nproc", Runtime.getRuntime().availableProcessors())
        .put("cpu", model)
        .put("memTotalMiB", Long.parseLong(mem) / 1024)
        .put("jvm", System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version"))
        .put("os", System.getProperty("os.name") + " " + System.getProperty("os.version"))
        .put("loadavgAtStart", loadavg())
        .put("transport", ServerProcess.TRANSPORT);
  }

  static double ms(long micros) {
    return round(micros / 1000.0);
  }

  static double round(double v) {
    return Math.round(v * 100) / 100.0;
  }
}
