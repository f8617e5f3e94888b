package io.burnroom.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.spi.metrics.EventBusMetrics;
import io.vertx.micrometer.Label;
import io.vertx.micrometer.MetricsDomain;
import io.vertx.micrometer.MetricsNaming;

import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/**
 * The event-bus meters of vertx-micrometer-metrics (same names, help texts and {@code side}/{@code failure} tags, so
 * dashboards and alerts do not change), each resolved once instead of once per message.
 *
 * <p>Why: Vert.x's own implementation builds {@code Tags}, a {@code Meter.Id} and a registry lookup for every sent,
 * received, delivered, written and read message — several per relayed frame on a cluster, where every frame crosses
 * the bus. Burnroom never labels by address (addresses carry room ids), so the set of meters is small and fixed: one
 * per kind and side. Unlike Vert.x, every series exists from the start at zero, which Prometheus' {@code rate()}
 * prefers. {@code BusMetersTest} proves the scrape equals Vert.x's for the same events.
 */
final class BusMeters implements EventBusMetrics<Object> {
  /** The handle of a counted (non-internal) handler; all handlers share the meters, so one object serves all. */
  private static final Object COUNTED = new Object();
  private static final String SIDE = Label.EB_SIDE.toString();
  private static final String[] SIDES = {"local", "remote"};

  private final LongAdder handlers = new LongAdder();
  private final LongAdder[] pending = {new LongAdder(), new LongAdder()};
  private final Counter[] processed;
  private final Counter[] discarded;
  private final Counter[] published;
  private final Counter[] sent;
  private final Counter[] received;
  private final Counter[] delivered;
  private final DistributionSummary bytesWritten;
  private final DistributionSummary bytesRead;
  private final Map<ReplyFailure, Counter> replyFailures = new EnumMap<>(ReplyFailure.class);

  BusMeters(MeterRegistry registry, MetricsNaming names) {
    String prefix = MetricsDomain.EVENT_BUS.getPrefix();
    Gauge.builder(prefix + names.getEbHandlers(), handlers, LongAdder::doubleValue)
        .description("Number of event bus handlers in use").strongReference(true).register(registry);
    for (int side = 0; side < 2; side++) {
      Gauge.builder(prefix + names.getEbPending(), pending[side], LongAdder::doubleValue)
          .description("Number of messages not processed yet").tag(SIDE, SIDES[side]).strongReference(true)
          .register(registry);
    }
    processed = perSide(registry, prefix + names.getEbProcessed(), "Number of processed messages");
    discarded = perSide(registry, prefix + names.getEbDiscarded(), "Number of discarded messages");
    published = perSide(registry, prefix + names.getEbPublished(),
        "Number of messages published (publish / subscribe)");
    sent = perSide(registry, prefix + names.getEbSent(), "Number of messages sent (point-to-point)");
    received = perSide(registry, prefix + names.getEbReceived(), "Number of messages received");
    delivered = perSide(registry, prefix + names.getEbDelivered(), "Number of messages delivered to handlers");
    bytesWritten = DistributionSummary.builder(prefix + names.getEbBytesWritten())
        .description("Number of bytes sent while sending messages to event bus cluster peers").register(registry);
    bytesRead = DistributionSummary.builder(prefix + names.getEbBytesRead())
        .description("Number of bytes received while reading messages from event bus cluster peers").register(registry);
    for (ReplyFailure failure : ReplyFailure.values()) {
      replyFailures.put(failure, Counter.builder(prefix + names.getEbReplyFailures())
          .description("Number of message reply failures").tag(Label.EB_FAILURE.toString(), failure.name())
          .register(registry));
    }
  }

  private static Counter[] perSide(MeterRegistry registry, String name, String description) {
    Counter[] counters = new Counter[2];
    for (int side = 0; side < 2; side++) {
      counters[side] = Counter.builder(name).description(description).tag(SIDE, SIDES[side]).register(registry);
    }
    return counters;
  }

  /** Vert.x's own request-reply and cluster plumbing, which its implementation leaves out too. */
  private static boolean internal(String address) {
    return address.startsWith("__vertx.");
  }

  private static int side(boolean local) {
    return local ? 0 : 1;
  }

  @Override
  public Object handlerRegistered(String address) {
    if (internal(address)) {
      return null; // Vert.x passes the handle back; null means "not counted" in every method below
    }
    handlers.increment();
    return COUNTED;
  }

  @Override
  public void handlerUnregistered(Object handler) {
    if (handler != null) {
      handlers.decrement();
    }
  }

  @Override
  public void messageDelivered(Object handler, boolean local) {
    if (handler != null) {
      pending[side(local)].decrement();
      processed[side(local)].increment();
    }
  }

  @Override
  public void discardMessage(Object handler, boolean local, Message<?> msg) {
    if (handler != null) {
      pending[side(local)].decrement();
      discarded[side(local)].increment();
    }
  }

  @Override
  public void messageSent(String address, boolean publish, boolean local, boolean remote) {
    if (!internal(address)) {
      (publish ? published : sent)[side(local)].increment();
    }
  }

  @Override
  public void messageReceived(String address, boolean publish, boolean local, int handlerCount) {
    if (!internal(address)) {
      received[side(local)].increment();
      if (handlerCount > 0) {
        pending[side(local)].add(handlerCount);
        delivered[side(local)].increment();
      }
    }
  }

  @Override
  public void messageWritten(String address, int numberOfBytes) {
    if (!internal(address)) {
      bytesWritten.record(numberOfBytes);
    }
  }

  @Override
  public void messageRead(String address, int numberOfBytes) {
    if (!internal(address)) {
      bytesRead.record(numberOfBytes);
    }
  }

  @Override
  public void replyFailure(String address, ReplyFailure failure) {
    if (!internal(address)) {
      replyFailures.get(failure).increment();
    }
  }
}
