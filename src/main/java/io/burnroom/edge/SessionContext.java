package io.burnroom.edge;

import io.burnroom.config.ChunkLimits;
import io.burnroom.config.Limits;
import io.burnroom.metrics.BurnroomMetrics;
import io.burnroom.wire.ClientFrameParser;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import java.time.Clock;

/**
 * What a {@link SocketSession} works with, shared by every socket of one edge instance and handed to each at
 * construction, so a session never reaches back into the verticle that accepted it (and is tested without one).
 *
 * @param nodeId  this node, named in joins so the room knows where to deliver
 * @param chunks  attachment chunk limits (decision 47)
 * @param rooms   requests to rooms over the bus ({@link RoomClient})
 * @param timers  the event loop's timers (the join timeout)
 * @param flushes the edge's once-per-turn flush of written sockets
 * @param sockets the edge's table of sockets, told when a session joins and when it ends
 * @param admin   the node's per-source budget of admin attempts
 */
record SessionContext(String nodeId, Limits limits, ChunkLimits chunks, ClientFrameParser parser, Clock clock, BurnroomMetrics metrics,
                      RoomRequests rooms, Timers timers, FlushBatch flushes, LocalSockets sockets, SourceBudget admin) {

  /** The event loop's timers, as far as a session uses them (Vert.x's, or a test's hand-run ones). */
  interface Timers {
    long setTimer(long delayMs, Handler<Long> handler);

    boolean cancelTimer(long id);

    /** Vert.x's timers: a handler runs on the context that set it. */
    static Timers of(Vertx vertx) {
      return new Timers() {
        @Override
        public long setTimer(long delayMs, Handler<Long> handler) {
          return vertx.setTimer(delayMs, handler);
        }

        @Override
        public boolean cancelTimer(long id) {
          return vertx.cancelTimer(id);
        }
      };
    }
  }
}
