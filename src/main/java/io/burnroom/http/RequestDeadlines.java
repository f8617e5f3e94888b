package io.burnroom.http;

import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Closes plain HTTP connections that hold a socket without making progress: one that has not finished its first
 * request head within {@code headMs} of connecting (a slowloris client dripping header bytes, which an idle timeout
 * never catches, or a silent one), and one that takes longer than {@link #REQUEST_FACTOR} times that for a request
 * (head, body and response) or between two requests (an idle keep-alive, or the next head). The longer second limit
 * keeps an idle keep-alive open longer than load balancers and browsers wait before reusing one, so they do not race
 * its close; it still bounds how long any connection can hold a socket without finishing a request. A WebSocket
 * leaves this watch once upgraded: the room's join timeout and ticks govern it from then on, and nothing of it is
 * kept here.
 *
 * <p>Vert.x reports a request once its head is complete and a response's end only through the handler vertx-web
 * already uses, so a sweep (about once a second) notices an ended response at the next sweep; a deadline is
 * therefore up to one sweep late, never early. Confined to the event loop of the verticle that owns the server (an
 * edge, or the management listener, which is as open to a dripping client where an operator exposes it).
 */
public final class RequestDeadlines {
  /** A request in progress, or the wait for the next one, may take this many head deadlines. */
  static final int REQUEST_FACTOR = 6;

  private static final class Watch {
    HttpServerRequest current;
    boolean served; // a response has ended on this connection
    long since;

    Watch(long since) {
      this.since = since;
    }
  }

  private final long headMs;
  private final Clock clock;
  private final Map<HttpConnection, Watch> open = new HashMap<>();

  public RequestDeadlines(long headMs, Clock clock) {
    this.headMs = headMs;
    this.clock = clock;
  }

  /**
   * {@code options} fit for these deadlines: no cleartext HTTP/2 (browsers never use it). With it, Vert.x builds the
   * HTTP/1 connection only after a whole first request head (it reads the head looking for an h2c upgrade), so a
   * dripping client would never be seen; without it the connection exists from its first byte.
   */
  public static HttpServerOptions watchable(HttpServerOptions options) {
    return options.setHttp2ClearTextEnabled(false);
  }

  /** Puts {@code server}'s connections under these deadlines and hands each request on to {@code next}. */
  public HttpServer serve(HttpServer server, Handler<HttpServerRequest> next) {
    return server.connectionHandler(c -> opened(c, clock.millis())).requestHandler(req -> {
      request(req, clock.millis());
      next.handle(req);
    });
  }

  /** Sweeps every quarter of a head deadline (0.1 to 1 s) on the caller's context; returns the timer's id. */
  public long startSweeping(Vertx vertx) {
    return vertx.setPeriodic(Math.max(100, Math.min(1000, headMs / 4)), id -> sweep(clock.millis()));
  }

  private void opened(HttpConnection c, long now) {
    open.put(c, new Watch(now));
    c.closeHandler(v -> open.remove(c));
  }

  /** A request's head arrived. */
  private void request(HttpServerRequest req, long now) {
    Watch w = open.get(req.connection());
    if (w != null) {
      w.current = req;
      w.since = now;
    }
  }

  /** The connection is a WebSocket now: no longer ours to time. */
  public void upgraded(HttpConnection c) {
    if (open.remove(c) != null) {
      c.closeHandler(null);
    }
  }

  /** Closes every overdue connection. */
  private void sweep(long now) {
    List<HttpConnection> overdue = new ArrayList<>();
    open.forEach((c, w) -> {
      if (w.current != null && w.current.response().ended()) {
        w.current = null; // back to waiting for the next head, from now
        w.served = true;
        w.since = now;
      }
      long limit = w.current == null && !w.served ? headMs : headMs * REQUEST_FACTOR;
      if (now - w.since >= limit) {
        overdue.add(c);
      }
    });
    overdue.forEach(c -> {
      open.remove(c);
      c.close();
    });
  }
}
