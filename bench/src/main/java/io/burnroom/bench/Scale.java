package io.burnroom.bench;

import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Histogram;

/**
 * (g) One node full of sockets: {@code --sockets=N} (18,000 by default; 2,000 with {@code --quick}) WebSockets in N/2
 * rooms of two members, the most one process may hold here (every process is held to 20,000 open files, a hard limit).
 * Idle members come from {@link ScaleGenerator} processes of at most {@code --per-generator} (9,000) sockets each, each
 * from its own loopback source address (127.0.0.x, so no process runs out of ephemeral ports); the bench's own fleets
 * hold the rooms that expire together and the active rooms.
 *
 * <ol>
 *   <li>Heap after GC (the node's own {@code jvm_memory_used_bytes} from its management port, after {@code jcmd
 *       GC.run}) and RSS: at start, with every room created, with every socket joined: per room and per socket, the
 *       class histogram's growth by class, and the model extrapolated to 100,000 sockets.</li>
 *   <li>Connect rate: sockets joined per second, all processes together (first connect to last {@code joined}).</li>
 *   <li>Expiry: {@code --expiry} rooms (1,000) expire in one second while every socket is connected; lateness of each
 *       member's {@code burned} frame.</li>
 *   <li>Active traffic: 10 % of the rooms under closed-loop load, with every socket connected (W) and with only the
 *       active rooms' sockets (A: the generator processes are ended), interleaved W A W A W A on the same node; the
 *       generators reconnect between pairs (more connect-rate samples).</li>
 * </ol>
 */
final class Scale {
  private final BenchMain bench;
  private final int sockets;
  private final int rooms;
  private final int activeRooms;
  private final int expiringRooms;
  private final int perGenerator;
  private final int rounds;
  private final boolean quick;

  Scale(BenchMain bench) {
    this.bench = bench;
    this.quick = bench.opts.containsKey("quick");
    this.sockets = bench.num("sockets", quick ? 2_000 : 18_000);
    this.rooms = sockets / 2;
    this.activeRooms = Math.max(1, rooms * bench.num("active-pct", 10) / 100);
    this.expiringRooms = Math.min(bench.num("expiry", quick ? 50 : 1_000), rooms - activeRooms);
    this.perGenerator = bench.num("per-generator", 9_000);
    this.rounds = bench.num("scale-rounds", quick ? 1 : 3);
  }

  JsonObject run() throws Exception {
    JsonObject out = new JsonObject().put("sockets", sockets).put("rooms", rooms).put("activeRooms", activeRooms)
        .put("expiringRooms", expiringRooms).put("membersPerRoom", 2);
    Map<String, String> env = ServerProcess.benchEnv();
    env.put("BURNROOM_MAX_SOCKETS_PER_NODE", String.valueOf(Math.max(100_000, sockets + 1_000)));
    env.put("BURNROOM_MAX_ROOMS_PER_NODE", String.valueOf(Math.max(100_000, rooms + expiringRooms + 1_000)));
    // an ended generator's members leave their seats at once, so the next generator can join the same rooms
    env.put("BURNROOM_RESUME_GRACE_MS", "100");
    List<String> heap = sockets <= 30_000 ? List.of() : List.of("-Xms" + heapMiB() + "m", "-Xmx" + heapMiB() + "m");
    out.put("nodeHeap", heap.isEmpty() ? String.join(" ", ServerProcess.HEAP_FLAGS) : String.join(" ", heap));
    List<Generator> generators = new ArrayList<>();
    try (ServerProcess node = ServerProcess.burnroom("burnroom-scale", bench.jar, env, heap, ServerProcess.TRANSPORT);
         Fleet expiring = new Fleet(Fleet.Kind.BURNROOM, bench.lanes, bench.bodyChars);
         Fleet active = new Fleet(Fleet.Kind.BURNROOM, bench.lanes, bench.bodyChars)) {
      Thread.sleep(2000);
      Mem m0 = mem(node);
      // the long-lived rooms: 10 % active (the bench's fleet), the rest idle (the generator processes)
      int longLived = rooms - expiringRooms;
      List<Callable<Future<Fleet.Room>>> creating = new ArrayList<>();
      for (int i = 0; i < longLived; i++) {
        creating.add(() -> active.createRoom(node.port(), 3600));
      }
      long c0 = System.nanoTime();
      List<Fleet.Room> others = Fleet.throttled(creating, 32, 300_000);
      double createSecs = (System.nanoTime() - c0) / 1e9;
      List<Fleet.Room> busy = others.subList(0, activeRooms);
      List<String> idle = others.subList(activeRooms, others.size()).stream().map(r -> r.id).toList();
      out.put("roomsCreatedPerSec", BenchMain.round(longLived / createSecs));
      System.out.printf("   %,d rooms created in %.1f s%n", longLived, createSecs);
      Mem m1 = mem(node);

      // their sockets at once: the generators' idle members and the fleet's active members
      JsonObject connect = connectAll(node, generators, idle, 0, () -> {
        List<Callable<Future<Fleet.Member>>> joining = new ArrayList<>();
        for (Fleet.Room r : busy) {
          active.adopt(r);
          joining.add(() -> active.connect(r, node.port()));
          joining.add(() -> active.connect(r, node.port()));
        }
        return Fleet.throttled(joining, 64, 300_000).size();
      });
      JsonArray connects = new JsonArray().add(connect);
      out.put("connects", connects);
      System.out.println("   connected: " + connect.encode());

      // the rooms that expire together, last: created and joined within --expiry-lead seconds, so nothing else (no
      // full GC of the memory figures) runs near their second
      long leadMs = bench.num("expiry-lead", quick ? 10 : 20) * 1000L;
      long target = ((System.currentTimeMillis() + leadMs) / 1000 + 1) * 1000;
      List<Fleet.Room> dying = expiringRooms(expiring, node.port(), expiringRooms, target);
      long joinedAt = System.currentTimeMillis();
      double atExpiry = wsCount(node);
      long first = dying.stream().mapToLong(r -> r.expiresAt).min().orElse(0);
      long last = dying.stream().mapToLong(r -> r.expiresAt).max().orElse(0);
      if (joinedAt >= first) {
        System.out.println("   WARNING: joins finished after the first expiry; raise --expiry-lead");
      }
      // --scale-jfr=DIR (a tmpfs such as /dev/shm): a JFR profile of the node and of the bench around the burst
      String jfr = bench.opts.get("scale-jfr");
      Profiles profiles = jfr == null ? null : Profiles.start(node, Paths.get(jfr));
      // what every process spent around the burst: CPU (node, bench, generators, the whole machine), the node's GC
      // pauses and its own burn lateness (when each room's burn began, before any frame left), scraped 2 s before
      // and after, so the node's lateness can be told from the delivery's and the generators'
      Thread.sleep(Math.max(0, first - 2000 - System.currentTimeMillis()));
      Cpu cpu0 = Cpu.now(node, generators);
      double gc0 = sum(node, "jvm_gc_pause_seconds_sum");
      Map<String, Double> late0 = buckets(node, "burnroom_burn_lateness_seconds_bucket");
      long w0 = System.nanoTime();
      String load0 = BenchMain.loadavg();
      Thread.sleep(Math.max(0, last + 2000 - System.currentTimeMillis()));
      double secs = (System.nanoTime() - w0) / 1e9;
      Cpu cpu1 = Cpu.now(node, generators);
      double gc1 = sum(node, "jvm_gc_pause_seconds_sum");
      Map<String, Double> late1 = buckets(node, "burnroom_burn_lateness_seconds_bucket");
      if (profiles != null) {
        out.put("profiles", profiles.stop());
      }
      Thread.sleep(3000);
      out.put("expiry", lateness(dying, first, last, joinedAt).put("nodeWebSockets", atExpiry)
          .put("nodeCpuCoresAroundBurst", BenchMain.round((cpu1.node - cpu0.node) / 1e9 / secs))
          .put("cpuCoresAroundBurst", cpu1.minus(cpu0, secs))
          .put("nodeBurnLatenessBuckets", delta(late0, late1))
          .put("nodeBurnLatenessP99AtMostMs", p99Bound(delta(late0, late1)))
          .put("nodeGcPauseMsAroundBurst", BenchMain.round((gc1 - gc0) * 1000)).put("windowSeconds", BenchMain.round(secs))
          .put("loadavgBefore", load0).put("loadavgAfter", BenchMain.loadavg()));
      System.out.println("   expiry with every socket connected: " + out.getJsonObject("expiry").encode());

      // back to N sockets in N/2 rooms: as many long-lived rooms again in place of the burned ones
      creating.clear();
      for (int i = 0; i < dying.size(); i++) {
        creating.add(() -> expiring.createRoom(node.port(), 3600));
      }
      List<Callable<Future<Fleet.Member>>> refill = new ArrayList<>();
      for (Fleet.Room r : Fleet.throttled(creating, 32, 120_000)) {
        expiring.adopt(r);
        refill.add(() -> expiring.connect(r, node.port()));
        refill.add(() -> expiring.connect(r, node.port()));
      }
      Fleet.throttled(refill, 64, 120_000);
      Thread.sleep(1000);
      double full = wsCount(node);
      long peakFiles = node.openFiles();
      List<String> writing = node.filesOpenForWriting();
      Mem m2 = mem(node);
      out.put("nodeOpenFilesAtPeak", peakFiles).put("nodeFilesOpenForWriting", new JsonArray(writing))
          .put("nodeWebSocketsAtPeak", full);
      out.put("memory", model(m0, m1, longLived, m2, (int) full));

      if (!bench.opts.containsKey("scale-no-traffic")) {
        out.put("activeTraffic", activeTraffic(node, active, generators, idle, connects));
        System.out.println("   " + out.getJsonObject("activeTraffic").encode());
        // a room that relayed recently also holds its replay log (up to 256 frames or 1 MiB, for 2 × the resume
        // grace): the model again with 10 % of 50,000 rooms in that state
        JsonObject mem = out.getJsonObject("memory");
        mem.put("heapAt100kSockets10PctActiveBytes", mem.getLong("heapAt100kSocketsBytes")
            + 5_000L * out.getJsonObject("activeTraffic").getLong("heapPerActiveRoomAfterTrafficBytes"));
      }
      active.closeMembers();
      expiring.closeMembers();
    } finally {
      generators.forEach(Generator::close);
    }
    System.out.println("   memory model: " + out.getJsonObject("memory").encode());
    return out;
  }

  /** The node's heap for --sockets past what 1 GiB holds: 24 KiB a socket and 512 MiB besides. */
  private int heapMiB() {
    return (int) Math.ceil((sockets * 24.0 * 1024 + 512.0 * 1024 * 1024) / (1024 * 1024));
  }

  // ---- memory ----

  private record Mem(long heap, long live, long heapInfo, long rss, Map<String, Long> classes) {
  }

  private static Mem mem(ServerProcess node) {
    long[] metrics = node.heapAfterGcFromMetrics();
    long heapInfo = node.heapAfterGcBytes();
    return new Mem(metrics[0], metrics[1], heapInfo, node.rssBytes(), node.classBytes());
  }

  /**
   * {@code m1}: {@code roomsAtM1} rooms, no socket; {@code m2}: every room ({@link #rooms}) and {@code joined} sockets.
   * A socket's figure is what m2 holds beyond the rooms' own.
   */
  private JsonObject model(Mem m0, Mem m1, int roomsAtM1, Mem m2, int joined) {
    double perRoom = (double) (m1.heap - m0.heap) / roomsAtM1;
    double perSocket = (m2.heap - m0.heap - perRoom * rooms) / joined;
    long at100k = Math.round(m0.heap + 50_000 * perRoom + 100_000 * perSocket);
    return new JsonObject()
        .put("heapBaseBytes", m0.heap).put("heapWithRoomsBytes", m1.heap).put("heapWithSocketsBytes", m2.heap)
        .put("heapInfoBaseBytes", m0.heapInfo).put("heapInfoWithSocketsBytes", m2.heapInfo)
        .put("gcLiveDataWithSocketsBytes", m2.live)
        .put("rssBaseBytes", m0.rss).put("rssWithRoomsBytes", m1.rss).put("rssWithSocketsBytes", m2.rss)
        .put("heapPerRoomBytes", Math.round(perRoom)).put("heapPerSocketBytes", Math.round(perSocket))
        .put("rssPerRoomBytes", (m1.rss - m0.rss) / roomsAtM1)
        .put("rssPerSocketBytes", Math.round((m2.rss - m0.rss - (double) (m1.rss - m0.rss) / roomsAtM1 * rooms) / joined))
        .put("heapAt100kSocketsBytes", at100k)
        .put("perRoomByClass", growth(m0.classes, m1.classes, roomsAtM1))
        .put("perSocketByClass", growth(m1.classes, m2.classes, joined))
        .put("socketsMeasured", joined).put("roomsMeasured", rooms);
  }

  /** The classes whose bytes grew most between two histograms, per unit (room or socket), with the rest summed. */
  private static JsonObject growth(Map<String, Long> before, Map<String, Long> after, int units) {
    Set<String> names = new HashSet<>(after.keySet());
    names.addAll(before.keySet());
    List<Map.Entry<String, Long>> deltas = new ArrayList<>();
    for (String n : names) {
      deltas.add(Map.entry(n, after.getOrDefault(n, 0L) - before.getOrDefault(n, 0L)));
    }
    deltas.sort(Comparator.comparingLong((Map.Entry<String, Long> e) -> e.getValue()).reversed());
    JsonObject out = new JsonObject();
    long rest = 0;
    for (int i = 0; i < deltas.size(); i++) {
      if (i < 12) {
        out.put(deltas.get(i).getKey(), Math.round((double) deltas.get(i).getValue() / units));
      } else {
        rest += deltas.get(i).getValue();
      }
    }
    return out.put("(all other classes)", Math.round((double) rest / units));
  }

  // ---- connecting ----

  /**
   * Starts generator processes for the idle rooms (sources 127.0.0.(10 + 20 × cycle + i)), runs {@code fleets} (the
   * bench's own joins) beside them, and returns the joined count and rate.
   */
  private JsonObject connectAll(ServerProcess node, List<Generator> generators, List<String> idle, int cycle,
                                Callable<Integer> fleets) throws Exception {
    int per = Math.max(1, perGenerator / 2);
    List<Generator> mine = new ArrayList<>();
    for (int from = 0, i = 0; from < idle.size(); from += per, i++) {
      Generator g = new Generator(node.port(), "127.0.0." + (10 + 20 * cycle + i), idle.subList(from,
          Math.min(idle.size(), from + per)));
      mine.add(g);
      generators.add(g);
    }
    long t0 = System.nanoTime();
    mine.forEach(Generator::go);
    int own = fleets == null ? 0 : fleets.call();
    int joined = own;
    int failed = 0;
    JsonArray each = new JsonArray();
    for (Generator g : mine) {
      String[] r = g.result(300).split(" ");
      joined += Integer.parseInt(r[1]);
      failed += Integer.parseInt(r[3]);
      each.add(new JsonObject().put("source", g.source).put("joined", Integer.parseInt(r[1]))
          .put("failed", Integer.parseInt(r[3])).put("ms", Long.parseLong(r[5])));
    }
    double secs = (System.nanoTime() - t0) / 1e9;
    if (failed > 0) {
      System.out.println("   WARNING: " + failed + " generator members did not join");
    }
    return new JsonObject().put("joined", joined).put("failed", failed).put("seconds", BenchMain.round(secs))
        .put("joinedPerSec", BenchMain.round(joined / secs)).put("generators", each);
  }

  /** The sum of every series of one meter in the node's scrape. */
  private static double sum(ServerProcess node, String name) {
    double sum = 0;
    for (String line : node.scrape().split("\n")) {
      if (line.startsWith(name + "{") || line.startsWith(name + " ")) {
        sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
      }
    }
    return sum;
  }

  /** Cumulative histogram buckets of one meter in the node's scrape, summed over its series, by {@code le}. */
  private static Map<String, Double> buckets(ServerProcess node, String name) {
    Map<String, Double> out = new java.util.TreeMap<>(Comparator.comparingDouble(Scale::le));
    for (String line : node.scrape().split("\n")) {
      if (line.startsWith(name + "{")) {
        int i = line.indexOf("le=\"");
        String le = line.substring(i + 4, line.indexOf('"', i + 4));
        out.merge(le, Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1)), Double::sum);
      }
    }
    return out;
  }

  private static double le(String le) {
    return le.equals("+Inf") ? Double.POSITIVE_INFINITY : Double.parseDouble(le);
  }

  /** Burns per bucket in the window: "≤ le seconds" → count (cumulative, as Prometheus keeps them). */
  private static JsonObject delta(Map<String, Double> before, Map<String, Double> after) {
    JsonObject out = new JsonObject();
    after.forEach((le, n) -> out.put(le, Math.round(n - before.getOrDefault(le, 0.0))));
    return out;
  }

  /** The smallest bucket bound (ms) that holds 99 % of the window's burns, or -1 if none burned. */
  private static double p99Bound(JsonObject cumulative) {
    long total = cumulative.getLong("+Inf", 0L);
    if (total == 0) {
      return -1;
    }
    List<String> les = new ArrayList<>(cumulative.fieldNames());
    les.sort(Comparator.comparingDouble(Scale::le));
    for (String le : les) {
      if (cumulative.getLong(le) >= Math.ceil(total * 0.99)) {
        return le.equals("+Inf") ? Double.POSITIVE_INFINITY : BenchMain.round(le(le) * 1000);
      }
    }
    return -1;
  }

  /** CPU time used so far by the node, this bench process, each generator process and the whole machine. */
  private record Cpu(long node, long bench, long generators, long machineBusy, long machineAll) {
    static Cpu now(ServerProcess node, List<Generator> generators) {
      long g = 0;
      for (Generator gen : generators) {
        g += gen.cpuNanos();
      }
      long[] m = machine();
      long own = ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory
          .getOperatingSystemMXBean()).getProcessCpuTime();
      return new Cpu(node.cpuNanos(), own, g, m[0], m[1]);
    }

    /** Cores each used between {@code before} and this, over {@code secs}; the machine's from /proc/stat. */
    JsonObject minus(Cpu before, double secs) {
      double machine = machineAll == before.machineAll ? 0
          : (double) (machineBusy - before.machineBusy) / (machineAll - before.machineAll)
              * Runtime.getRuntime().availableProcessors();
      return new JsonObject().put("node", BenchMain.round((node - before.node) / 1e9 / secs))
          .put("bench", BenchMain.round((bench - before.bench) / 1e9 / secs))
          .put("generators", BenchMain.round((generators - before.generators) / 1e9 / secs))
          .put("machine", BenchMain.round(machine));
    }

    /** {busy, all} jiffies of the first line of /proc/stat (idle and iowait are not busy). */
    private static long[] machine() {
      try {
        String[] f = java.nio.file.Files.readAllLines(Paths.get("/proc/stat")).get(0).trim().split("\\s+");
        long all = 0;
        for (int i = 1; i < f.length && i <= 8; i++) {
          all += Long.parseLong(f[i]);
        }
        return new long[] {all - Long.parseLong(f[4]) - Long.parseLong(f[5]), all};
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }

  /**
   * JFR recordings of the node (through {@code jcmd}, its repository moved to {@code dir} first so nothing lands on
   * the disk) and of this bench process, from about 10 s before a burst until after it.
   */
  private static final class Profiles {
    private final ServerProcess node;
    private final java.nio.file.Path dir;
    private final jdk.jfr.Recording own;

    private Profiles(ServerProcess node, java.nio.file.Path dir, jdk.jfr.Recording own) {
      this.node = node;
      this.dir = dir;
      this.own = own;
    }

    static Profiles start(ServerProcess node, java.nio.file.Path dir) throws Exception {
      java.nio.file.Files.createDirectories(dir.resolve("node-repo"));
      node.jcmdText("JFR.configure repositorypath=" + dir.resolve("node-repo"));
      node.jcmdText("JFR.start name=burst settings=profile");
      jdk.jfr.Recording r = new jdk.jfr.Recording(jdk.jfr.Configuration.getConfiguration("profile"));
      r.start();
      return new Profiles(node, dir, r);
    }

    JsonObject stop() throws Exception {
      java.nio.file.Path n = dir.resolve("node-" + node.pid() + ".jfr");
      java.nio.file.Path b = dir.resolve("bench-" + ProcessHandle.current().pid() + ".jfr");
      node.jcmdText("JFR.stop name=burst filename=" + n);
      own.stop();
      own.dump(b);
      own.close();
      return new JsonObject().put("node", n.toString()).put("bench", b.toString());
    }
  }

  private static double wsCount(ServerProcess node) {
    double sum = 0;
    for (String line : node.scrape().split("\n")) {
      if (line.startsWith("vertx_http_server_active_ws_connections")) {
        sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
      }
    }
    return sum;
  }

  // ---- expiry ----

  /**
   * {@code n} rooms whose {@code expiresAt} falls in the second that starts at {@code target}, each joined by two
   * members of {@code fleet} (scenarios f and g).
   */
  static List<Fleet.Room> expiringRooms(Fleet fleet, int port, int n, long target) {
    List<Callable<Future<Fleet.Room>>> creating = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      creating.add(() -> fleet.createRoom(port, (int) Math.ceil((target - System.currentTimeMillis()) / 1000.0)));
    }
    // few requests in flight: the TTL is whole seconds from the client's clock, so queueing delay widens the spread
    List<Fleet.Room> made = Fleet.throttled(creating, 4, 120_000);
    List<Callable<Future<Fleet.Member>>> joining = new ArrayList<>();
    for (Fleet.Room r : made) {
      fleet.adopt(r);
      joining.add(() -> fleet.connect(r, port));
      joining.add(() -> fleet.connect(r, port));
    }
    Fleet.throttled(joining, 64, 120_000);
    return made;
  }

  /** Each member's {@code burned} frame against its room's {@code expiresAt} (same machine, same clock). */
  static JsonObject lateness(List<Fleet.Room> made, long first, long last, long joinedAt) {
    Histogram late = new Histogram(60_000_000L, 3);
    int missing = 0;
    long minLate = Long.MAX_VALUE;
    for (Fleet.Room room : made) {
      for (Fleet.Member m : room.members) {
        if (m.burnedAtMillis == 0) {
          missing++;
        } else {
          long l = m.burnedAtMillis - room.expiresAt;
          minLate = Math.min(minLate, l);
          late.recordValue(Math.max(0, l) * 1000);
        }
      }
    }
    long[] sorted = made.stream().mapToLong(r -> r.expiresAt).sorted().toArray();
    int busiest = 0;
    for (int i = 0, j = 0; i < sorted.length; i++) {
      while (sorted[i] - sorted[j] >= 1000) {
        j++;
      }
      busiest = Math.max(busiest, i - j + 1);
    }
    return new JsonObject().put("rooms", made.size()).put("expiresAtSpreadMs", last - first)
        .put("roomsInBusiestSecond", busiest).put("joinedBeforeFirstExpiryMs", first - joinedAt)
        .put("burnedFrames", late.getTotalCount()).put("missingBurnedFrames", missing)
        .put("earliestMs", minLate == Long.MAX_VALUE ? 0 : minLate)
        .put("latenessP50Ms", BenchMain.ms(late.getValueAtPercentile(50)))
        .put("latenessP99Ms", BenchMain.ms(late.getValueAtPercentile(99)))
        .put("latenessMaxMs", BenchMain.ms(late.getMaxValue()));
  }

  // ---- active traffic ----

  private JsonObject activeTraffic(ServerProcess node, Fleet active, List<Generator> generators, List<String> idle,
                                   JsonArray connects) throws Exception {
    int warm = bench.num("scale-warmup", quick ? 5 : 30);
    active.startClosedLoop(bench.window);
    Thread.sleep(warm * 1000L);
    active.stopLoad();
    Thread.sleep(1500);
    List<Double> with = new ArrayList<>();
    List<Double> only = new ArrayList<>();
    JsonArray windows = new JsonArray();
    Mem afterTraffic = null;
    Mem beforeTraffic = mem(node);
    for (int round = 1; round <= rounds; round++) {
      if (round > 1) {
        JsonObject c = connectAll(node, generators, idle, round - 1, null);
        connects.add(c);
        System.out.println("   reconnected: " + c.encode());
      }
      double full = wsCount(node);
      JsonObject w = window(node, active).put("round", round).put("connected", "all").put("nodeWebSockets", full);
      with.add(w.getDouble("deliveredPerSec"));
      windows.add(w);
      if (round == rounds) {
        afterTraffic = mem(node);
      }
      generators.forEach(Generator::close);
      generators.clear();
      double expected = full - idle.size() * 2;
      long until = System.currentTimeMillis() + 60_000;
      double now;
      while ((now = wsCount(node)) > expected + 10 && System.currentTimeMillis() < until) {
        Thread.sleep(500);
      }
      JsonObject a = window(node, active).put("round", round).put("connected", "active rooms only")
          .put("nodeWebSockets", now);
      only.add(a.getDouble("deliveredPerSec"));
      windows.add(a);
      System.out.printf("   round %d: all connected %,.0f, active rooms only %,.0f delivered/s%n", round,
          w.getDouble("deliveredPerSec"), a.getDouble("deliveredPerSec"));
    }
    double mw = median(with);
    double ma = median(only);
    return new JsonObject().put("activeRooms", activeRooms).put("window", bench.window)
        .put("allConnectedDeliveredPerSec", BenchMain.round(mw)).put("activeOnlyDeliveredPerSec", BenchMain.round(ma))
        .put("ratio", BenchMain.round(mw / ma)).put("windows", windows)
        .put("heapPerActiveRoomAfterTrafficBytes", (afterTraffic.heap - beforeTraffic.heap) / activeRooms);
  }

  private JsonObject window(ServerProcess node, Fleet active) throws Exception {
    active.startClosedLoop(bench.window);
    Thread.sleep(Math.max(2, bench.warmupS / 2) * 1000L);
    JsonObject m = bench.measure(active, List.of(node), null);
    active.stopLoad();
    Thread.sleep(1500);
    return m;
  }

  private static double median(List<Double> values) {
    List<Double> s = new ArrayList<>(values);
    s.sort(Double::compare);
    return s.get(s.size() / 2);
  }

  // ---- a generator process ----

  /** One {@link ScaleGenerator} process: its idle rooms go in on stdin; it answers with one result line. */
  private final class Generator implements AutoCloseable {
    final String source;
    private final Process process;
    private final Writer in;
    private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();

    Generator(int port, String source, List<String> rooms) {
      this.source = source;
      int heapMiB = 96 + rooms.size() * 2 * 8 / 1024;
      List<String> cmd = List.of(Paths.get(System.getProperty("java.home"), "bin", "java").toString(),
          "-Xmx" + heapMiB + "m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-XX:-UsePerfData",
          "-Djava.library.path=" + System.getProperty("java.library.path", ""),
          "-cp", System.getProperty("java.class.path"), ScaleGenerator.class.getName(),
          String.valueOf(port), source, ServerProcess.TRANSPORT, "2", "128");
      try {
        process = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      Thread pump = new Thread(() -> {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(),
            StandardCharsets.US_ASCII))) {
          String line;
          while ((line = r.readLine()) != null) {
            lines.add(line);
          }
        } catch (IOException ignored) {
          // the process went away
        }
      }, "generator-" + source);
      pump.setDaemon(true);
      pump.start();
      in = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.US_ASCII);
      try {
        String ready = lines.poll(60, TimeUnit.SECONDS);
        if (ready == null || !ready.startsWith("generator ready")) {
          throw new IllegalStateException("generator " + source + " did not start: " + ready);
        }
        StringBuilder sb = new StringBuilder();
        for (String id : rooms) {
          sb.append("r ").append(id).append('\n');
        }
        in.write(sb.toString());
        in.flush();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
    }

    void go() {
      try {
        in.write("go\n");
        in.flush();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }

    /** "joined N failed F ms T". */
    String result(int timeoutS) throws InterruptedException {
      String line = lines.poll(timeoutS, TimeUnit.SECONDS);
      if (line == null || !line.startsWith("joined ")) {
        throw new IllegalStateException("generator " + source + " answered " + line);
      }
      return line;
    }

    long cpuNanos() {
      return process.toHandle().info().totalCpuDuration().map(java.time.Duration::toNanos).orElse(0L);
    }

    /** Ends the process: its sockets drop without a close frame, as after a crash or a lost network. */
    @Override
    public void close() {
      try {
        in.write("exit\n");
        in.flush();
      } catch (IOException ignored) {
        // already gone
      }
      try {
        if (!process.waitFor(20, TimeUnit.SECONDS)) {
          process.destroyForcibly();
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        process.destroyForcibly();
      }
    }
  }
}
