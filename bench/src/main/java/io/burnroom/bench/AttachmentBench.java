package io.burnroom.bench;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicLong;

/**
 * (h) Attachment fan-out (issue 28): every member of every room sends 1 MiB files, one after another, in the web
 * client's padded chunks (65,500 base64 characters each), keeping a window of 4 unacknowledged chunks; each chunk
 * goes to the room's other members. Measured: chunk bytes delivered per second to all receivers, the servers' CPU,
 * and the node's heap after a full GC taken while the load runs. Against one Burnroom node, two clustered nodes
 * (members alternate between them), and the {@link BareRelay} carrying the same frames (it answers each chunk with a
 * {@code chunk_ack} too, so both are driven by the same window). Burnroom runs with its default chunk budgets (its
 * flow control: a node delivers at most 256 MiB/s of chunks), or with them raised out of the way
 * ({@code --attachment-raised}) to measure the relay path alone, as the msg rate is raised for (a)-(c).
 */
final class AttachmentBench {
  static final int BODY_CHARS = 65_500;
  /** 1 MiB of file in chunks of 49,125 bytes (65,500 base64 characters). */
  static final int CHUNKS_PER_FILE = (1024 * 1024 + 49_124) / 49_125;
  static final int WINDOW = 4;
  private static final byte[] CHUNK_PREFIX = "{\"type\":\"chunk\"".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] ACK_PREFIX = "{\"type\":\"chunk_ack\"".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] JOINED_PREFIX = "{\"type\":\"joined\"".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] ERROR_PREFIX = "{\"type\":\"error\"".getBytes(StandardCharsets.US_ASCII);
  private static final double MIB = 1024.0 * 1024.0;

  /** Starts the servers of one system (BenchMain's, so nodes get the same flags as in every other scenario). */
  interface Servers {
    List<ServerProcess> start(String label, Fleet.Kind kind, int nodes, Map<String, String> extra);
  }

  private final Servers servers;
  private final int rooms;
  private final int members;
  private final int warmupS;
  private final int measureS;
  private final byte[] body;

  private final boolean raised;

  AttachmentBench(Servers servers, int rooms, int members, int warmupS, int measureS, boolean raised) {
    this.raised = raised;
    this.servers = servers;
    this.rooms = rooms;
    this.members = members;
    this.warmupS = warmupS;
    this.measureS = measureS;
    char[] b = new char[BODY_CHARS];
    String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    java.util.Random random = new java.util.Random(11);
    for (int i = 0; i < b.length; i++) {
      b[i] = alphabet.charAt(random.nextInt(64));
    }
    this.body = new String(b).getBytes(StandardCharsets.US_ASCII);
  }

  JsonObject run() throws Exception {
    JsonObject out = new JsonObject().put("rooms", rooms).put("membersPerRoom", members)
        .put("chunksPerFile", CHUNKS_PER_FILE).put("chunkBodyChars", BODY_CHARS).put("window", WINDOW);
    Map<String, String> limits = raised ? Map.of("BURNROOM_NODE_BYTES_PER_SECOND", String.valueOf(Integer.MAX_VALUE),
        "BURNROOM_ROOM_BYTES_PER_SECOND", String.valueOf(Integer.MAX_VALUE),
        "BURNROOM_CHUNK_BYTES_PER_SECOND_PER_CONNECTION", String.valueOf(Integer.MAX_VALUE)) : Map.of();
    out.put("budgets", raised ? "raised" : "defaults");
    out.put("relay", system("relay-1node", Fleet.Kind.RELAY, 1, limits));
    out.put("burnroom", system("burnroom-1node", Fleet.Kind.BURNROOM, 1, limits));
    out.put("burnroom2", system("burnroom-2nodes", Fleet.Kind.BURNROOM, 2, limits));
    return out;
  }

  private JsonObject system(String label, Fleet.Kind kind, int nodes, Map<String, String> extra) throws Exception {
    List<ServerProcess> procs = servers.start(label, kind, nodes, extra);
    Fleet fleet = new Fleet(kind, 2, 16, procs.get(0).transport());
    List<Sender> all = new ArrayList<>();
    try {
      List<Callable<Future<Fleet.Room>>> creating = new ArrayList<>();
      for (int i = 0; i < rooms; i++) {
        int port = procs.get(i % nodes).port();
        int index = i;
        creating.add(() -> kind == Fleet.Kind.RELAY
            ? Future.succeededFuture(fleet.relayRoom(index)) : fleet.createRoom(port, 3600));
      }
      List<Callable<Future<Sender>>> joining = new ArrayList<>();
      for (Fleet.Room room : Fleet.throttled(creating, 8, 60_000)) {
        fleet.adopt(room);
        for (int j = 0; j < members; j++) {
          int port = procs.get(j % nodes).port();
          joining.add(() -> connect(fleet, room, port, kind, all));
        }
      }
      Fleet.throttled(joining, 1, 120_000);
      all.forEach(s -> s.room.lane.ctx.runOnContext(v -> s.start()));
      Thread.sleep(warmupS * 1000L);
      long bytes0 = Sender.DELIVERED.get();
      long acked0 = Sender.ACKED.get();
      long cpu0 = procs.stream().mapToLong(ServerProcess::cpuNanos).sum();
      long t0 = System.nanoTime();
      Thread.sleep(measureS * 1000L);
      double secs = (System.nanoTime() - t0) / 1e9;
      long delivered = Sender.DELIVERED.get() - bytes0;
      double files = (Sender.ACKED.get() - acked0) / (double) CHUNKS_PER_FILE;
      long cpu = procs.stream().mapToLong(ServerProcess::cpuNanos).sum() - cpu0;
      // the heap while the load still runs: what the transfers keep alive, after a full GC. GC.heap_info's "used"
      // also counts what the load allocated between the GC and the reading (hundreds of MiB at these rates), so the
      // live objects of the class histogram (its own full GC) are what bounds memory.
      List<Long> live = procs.stream().map(ServerProcess::liveBytes).toList();
      List<Long> heaps = procs.stream().map(ServerProcess::heapAfterGcBytes).toList();
      List<Long> rss = procs.stream().map(ServerProcess::rssBytes).toList();
      all.forEach(s -> s.room.lane.ctx.runOnContext(v -> s.stop()));
      JsonObject r = new JsonObject().put("nodes", nodes)
          .put("deliveredMiBPerSec", BenchMain.round(delivered / MIB / secs))
          .put("filesPerSec", BenchMain.round(files / secs))
          .put("serverCpuCores", BenchMain.round(cpu / 1e9 / secs))
          .put("heapAfterGcMiB", heaps.stream().map(h -> BenchMain.round(h / MIB)).toList())
          .put("liveHeapMiB", live.stream().map(h -> BenchMain.round(h / MIB)).toList())
          .put("rssMiB", rss.stream().map(h -> BenchMain.round(h / MIB)).toList())
          .put("errors", Sender.ERRORS.getAndSet(0))
          .put("closed", all.stream().filter(s -> s.closedCode != 0).count());
      System.out.printf("   %-16s %8.1f MiB/s delivered, %6.1f files/s, server %.2f cores, heap after GC %s MiB, "
              + "live heap %s MiB, errors %d, closed %d%n", label, r.getDouble("deliveredMiBPerSec"),
          r.getDouble("filesPerSec"), r.getDouble("serverCpuCores"), r.getJsonArray("heapAfterGcMiB"),
          r.getJsonArray("liveHeapMiB"), r.getLong("errors"), r.getLong("closed"));
      return r;
    } finally {
      for (Sender s : all) {
        s.room.lane.ctx.runOnContext(v -> s.ws.close(1000));
      }
      Thread.sleep(500);
      fleet.close();
      procs.forEach(ServerProcess::close);
    }
  }

  private Future<Sender> connect(Fleet fleet, Fleet.Room room, int port, Fleet.Kind kind, List<Sender> all) {
    Promise<Sender> result = Promise.promise();
    room.lane.ctx.runOnContext(v -> {
      Sender s = new Sender(room, body);
      LeanSocket.connect(room.lane.loop, fleet.vertx.isNativeTransportEnabled(), "127.0.0.1", port,
          "/ws/rooms/" + room.id, s).compose(ws -> {
            s.ws = ws;
            synchronized (all) {
              all.add(s);
            }
            if (kind == Fleet.Kind.RELAY) {
              return Future.succeededFuture(s);
            }
            ws.send(Fleet.JOIN_FRAME);
            return s.joined.future();
          }).onComplete(result);
    });
    return result.future();
  }

  /** One member: sends files chunk by chunk with a window of unacked chunks, and counts what it receives. */
  private static final class Sender implements LeanSocket.Listener {
    static final AtomicLong DELIVERED = new AtomicLong();
    static final AtomicLong ACKED = new AtomicLong();
    static final AtomicLong ERRORS = new AtomicLong();
    final Fleet.Room room;
    final byte[] body;
    final Promise<Sender> joined = Promise.promise();
    LeanSocket ws;
    boolean running;
    int inFlight;
    long nextChunk;
    int closedCode;
    private final String idPrefix = Long.toString(System.nanoTime(), 36) + ".";

    Sender(Fleet.Room room, byte[] body) {
      this.room = room;
      this.body = body;
    }

    void start() {
      running = true;
      while (inFlight < WINDOW) {
        sendNext();
      }
    }

    void stop() {
      running = false;
    }

    private void sendNext() {
      long n = nextChunk++;
      inFlight++;
      byte[] head = ("{\"type\":\"chunk\",\"id\":\"" + idPrefix + n + "\",\"body\":\"").getBytes(StandardCharsets.US_ASCII);
      ws.send(head, body, TAIL);
    }

    private static final byte[] TAIL = "\"}".getBytes(StandardCharsets.US_ASCII);

    @Override
    public void onMessage(LeanSocket socket, byte[] prefix, int length, int size) {
      if (startsWith(prefix, length, CHUNK_PREFIX)) {
        DELIVERED.addAndGet(size);
      } else if (startsWith(prefix, length, ACK_PREFIX)) {
        inFlight--;
        ACKED.incrementAndGet();
        if (running) {
          sendNext();
        }
      } else if (startsWith(prefix, length, JOINED_PREFIX)) {
        joined.tryComplete(this);
      } else if (startsWith(prefix, length, ERROR_PREFIX)) {
        ERRORS.incrementAndGet(); // a refused chunk (rate_limited): it left the window unacknowledged
        inFlight--;
        if (running) {
          sendNext();
        }
      }
    }

    @Override
    public void onClose(LeanSocket socket, int code, String reason) {
      closedCode = code;
      joined.tryFail("closed " + code + " " + reason);
    }

    private static boolean startsWith(byte[] prefix, int length, byte[] p) {
      return length >= p.length && Arrays.equals(prefix, 0, p.length, p, 0, p.length);
    }
  }
}
