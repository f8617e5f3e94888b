package io.burnroom.edge;

import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServerRequest;
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
 * already uses, so {@link #sweep} (about once a second) notices an ended response at the next sweep; a deadline is
 * therefore up to one sweep late, never early. Confined to the event loop of the edge that owns the connections.
 */
final class RequestDeadlines {
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
  private final Map<HttpConnection, Watch> open = new HashMap<>();

  RequestDeadlines(long headMs) {
    this.headMs = headMs;
  }

  void opened(HttpConnection c, long now) {
    open.put(c, new Watch(now));
    c.closeHandler(v -> open.remove(c));
  }

  /** A request's head arrived. */
  void request(HttpServerRequest req, long now) {
    Watch w = open.get(req.connection());
    if (w != null) {
      w.current = req;
      w.since = now;
    }
  }

  /** The connection is a WebSocket now: no longer ours to time. */
  void upgraded(HttpConnection c) {
    if (open.remove(c) != null) {
      c.closeHandler(null);
    }
  }

  /** Closes every overdue connection. */
  void sweep(long now) {
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
