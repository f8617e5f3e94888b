package io.burnroom.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.micrometer.Label;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Burnroom's own meters. Labels are bounded enums only (reason, kind): never a room id, name, profile or address.
 * One instance per node; all methods are cheap and thread-safe. Every meter exists from start-up (at zero), so
 * dashboards and alerts see a series before the first event.
 */
public final class BurnroomMetrics {
  public enum BurnReason { EXPIRED, CREATOR, FAILOVER_EXPIRED }

  /**
   * What refused or cut off a request, a frame or a socket: the {@code kind} and {@code reason} labels of
   * {@code burnroom_rate_limited_total}. {@code kind} keeps the three values dashboards have always summed by;
   * {@code reason} tells apart the causes that share one: a flood from a slow reader from the admin budget, a source's
   * rate from a full node. PIN lockouts have meters of their own ({@code burnroom_pin_*}).
   */
  public enum Limit {
    /** A source's room creations per minute (429). */
    ROOM_CREATE_RATE("room_create", "source_rate"),
    /** The node hosts as many rooms as it may (503 node_full). */
    ROOMS_NODE_FULL("room_create", "node_full"),
    /** A source's WebSocket handshakes per minute (429). */
    CONNECT_RATE("connect", "source_rate"),
    /** The node holds as many sockets as it may (503 node_full). */
    SOCKETS_NODE_FULL("connect", "node_full"),
    /** A frame over its connection's rate (error rate_limited; sustained, close 4029). */
    FLOOD("message", "flood"),
    /** A reader too far behind its socket's writes (close 4013, to resume). */
    SLOW_CONSUMER("message", "slow_consumer"),
    /** An admin frame over its source's budget of admin attempts (error rate_limited). */
    ADMIN_RATE("message", "admin_rate"),
    /** A join to a room with as many members as it may (close 4003). */
    ROOM_FULL("join", "room_full"),
    /** An attachment chunk past its room's byte budget's debt (error rate_limited, socket open). */
    CHUNK_ROOM_BUDGET("chunk", "room_budget"),
    /** An attachment chunk past the node's byte budget's debt (error rate_limited, socket open). */
    CHUNK_NODE_BUDGET("chunk", "node_budget"),
    /**
     * An attachment chunk that waited too long in its room for the edges of a node holding its recipients to take
     * the room's earlier chunks (decision 50; error rate_limited, socket open).
     */
    CHUNK_CREDIT("chunk", "delivery_credit");

    private final String kind;
    private final String reason;

    Limit(String kind, String reason) {
      this.kind = kind;
      this.reason = reason;
    }
  }

  /** What made an attachment chunk's ack wait: the {@code reason} label of {@code burnroom_chunks_paced_total}. */
  public enum ChunkPace {
    /** The sender's connection budget (edge). */
    CONNECTION_BUDGET,
    /** The room's byte budget. */
    ROOM_BUDGET,
    /** The node's byte budget, shared by its rooms. */
    NODE_BUDGET,
    /** The chunk waited in its room for the edges of a node to take the room's earlier chunks (decision 50). */
    DELIVERY_CREDIT
  }

  /** Burn lateness buckets: the promise is ±100 ms, the alert fires at p99 > 1 s. */
  private static final Duration[] LATENESS_BUCKETS = {
      Duration.ofMillis(5), Duration.ofMillis(10), Duration.ofMillis(25), Duration.ofMillis(50),
      Duration.ofMillis(100), Duration.ofMillis(250), Duration.ofMillis(500), Duration.ofSeconds(1),
      Duration.ofMillis(2500), Duration.ofSeconds(5), Duration.ofSeconds(10)};

  private final MeterRegistry registry;
  private final AtomicInteger roomsActive = new AtomicInteger();
  private final AtomicInteger membersConnected = new AtomicInteger();
  private final Counter roomsCreated;
  private final Counter messagesRelayed;
  private final Counter bytesRelayed;
  private final Counter pinFailures;
  private final Counter lockouts;
  private final Counter failovers;
  private final Timer burnLateness;
  private final Map<Limit, Counter> limited = new EnumMap<>(Limit.class);
  private final Counter chunksRelayed;
  private final Counter chunkBytesDelivered;
  private final Counter chunkCreditExpired;
  private final Map<ChunkPace, Counter> chunksPaced = new EnumMap<>(ChunkPace.class);

  public BurnroomMetrics(MeterRegistry registry) {
    this.registry = registry;
    Gauge.builder("burnroom_rooms_active", roomsActive, AtomicInteger::get)
        .description("Rooms live on this node (the rooms it owns); sum over nodes for the cluster").register(registry);
    Gauge.builder("burnroom_members_connected", membersConnected, AtomicInteger::get)
        .description("Joined WebSockets held by this node's edge").register(registry);
    // Not "burnroom_rooms_created": Prometheus reserves the _created suffix and would drop it from the name.
    roomsCreated = Counter.builder("burnroom_room_creations").description("Rooms created on this node").register(registry);
    messagesRelayed = Counter.builder("burnroom_messages_relayed").description("Messages accepted and relayed").register(registry);
    bytesRelayed = Counter.builder("burnroom_relayed_bytes").description("Ciphertext bytes accepted for relay")
        .baseUnit("bytes").register(registry);
    pinFailures = Counter.builder("burnroom_pin_failures")
        .description("Admin attempts refused by the PIN guard (wrong PIN, or any attempt while locked out)")
        .register(registry);
    lockouts = Counter.builder("burnroom_pin_lockouts")
        .description("Admin attempts answered with a lockout (the one that starts it, and any while it lasts)")
        .register(registry);
    failovers = Counter.builder("burnroom_failovers").description("Rooms restored on this node after a node loss")
        .register(registry);
    burnLateness = Timer.builder("burnroom_burn_lateness")
        .description("Actual burn time minus expiresAt, for rooms burned by their timer or after a failover")
        .serviceLevelObjectives(LATENESS_BUCKETS).register(registry);
    for (BurnReason r : BurnReason.values()) {
      burned(r);
    }
    chunksRelayed = Counter.builder("burnroom_chunks_relayed")
        .description("Attachment chunks relayed by this node's rooms").register(registry);
    chunkBytesDelivered = Counter.builder("burnroom_chunk_delivered_bytes")
        .description("Attachment chunk bytes this node's rooms delivered: each chunk's body times its recipients")
        .baseUnit("bytes").register(registry);
    chunkCreditExpired = Counter.builder("burnroom_chunk_credit_expired")
        .description("Chunk deliveries whose edges never reported them taken; their credit came back by expiry")
        .register(registry);
    for (ChunkPace p : ChunkPace.values()) {
      chunksPaced.put(p, Counter.builder("burnroom_chunks_paced")
          .description("Attachment chunks whose ack was held back, by what held it")
          .tag("reason", p.name().toLowerCase(Locale.ROOT)).register(registry));
    }
    for (Limit l : Limit.values()) {
      limited.put(l, Counter.builder("burnroom_rate_limited")
          .description("Requests, frames and sockets refused or cut off by a rate or capacity limit, by kind and reason")
          .tag("kind", l.kind).tag("reason", l.reason).register(registry));
    }
  }

  /**
   * Keeps the scrape clean for {@code promtool check metrics}: three JVM binder meters carry abbreviated units or a
   * {@code _count} suffix in their Prometheus names. Install before any meter is registered.
   */
  public static void lintClean(MeterRegistry registry) {
    registry.config()
        .meterFilter(MeterFilter.denyNameStartsWith("jvm.compilation.time"))
        .meterFilter(MeterFilter.denyNameStartsWith("process.cpu.time"))
        .meterFilter(new MeterFilter() {
          @Override
          public Meter.Id map(Meter.Id id) {
            return "system.cpu.count".equals(id.getName()) ? id.withName("system.cpus") : id;
          }
        });
  }

  /** Request methods kept as they are in the HTTP meters' {@code method} label; any other is counted as "other". */
  static final Set<String> HTTP_METHODS = Set.of("GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH", "TRACE",
      "CONNECT");

  /**
   * A request's method is whatever token the client sends, and Vert.x labels the HTTP meters with it: every invented
   * method would be a dozen new series kept for the node's life, so a client could grow the registry and the scrape
   * without bound. Install before any meter is registered.
   */
  public static void boundClientLabels(MeterRegistry registry) {
    registry.config().meterFilter(MeterFilter.replaceTagValues(Label.HTTP_METHOD.toString(),
        method -> HTTP_METHODS.contains(method) ? method : "other"));
  }

  /** Meters that go nowhere, for unit tests of code that needs an instance. */
  public static BurnroomMetrics noop() {
    return new BurnroomMetrics(new SimpleMeterRegistry());
  }

  public MeterRegistry registry() { return registry; }

  /**
   * {@code burnroom_cluster_map_entries}: entries of the room maps this node holds, backups included (a count from
   * the cluster, e.g. {@code LocalEntries}); only clustered nodes have it.
   */
  public void clusterMapEntries(java.util.function.LongSupplier entries) {
    Gauge.builder("burnroom_cluster_map_entries", entries, s -> (double) s.getAsLong())
        .description("Entries of the room maps (directory, snapshots, frames) held by this node, backups included")
        .strongReference(true) // the supplier is a lambda nobody else holds: a weak reference would lose it
        .register(registry);
  }

  /**
   * {@code burnroom_chunk_deliveries_in_flight}: chunk deliveries this node's rooms relayed that the receiving edges
   * have not yet written, all nodes together (decision 50).
   */
  public void chunkDeliveriesInFlight(java.util.function.IntSupplier inFlight) {
    Gauge.builder("burnroom_chunk_deliveries_in_flight", inFlight, s -> (double) s.getAsInt())
        .description("Attachment chunk deliveries relayed by this node's rooms and not yet written by the edges")
        .strongReference(true).register(registry);
  }

  /** A chunk relayed: {@code deliveredBytes} is its body times its recipients. */
  public void chunkRelayed(long deliveredBytes) {
    chunksRelayed.increment();
    chunkBytesDelivered.increment(deliveredBytes);
  }

  public void chunkPaced(ChunkPace why) {
    chunksPaced.get(why).increment();
  }

  public void chunkCreditExpired(int deliveries) {
    chunkCreditExpired.increment(deliveries);
  }

  public double chunksPaced(ChunkPace why) { return chunksPaced.get(why).count(); }
  public double chunksRelayed() { return chunksRelayed.count(); }

  public void roomOpened() {
    roomsActive.incrementAndGet();
  }

  public void roomCreated() {
    roomsCreated.increment();
  }

  public void roomClosed() {
    roomsActive.decrementAndGet();
  }

  /** A creator's burn is on purpose and early, so only timer and failover burns count towards lateness. */
  public void roomBurned(BurnReason reason, long latenessMs) {
    burned(reason).increment();
    if (reason != BurnReason.CREATOR) {
      burnLateness.record(Math.max(0, latenessMs), TimeUnit.MILLISECONDS);
    }
  }

  public void memberConnected() { membersConnected.incrementAndGet(); }
  public void memberDisconnected() { membersConnected.decrementAndGet(); }

  /** Bodies arrive as unpadded base64: 4 characters carry 3 bytes of ciphertext. */
  public void relayed(int bodyChars) {
    messagesRelayed.increment();
    bytesRelayed.increment(bodyChars * 3L / 4);
  }

  public void pinFailure() { pinFailures.increment(); }
  public void lockout() { lockouts.increment(); }
  public void failover() { failovers.increment(); }

  public void limited(Limit limit) {
    limited.get(limit).increment();
  }

  public int roomsActive() { return roomsActive.get(); }
  public int membersConnected() { return membersConnected.get(); }
  public double messagesRelayed() { return messagesRelayed.count(); }
  public long burnsTimed() { return burnLateness.count(); }
  public double burnLatenessTotalMs() { return burnLateness.totalTime(TimeUnit.MILLISECONDS); }
  public double burnLatenessMaxMs() { return burnLateness.max(TimeUnit.MILLISECONDS); }
  public double limitedCount(Limit limit) { return limited.get(limit).count(); }

  private Counter burned(BurnReason reason) {
    return Counter.builder("burnroom_rooms_burned").description("Rooms burned, by reason")
        .tag("reason", reason.name().toLowerCase(Locale.ROOT)).register(registry);
  }
}
