package io.burnroom.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Burnroom's own meters. Labels are bounded enums only (reason, kind): never a room id, name, profile or address.
 * One instance per node; all methods are cheap and thread-safe.
 */
public final class BurnroomMetrics {
  public enum BurnReason { EXPIRED, CREATOR, FAILOVER_EXPIRED }

  public enum RateLimit { ROOM_CREATE, MESSAGE, CONNECT }

  private final MeterRegistry registry;
  private final AtomicInteger roomsActive = new AtomicInteger();
  private final AtomicInteger membersConnected = new AtomicInteger();
  private final Counter roomsCreated;
  private final Counter messagesRelayed;
  private final Counter bytesRelayed;
  private final Counter pinFailures;
  private final Counter lockouts;
  private final Counter failovers;
  private final DistributionSummary burnLateness;

  public BurnroomMetrics(MeterRegistry registry) {
    this.registry = registry;
    registry.gauge("burnroom_rooms_active", roomsActive);
    registry.gauge("burnroom_members_connected", membersConnected);
    roomsCreated = Counter.builder("burnroom_rooms_created").description("Rooms created on this node").register(registry);
    messagesRelayed = Counter.builder("burnroom_messages_relayed").description("Messages accepted and relayed").register(registry);
    bytesRelayed = Counter.builder("burnroom_relayed_bytes").description("Ciphertext bytes accepted for relay")
        .baseUnit("bytes").register(registry);
    pinFailures = Counter.builder("burnroom_pin_failures").description("Wrong creator PINs").register(registry);
    lockouts = Counter.builder("burnroom_pin_lockouts").description("Sources locked out of admin").register(registry);
    failovers = Counter.builder("burnroom_failovers").description("Rooms restored on this node after a node loss").register(registry);
    burnLateness = DistributionSummary.builder("burnroom_burn_lateness_seconds")
        .description("Actual burn time minus expiresAt").baseUnit("seconds")
        .publishPercentileHistogram().minimumExpectedValue(0.001).maximumExpectedValue(10.0).register(registry);
    for (BurnReason r : BurnReason.values()) {
      burned(r);
    }
    for (RateLimit k : RateLimit.values()) {
      rateLimited(k);
    }
  }

  /** Meters that go nowhere, for unit tests of code that needs an instance. */
  public static BurnroomMetrics noop() {
    return new BurnroomMetrics(new SimpleMeterRegistry());
  }

  public MeterRegistry registry() { return registry; }

  public void roomOpened() {
    roomsActive.incrementAndGet();
  }

  public void roomCreated() {
    roomsCreated.increment();
  }

  public void roomClosed() {
    roomsActive.decrementAndGet();
  }

  public void roomBurned(BurnReason reason, long latenessMs) {
    burned(reason).increment();
    if (reason != BurnReason.CREATOR) {
      burnLateness.record(Math.max(0, latenessMs) / 1000.0);
    }
  }

  public void memberConnected() { membersConnected.incrementAndGet(); }
  public void memberDisconnected() { membersConnected.decrementAndGet(); }

  public void relayed(int bodyChars) {
    messagesRelayed.increment();
    bytesRelayed.increment(bodyChars);
  }

  public void pinFailure() { pinFailures.increment(); }
  public void lockout() { lockouts.increment(); }
  public void failover() { failovers.increment(); }

  public void rateLimitedEvent(RateLimit kind) {
    rateLimited(kind).increment();
  }

  public int roomsActive() { return roomsActive.get(); }
  public int membersConnected() { return membersConnected.get(); }

  private Counter burned(BurnReason reason) {
    return Counter.builder("burnroom_rooms_burned").description("Rooms burned, by reason")
        .tag("reason", reason.name().toLowerCase(java.util.Locale.ROOT)).register(registry);
  }

  private Counter rateLimited(RateLimit kind) {
    return Counter.builder("burnroom_rate_limited").description("Requests refused by a rate limit, by kind")
        .tag("kind", kind.name().toLowerCase(java.util.Locale.ROOT)).register(registry);
  }
}
