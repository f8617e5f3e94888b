package io.burnroom.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.VertxOptions;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.spi.metrics.EventBusMetrics;
import io.vertx.micrometer.Label;
import io.vertx.micrometer.MicrometerMetricsFactory;
import io.vertx.micrometer.MicrometerMetricsOptions;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Collectors;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * {@link BusMeters} must scrape exactly as vertx-micrometer-metrics' own event-bus meters do for the same events —
 * names, help, types, tags and values — so that replacing it changes nothing an operator sees.
 */
class BusMetersTest {
  private static final EnumSet<Label> LABELS = EnumSet.of(Label.EB_SIDE, Label.EB_FAILURE, Label.HTTP_CODE);

  /** A registry name of its own each time: Vert.x keeps one backend per name and would reuse another test's. */
  private static VertxOptions options() {
    return new VertxOptions().setMetricsOptions(new MicrometerMetricsOptions().setEnabled(true).setLabels(LABELS)
        .setRegistryName("bus-meters-test-" + UUID.randomUUID()));
  }

  /** The same script of events: every kind, both sides, internal addresses that neither counts, every failure. */
  @SuppressWarnings({"unchecked", "rawtypes"})
  private static void drive(EventBusMetrics bus) {
    Object a = bus.handlerRegistered("room.abc");
    Object b = bus.handlerRegistered("edge.1");
    Object internal = bus.handlerRegistered("__vertx.reply.1");
    Object gone = bus.handlerRegistered("room.gone");
    bus.handlerUnregistered(gone);
    bus.handlerUnregistered(internal);
    for (boolean local : new boolean[] {true, false}) {
      for (int i = 0; i < (local ? 5 : 3); i++) {
        bus.messageSent("room.abc", false, local, !local);
        bus.messageSent("edge.1", true, local, !local);
        bus.messageReceived("room.abc", false, local, 1);
        bus.messageReceived("edge.1", true, local, 2);
        bus.messageDelivered(a, local);
        bus.messageDelivered(b, local);
      }
      bus.messageReceived("nobody.listens", false, local, 0);
      bus.messageReceived("room.abc", false, local, 1);
      bus.discardMessage(a, local, null);
      bus.messageReceived("room.abc", false, local, 1); // still pending at the scrape
      bus.messageSent("__vertx.reply.2", false, local, !local);
      bus.messageReceived("__vertx.reply.2", false, local, 1);
      bus.messageDelivered(internal, local);
    }
    bus.messageWritten("room.abc", 1200);
    bus.messageWritten("room.abc", 80);
    bus.messageRead("edge.1", 640);
    bus.messageWritten("__vertx.reply.2", 99);
    for (ReplyFailure failure : ReplyFailure.values()) {
      for (int i = 0; i <= failure.ordinal(); i++) {
        bus.replyFailure("room.abc", failure);
      }
    }
    bus.replyFailure("__vertx.reply.3", ReplyFailure.TIMEOUT);
  }

  private static List<String> eventBusLines(PrometheusMeterRegistry registry) {
    return Arrays.stream(registry.scrape().split("\n"))
        .filter(line -> line.contains("vertx_eventbus_"))
        .sorted().toList();
  }

  @Test
  @DisplayName("after the same events, the event-bus lines of the scrape equal vertx-micrometer-metrics' own")
  void scrapesLikeVertx() {
    PrometheusMeterRegistry vertxOwn = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    drive(new MicrometerMetricsFactory(vertxOwn).metrics(options()).createEventBusMetrics());
    PrometheusMeterRegistry ours = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    drive(new NodeMetricsFactory(ours).metrics(options()).createEventBusMetrics());

    List<String> expected = eventBusLines(vertxOwn);
    assertThat(expected).as("the script reaches every meter").hasSizeGreaterThan(40)
        .anyMatch(l -> l.equals("vertx_eventbus_pending{side=\"remote\"} 4.0"))
        .anyMatch(l -> l.equals("vertx_eventbus_reply_failures_total{failure=\"RECIPIENT_FAILURE\"} 3.0"));
    assertThat(eventBusLines(ours)).containsExactlyElementsOf(expected);
  }

  @Test
  @DisplayName("every series exists at zero before the first message, so rate() has a start")
  void seriesStartAtZero() {
    PrometheusMeterRegistry ours = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    new NodeMetricsFactory(ours).metrics(options()).createEventBusMetrics();
    Map<String, Long> seriesPerMetric = new Scrape(ours.scrape()).samples().stream()
        .filter(s -> s.name().startsWith("vertx_eventbus_"))
        .peek(s -> assertThat(s.value()).as(s.toString()).isZero())
        .collect(Collectors.groupingBy(Scrape.Sample::name, Collectors.counting()));
    assertThat(seriesPerMetric).containsEntry("vertx_eventbus_sent_total", 2L)
        .containsEntry("vertx_eventbus_pending", 2L).containsEntry("vertx_eventbus_handlers", 1L)
        .containsEntry("vertx_eventbus_reply_failures_total", (long) ReplyFailure.values().length)
        .containsKeys("vertx_eventbus_bytes_read_count", "vertx_eventbus_bytes_written_sum");
  }

  @Test
  @DisplayName("an address label is refused: the fixed meters have none, and addresses carry room ids")
  void refusesAddressLabel() {
    VertxOptions withAddress = new VertxOptions().setMetricsOptions(new MicrometerMetricsOptions().setEnabled(true)
        .setLabels(EnumSet.of(Label.EB_ADDRESS, Label.EB_SIDE, Label.EB_FAILURE))
        .setRegistryName("bus-meters-test-" + UUID.randomUUID()));
    assertThatThrownBy(() -> new NodeMetricsFactory(new PrometheusMeterRegistry(PrometheusConfig.DEFAULT))
        .metrics(withAddress)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("address");
  }

  @Test
  @DisplayName("options without the side or failure label are refused: the fixed meters always carry both")
  void refusesMissingSideLabel() {
    VertxOptions withoutSide = new VertxOptions().setMetricsOptions(new MicrometerMetricsOptions().setEnabled(true)
        .setLabels(EnumSet.of(Label.EB_FAILURE)).setRegistryName("bus-meters-test-" + UUID.randomUUID()));
    assertThatThrownBy(() -> new NodeMetricsFactory(new PrometheusMeterRegistry(PrometheusConfig.DEFAULT))
        .metrics(withoutSide)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("side");
  }
}
