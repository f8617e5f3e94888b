package io.burnroom.edge;

import io.burnroom.bus.RoomReply;
import io.burnroom.bus.RoomRequest;
import io.vertx.core.Future;
import java.util.function.BooleanSupplier;

/** Requests from the edge to a room, answered with the room's reply or failed with a {@link RoomClient.RoomError}. */
interface RoomRequests {
  /** The answer's type is the request's. */
  <R extends RoomReply> Future<R> request(String roomId, RoomRequest<R> body);

  /** Like {@link #request(String, RoomRequest)}, but tried again only while {@code wanted} holds. */
  default <R extends RoomReply> Future<R> request(String roomId, RoomRequest<R> body, BooleanSupplier wanted) {
    return request(roomId, body);
  }
}
