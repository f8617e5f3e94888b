package io.burnroom.edge;

import io.burnroom.cluster.Routes;
import io.burnroom.config.AppConfig;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;

/**
 * What every edge instance of one node shares. A node runs one edge per event loop (they share the listening port, so
 * sockets spread over the cores), but its per-source budgets and its socket cap are the node's, not an instance's:
 * otherwise a source would get one budget per core.
 */
public final class EdgeShared {
  final SourceLimiter roomCreation;
  final SourceLimiter connects;
  final SourceLimiter adminAttempts;
  final AtomicInteger sockets = new AtomicInteger();
  /** Which attachment chunk deliveries every edge has written (decision 50). */
  final ChunkReceipts receipts = new ChunkReceipts();
  /** False while the node lacks its cluster's quorum: room requests are refused at once (decision 48). */
  final BooleanSupplier serving;
  /** The node's event-bus routes: a room request that got no answer drops its room's (decision 66). */
  final Routes routes;

  public EdgeShared(AppConfig config, BooleanSupplier serving, Routes routes) {
    this.serving = serving;
    this.routes = routes;
    int perMinute = config.limits().roomsPerMinute();
    this.roomCreation = new SourceLimiter(perMinute / 60.0, perMinute);
    this.connects = new SourceLimiter(config.connectsPerMinutePerSource() / 60.0, config.connectsPerMinutePerSource());
    this.adminAttempts = new SourceLimiter(config.adminAttemptsPerMinutePerSource() / 60.0,
        config.adminAttemptsPerMinutePerSource());
  }
}
