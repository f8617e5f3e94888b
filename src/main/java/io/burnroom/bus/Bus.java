package io.burnroom.bus;

import io.burnroom.wire.ErrorCode;
import io.vertx.core.Future;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;

/**
 * The only way onto the event bus for edge, room, room host and the node's wiring: each method takes one family of
 * {@link BusMessage}, so nothing else (no {@code JsonObject}, no op string) can be sent between them, and
 * {@code ArchitectureTest} fails the build on a direct {@code EventBus} or {@code Message.reply} call elsewhere.
 *
 * <p>A refused request fails with an {@link ErrorCode}, encoded here ({@link #fail}) and decoded here
 * ({@link #errorOf}), nowhere else: the failure carries the code's name (the ordinal is only the number Vert.x asks
 * for).
 */
public final class Bus {
  public static final long REQUEST_TIMEOUT_MS = 5_000;
  private static final DeliveryOptions LOCAL = new DeliveryOptions().setLocalOnly(true);
  private static final DeliveryOptions LOCAL_REQUEST =
      new DeliveryOptions().setLocalOnly(true).setSendTimeout(REQUEST_TIMEOUT_MS);

  private Bus() {
  }

  /** Edge → room, wherever in the cluster it lives; the answer's type is the request's. */
  public static <R extends RoomReply> Future<R> request(EventBus bus, String roomId, RoomRequest<R> request,
                                                        DeliveryOptions options) {
    return bus.<R>request(Addresses.room(roomId), request, options).map(Message::body);
  }

  /** Edge → room, wherever it lives; nobody answers (a room that is gone drops it). */
  public static void send(EventBus bus, String roomId, RoomNotice notice) {
    bus.send(Addresses.room(roomId), notice);
  }

  /** Edge → this node's room host. */
  public static Future<HostReply.Created> request(EventBus bus, HostRequest.Create create) {
    return bus.<HostReply.Created>request(Addresses.ROOM_HOST, create, LOCAL_REQUEST).map(Message::body);
  }

  /** Room → this node's room host; nobody answers. */
  public static void send(EventBus bus, HostRequest.Gone gone) {
    bus.send(Addresses.ROOM_HOST, gone, LOCAL);
  }

  /** Room → every edge of {@code nodeId}. */
  public static void publish(EventBus bus, String nodeId, EdgeEvent event) {
    bus.publish(Addresses.edge(nodeId), event);
  }

  /** Node wiring → this node's rooms and room host. */
  public static void publish(EventBus bus, NodeEvent event) {
    String address = event instanceof NodeEvent.NodeLeft ? Addresses.NODE_LEFT
        : event instanceof NodeEvent.NodeJoined ? Addresses.NODE_JOINED : Addresses.CLUSTER_MERGED;
    bus.publish(address, event, LOCAL);
  }

  public static void reply(Message<?> request, RoomReply reply) {
    request.reply(reply);
  }

  public static void reply(Message<?> request, HostReply reply) {
    request.reply(reply);
  }

  /** Refuses a request with {@code code}: what {@link #errorOf} reads back on the asking side. */
  public static void fail(Message<?> request, ErrorCode code) {
    request.fail(code.ordinal(), code.name());
  }

  /** The error a failed request stands for. "No handler" means there is no such room (or it burned). */
  public static ErrorCode errorOf(Throwable t) {
    if (t instanceof ReplyException re) {
      if (re.failureType() == ReplyFailure.NO_HANDLERS) {
        return ErrorCode.ROOM_NOT_FOUND;
      }
      if (re.failureType() == ReplyFailure.RECIPIENT_FAILURE) {
        return ErrorCode.byName(re.getMessage());
      }
      return ErrorCode.NODE_SHUTTING_DOWN;
    }
    return ErrorCode.INTERNAL;
  }

  /** True when the request may have reached the room and been applied, though no answer came (timeout, lost link). */
  public static boolean mayHaveArrived(Throwable t) {
    return t instanceof ReplyException re && re.failureType() != ReplyFailure.RECIPIENT_FAILURE
        && re.failureType() != ReplyFailure.NO_HANDLERS;
  }

  /**
   * True when the room refused because it is handing over ({@code node_shutting_down}), or when it could not be
   * reached at all (no handler, timeout, lost connection): the moments a room moves between nodes.
   */
  public static boolean mayHaveMoved(Throwable t) {
    if (t instanceof ReplyException re) {
      return re.failureType() != ReplyFailure.RECIPIENT_FAILURE || errorOf(t) == ErrorCode.NODE_SHUTTING_DOWN;
    }
    return false;
  }
}
