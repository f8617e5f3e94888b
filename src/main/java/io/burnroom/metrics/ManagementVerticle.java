package io.burnroom.metrics;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.function.BooleanSupplier;

/**
 * The operators' listener, separate from the chat port and bound to 127.0.0.1 by default: {@code /metrics}
 * (Prometheus text) and {@code /health/live}, {@code /health/ready}. Owns no state beyond its HTTP server.
 */
public final class ManagementVerticle extends VerticleBase {
  private final String host;
  private final int port;
  private final PrometheusMeterRegistry registry;
  private final BooleanSupplier ready;
  private HttpServer server;

  public ManagementVerticle(String host, int port, PrometheusMeterRegistry registry, BooleanSupplier ready) {
    this.host = host;
    this.port = port;
    this.registry = registry;
    this.ready = ready;
  }

  @Override
  public Future<?> start() {
    Router r = Router.router(vertx);
    r.route().handler(ctx -> {
      ctx.response().putHeader("Cache-Control", "no-store").putHeader("X-Content-Type-Options", "nosniff");
      ctx.next();
    });
    r.get("/metrics").handler(this::scrape);
    r.get("/health/live").handler(ctx -> health(ctx, true));
    r.get("/health/ready").handler(ctx -> health(ctx, ready.getAsBoolean()));
    return vertx.createHttpServer(new HttpServerOptions().setHost(host).setPort(port))
        .requestHandler(r).listen().onSuccess(s -> server = s);
  }

  public int actualPort() {
    return server.actualPort();
  }

  private void scrape(RoutingContext ctx) {
    // Scraping walks every meter: keep it off the event loop.
    vertx.executeBlocking(registry::scrape, false)
        .onSuccess(text -> ctx.response().putHeader("Content-Type", "text/plain; version=0.0.4; charset=utf-8").end(text))
        .onFailure(e -> ctx.response().setStatusCode(500).end());
  }

  private static void health(RoutingContext ctx, boolean up) {
    ctx.response().setStatusCode(up ? 200 : 503).putHeader("Content-Type", "application/json")
        .end(new JsonObject().put("status", up ? "UP" : "DOWN").encode());
  }
}
