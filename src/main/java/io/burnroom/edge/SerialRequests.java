package io.burnroom.edge;

import io.burnroom.bus.RoomReply;
import io.burnroom.bus.RoomRequest;
import io.burnroom.wire.ErrorCode;
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

  /**
   * Sends {@code request} after the ones before it, if {@code wanted} still holds then (otherwise it fails with
   * {@code node_shutting_down} unsent); tried again (after a move) only while it holds.
   */
  <R extends RoomReply> Future<R> call(RoomRequest<R> request, BooleanSupplier wanted) {
    Future<R> f = last == null ? start(request, wanted) : last.transform(ignored -> start(request, wanted));
    last = f;
    // Forget it once done: an idle socket then holds no future (nor the join reply a future would keep).
    f.onComplete(ignored -> {
      if (last == f) {
        last = null;
      }
    });
    return f;
  }

  private <R extends RoomReply> Future<R> start(RoomRequest<R> request, BooleanSupplier wanted) {
    return wanted.getAsBoolean() ? rooms.request(roomId, request, wanted)
        : Future.failedFuture(new RoomClient.RoomError(ErrorCode.NODE_SHUTTING_DOWN));
  }
}
