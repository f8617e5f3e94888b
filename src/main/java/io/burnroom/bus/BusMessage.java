package io.burnroom.bus;

/**
 * Every message that crosses the event bus between edge, room, room host and the node's wiring: a record of one of
 * these sealed families, each with its own codec ({@link BusCodecs}), sent only through {@link Bus}. A new message is
 * a new record in its family; the compiler then asks for its handling, {@code BusCodecsTest} for its codec.
 */
public sealed interface BusMessage permits RoomRequest, RoomReply, RoomNotice, EdgeEvent, HostRequest, HostReply, NodeEvent {
}
