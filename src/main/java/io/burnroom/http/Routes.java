package io.burnroom.http;

import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.Route;

/** Route conventions shared by the chat and management listeners. */
public final class Routes {
  private Routes() {
  }

  /**
   * Every GET route also answers HEAD: the same handler runs, and Vert.x sends the GET answer's status and headers
   * (Content-Length included) without the body. Monitors and link checkers use HEAD; a 405 there looked like an outage.
   */
  public static Route getOrHead(Route route) {
    return route.method(HttpMethod.GET).method(HttpMethod.HEAD);
  }
}
