package io.burnroom.ops;

import io.burnroom.http.RequestDeadlines;
import io.burnroom.http.Routes;
import io.burnroom.metrics.BurnroomMetrics;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.VerticleBase;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.time.Clock;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.BooleanSupplier;

/**
 * The operators' listener, separate from the chat port and bound to 127.0.0.1 by default: {@code /metrics}
 * (Prometheus text), {@code /health/live}, {@code /health/ready}, the live page {@code /ops} (with its charting
 * library, which only this listener serves) and {@code /client-bundle}, the hashes of the client code the chat port
 * serves. Every second it
 * publishes this node's {@link OpsSample} on {@value #OPS_SAMPLES} and keeps the latest sample of every node it
 * hears there, so any node's {@code /ops} shows the whole cluster. Owns only its HTTP server and those samples.
 * Its connections get the chat port's request deadlines: an operator may expose the port to a monitoring network,
 * and a client dripping header bytes would otherwise hold its sockets for ever.
 */
public final class ManagementVerticle extends VerticleBase {
  /** Cluster-wide broadcast of per-node samples for the ops page; carries aggregate numbers only. */
  public static final String OPS_SAMPLES = "burnroom.ops.sample";
  static final long SAMPLE_EVERY_MS = 1000;
  /** A node not heard from for this long has left (or is stuck): it drops off the page. */
  static final long SAMPLE_STALE_MS = 5000;

  static final String CSP = String.join("; ",
      "default-src 'none'",
      "script-src 'self'",
      "style-src 'self'",
      "img-src 'self'",
      "connect-src 'self'",
      "base-uri 'none'",
      "form-action 'none'",
      "frame-ancestors 'none'");

  /** URL path → class-path resource: the page, and uPlot from its webjar (never from a CDN). */
  private static final Map<String, String> ASSETS = Map.of(
      "/ops", "ops/index.html",
      "/ops/ops.js", "ops/ops.js",
      "/ops/ops.css", "ops/ops.css",
      "/ops/favicon.svg", "ops/favicon.svg",
      "/ops/vendor/uPlot.iife.min.js", "META-INF/resources/webjars/uplot/1.6.30/dist/uPlot.iife.min.js",
      "/ops/vendor/uPlot.min.css", "META-INF/resources/webjars/uplot/1.6.30/dist/uPlot.min.css",
      "/ops/vendor/uPlot.LICENSE", "META-INF/resources/webjars/uplot/1.6.30/LICENSE");

  private final String host;
  private final int port;
  private final PrometheusMeterRegistry registry;
  private final BurnroomMetrics metrics;
  private final String nodeId;
  private final Clock clock;
  private final BooleanSupplier ready;
  private final RequestDeadlines deadlines;
  private final Buffer clientBundle;
  /** Latest sample per node, with the local time it arrived. Touched on this verticle's event loop only. */
  private final Map<String, JsonObject> samples = new TreeMap<>();
  private Map<String, Buffer> assets;
  private MessageConsumer<JsonObject> sampleConsumer;
  private long sampleTimer = -1;
  private long deadlineSweeper = -1;
  private HttpServer server;

  /**
   * @param headMs       how long a connection may take for its first request head (the chat port's join timeout)
   * @param clientBundle the JSON served on {@code /client-bundle}
   */
  public ManagementVerticle(String host, int port, PrometheusMeterRegistry registry, BurnroomMetrics metrics,
                            String nodeId, Clock clock, BooleanSupplier ready, long headMs, JsonObject clientBundle) {
    this.host = host;
    this.port = port;
    this.registry = registry;
    this.metrics = metrics;
    this.nodeId = nodeId;
    this.clock = clock;
    this.ready = ready;
    this.deadlines = new RequestDeadlines(headMs, clock);
    this.clientBundle = clientBundle.toBuffer();
  }

  @Override
  public Future<?> start() {
    sampleConsumer = vertx.eventBus().consumer(OPS_SAMPLES, this::onSample);
    return vertx.executeBlocking(ManagementVerticle::loadAssets, false)
        .compose(loaded -> {
          assets = loaded;
          return sampleConsumer.completion();
        })
        .compose(v -> deadlines.serve(vertx.createHttpServer(
            RequestDeadlines.watchable(new HttpServerOptions()).setHost(host).setPort(port)), router()).listen())
        .onSuccess(s -> {
          server = s;
          deadlineSweeper = deadlines.startSweeping(vertx);
          sampleTimer = vertx.setPeriodic(1, SAMPLE_EVERY_MS, id -> publishSample());
        });
  }

  @Override
  public Future<?> stop() {
    vertx.cancelTimer(sampleTimer);
    vertx.cancelTimer(deadlineSweeper);
    return server == null ? Future.succeededFuture() : server.close();
  }

  public int actualPort() {
    return server.actualPort();
  }

  private Router router() {
    Router r = Router.router(vertx);
    r.route().handler(this::headers);
    r.get("/metrics").handler(this::scrape);
    // HEAD as well as GET, like the chat port's health checks (a monitor may probe with either).
    Routes.getOrHead(r.route("/health/live")).handler(ctx -> health(ctx, true));
    Routes.getOrHead(r.route("/health/ready")).handler(ctx -> health(ctx, ready.getAsBoolean()));
    r.get("/client-bundle").handler(ctx -> ctx.response().putHeader("Content-Type", "application/json")
        .end(clientBundle));
    r.get("/ops/samples").handler(this::samples);
    r.get("/ops/").handler(ctx -> ctx.redirect("/ops"));
    r.get("/ops*").handler(this::asset);
    return r;
  }

  private void headers(RoutingContext ctx) {
    MultiMap h = ctx.response().headers();
    h.set("Content-Security-Policy", CSP);
    io.burnroom.http.SecurityHeaders.applyCommon(h);
    ctx.next();
  }

  private void scrape(RoutingContext ctx) {
    // Scraping walks every meter: keep it off the event loop.
    vertx.executeBlocking(registry::scrape, false)
        .onSuccess(text -> ctx.response().putHeader("Content-Type", "text/plain; version=0.0.4; charset=utf-8").end(text))
        .onFailure(e -> ctx.response().setStatusCode(500).end());
  }

  private static void health(RoutingContext ctx, boolean up) {
    Buffer body = new JsonObject().put("status", up ? "UP" : "DOWN").toBuffer();
    // Content-Length explicit: Vert.x omits it on a HEAD answer, which must carry the GET answer's headers.
    ctx.response().setStatusCode(up ? 200 : 503).putHeader("Content-Type", "application/json")
        .putHeader("Content-Length", String.valueOf(body.length())).end(body);
  }

  private void asset(RoutingContext ctx) {
    String path = ctx.normalizedPath();
    Buffer content = assets.get(path);
    if (content == null) {
      ctx.response().setStatusCode(404).putHeader("Content-Type", "text/plain; charset=utf-8").end("Not found");
      return;
    }
    ctx.response().putHeader("Content-Type", contentType(ASSETS.get(path))).end(content);
  }

  // ---- cluster samples ----

  private void publishSample() {
    vertx.eventBus().publish(OPS_SAMPLES, OpsSample.of(nodeId, clock.millis(), metrics));
  }

  private void onSample(Message<JsonObject> msg) {
    JsonObject s = msg.body();
    String node = s.getString("node");
    if (node != null) {
      samples.put(node, s.copy().put("receivedAt", clock.millis()));
    }
  }

  private void samples(RoutingContext ctx) {
    long now = clock.millis();
    samples.values().removeIf(s -> now - s.getLong("receivedAt") > SAMPLE_STALE_MS);
    JsonArray nodes = new JsonArray();
    samples.values().forEach(s -> nodes.add(s.copy().put("self", nodeId.equals(s.getString("node")))));
    ctx.response().putHeader("Content-Type", "application/json")
        .end(new JsonObject().put("time", now).put("nodes", nodes).encode());
  }

  // ---- assets ----

  /** Reads the page and uPlot into memory once; nothing is ever extracted to disk. */
  private static Map<String, Buffer> loadAssets() {
    Map<String, Buffer> out = new HashMap<>();
    ClassLoader cl = ManagementVerticle.class.getClassLoader();
    for (Map.Entry<String, String> a : ASSETS.entrySet()) {
      try (InputStream in = cl.getResourceAsStream(a.getValue())) {
        if (in == null) {
          throw new IllegalStateException(a.getValue() + " is missing from the class path");
        }
        out.put(a.getKey(), Buffer.buffer(in.readAllBytes()));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return Map.copyOf(out);
  }

  private static String contentType(String resource) {
    if (resource.endsWith(".html")) return "text/html; charset=utf-8";
    if (resource.endsWith(".js")) return "text/javascript; charset=utf-8";
    if (resource.endsWith(".css")) return "text/css; charset=utf-8";
    if (resource.endsWith(".svg")) return "image/svg+xml";
    if (resource.endsWith("LICENSE")) return "text/plain; charset=utf-8";
    return "application/octet-stream";
  }
}
