package io.burnroom.metrics;

import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.datagram.DatagramSocketOptions;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.core.metrics.MetricsOptions;
import io.vertx.core.net.NetClientOptions;
import io.vertx.core.net.NetServerOptions;
import io.vertx.core.net.SocketAddress;
import io.vertx.core.spi.VertxMetricsFactory;
import io.vertx.core.spi.metrics.ClientMetrics;
import io.vertx.core.spi.metrics.DatagramSocketMetrics;
import io.vertx.core.spi.metrics.EventBusMetrics;
import io.vertx.core.spi.metrics.HttpClientMetrics;
import io.vertx.core.spi.metrics.HttpServerMetrics;
import io.vertx.core.spi.metrics.PoolMetrics;
import io.vertx.core.spi.metrics.TCPMetrics;
import io.vertx.core.spi.metrics.VertxMetrics;
import io.vertx.micrometer.Label;
import io.vertx.micrometer.MetricsDomain;
import io.vertx.micrometer.MicrometerMetricsFactory;
import io.vertx.micrometer.MicrometerMetricsOptions;
import java.util.EnumSet;

/**
 * vertx-micrometer-metrics for everything, except the event bus, whose meters {@link BusMeters} resolves once (the
 * per-message lookups of Vert.x's own were a measurable share of a cluster's relay CPU; docs/decisions.md 26).
 */
public final class NodeMetricsFactory implements VertxMetricsFactory {
  private final MicrometerMetricsFactory micrometer;
  private final MeterRegistry registry;

  public NodeMetricsFactory(MeterRegistry registry) {
    this.micrometer = new MicrometerMetricsFactory(registry);
    this.registry = registry;
  }

  @Override
  public VertxMetrics metrics(VertxOptions options) {
    VertxMetrics vertxMetrics = micrometer.metrics(options);
    MicrometerMetricsOptions micrometerOptions = options.getMetricsOptions() instanceof MicrometerMetricsOptions m ? m
        : new MicrometerMetricsOptions(options.getMetricsOptions().toJson());
    if (micrometerOptions.getDisabledMetricsCategories().contains(MetricsDomain.EVENT_BUS.toCategory())) {
      return vertxMetrics;
    }
    if (micrometerOptions.getLabels().contains(Label.EB_ADDRESS)) {
      // BusMeters' fixed set of meters has no address label, and an address label would expose room ids anyway
      throw new IllegalArgumentException("Burnroom never labels event-bus meters by address");
    }
    if (!micrometerOptions.getLabels().containsAll(EnumSet.of(Label.EB_SIDE, Label.EB_FAILURE))) {
      // BusMeters always tags side and failure; without those labels Vert.x's meters would have other series
      throw new IllegalArgumentException("Burnroom's event-bus meters are always labelled by side and failure");
    }
    return new LeanBus(vertxMetrics, new BusMeters(registry, micrometerOptions.getMetricsNaming()));
  }

  @Override
  public MetricsOptions newOptions() {
    return micrometer.newOptions();
  }

  @Override
  public MetricsOptions newOptions(MetricsOptions options) {
    return micrometer.newOptions(options);
  }

  @Override
  public MetricsOptions newOptions(JsonObject options) {
    return micrometer.newOptions(options);
  }

  /** Vert.x's metrics with the event bus's replaced; every other method passes straight through. */
  private record LeanBus(VertxMetrics delegate, BusMeters bus) implements VertxMetrics {
    @Override
    public EventBusMetrics<?> createEventBusMetrics() {
      return bus;
    }

    @Override
    public HttpServerMetrics<?, ?, ?> createHttpServerMetrics(HttpServerOptions options, SocketAddress localAddress) {
      return delegate.createHttpServerMetrics(options, localAddress);
    }

    @Override
    public ClientMetrics<?, ?, ?> createClientMetrics(SocketAddress remoteAddress, String type, String namespace) {
      return delegate.createClientMetrics(remoteAddress, type, namespace);
    }

    @Override
    public HttpClientMetrics<?, ?, ?> createHttpClientMetrics(HttpClientOptions options) {
      return delegate.createHttpClientMetrics(options);
    }

    @Override
    public TCPMetrics<?> createNetServerMetrics(NetServerOptions options, SocketAddress localAddress) {
      return delegate.createNetServerMetrics(options, localAddress);
    }

    @Override
    public TCPMetrics<?> createNetClientMetrics(NetClientOptions options) {
      return delegate.createNetClientMetrics(options);
    }

    @Override
    public DatagramSocketMetrics createDatagramSocketMetrics(DatagramSocketOptions options) {
      return delegate.createDatagramSocketMetrics(options);
    }

    @Override
    public PoolMetrics<?, ?> createPoolMetrics(String poolType, String poolName, int maxPoolSize) {
      return delegate.createPoolMetrics(poolType, poolName, maxPoolSize);
    }

    @Override
    public void vertxCreated(Vertx vertx) {
      delegate.vertxCreated(vertx);
    }

    @Override
    public boolean isMetricsEnabled() {
      return delegate.isMetricsEnabled();
    }

    @Override
    public void close() {
      delegate.close();
    }
  }
}
