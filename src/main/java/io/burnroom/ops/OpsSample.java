package io.burnroom.ops;

import io.burnroom.metrics.BurnroomMetrics;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.json.JsonObject;

/**
 * One node's numbers for the operators' page, at one instant: the same aggregate values the Prometheus scrape
 * exposes, as a small JSON object that travels over the event bus. Counters are totals; the page derives rates.
 * Carries the node id (a random cluster-member id) and nothing that names a room, member or address.
 */
public final class OpsSample {
  private OpsSample() {
  }

  public static JsonObject of(String nodeId, long now, BurnroomMetrics metrics) {
    MeterRegistry r = metrics.registry();
    return new JsonObject()
        .put("node", nodeId)
        .put("time", now)
        .put("rooms", metrics.roomsActive())
        .put("members", metrics.membersConnected())
        .put("messages", metrics.messagesRelayed())
        .put("ebPending", gaugeSum(r, "vertx.eventbus.pending"))
        .put("ebProcessed", counterSum(r, "vertx.eventbus.processed"))
        .put("burns", metrics.burnsTimed())
        .put("burnLatenessTotalMs", metrics.burnLatenessTotalMs())
        .put("burnLatenessMaxMs", metrics.burnLatenessMaxMs());
  }

  private static double gaugeSum(MeterRegistry r, String name) {
    return r.find(name).gauges().stream().mapToDouble(Gauge::value).filter(v -> !Double.isNaN(v)).sum();
  }

  private static double counterSum(MeterRegistry r, String name) {
    return r.find(name).counters().stream().mapToDouble(Counter::count).sum();
  }
}
