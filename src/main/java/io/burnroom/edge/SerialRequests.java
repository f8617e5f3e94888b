package io.burnroom.edge;

import io.burnroom.bus.RoomReply;
import io.burnroom.bus.RoomRequest;
import io.vertx.core.Future;
import java.util.function.BooleanSupplier;

/**
 * One socket's room requests, run one after another: each starts once the one before was answered, so a retried
 * request never lets a later one overtake it. Used on the socket's event loop only.
 */
final class SerialRequests {
  private final RoomRequests rooms;
  private final String roomId;
  /** The last request still running, if any. */
  private Future<?> last;

  SerialRequests(RoomRequests rooms, String roomId) {
    this.rooms = rooms;
    this.roomId = roomId;
  }

  /** Sends {@code request} after the ones before it; tried again (after a move) only while {@code wanted} holds. */
  <R extends RoomReply> Future<R> call(RoomRequest<R> request, BooleanSupplier wanted) {
    Future<R> f = last == null ? rooms.request(roomId, request, wanted)
        : last.transform(ignored -> rooms.request(roomId, request, wanted));
    last = f;
    // Forget it once done: an idle socket then holds no future (nor the join reply a future would keep).
    f.onComplete(ignored -> {
      if (last == f) {
        last = null;
      }
    });
    return f;
  }
}
