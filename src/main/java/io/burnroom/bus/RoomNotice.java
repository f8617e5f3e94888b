package io.burnroom.bus;

/** What an edge tells a room without waiting for an answer, at {@link Addresses#room}. */
public sealed interface RoomNotice extends BusMessage {

  /**
   * Every edge of {@code node} has written the room's chunk delivery {@code serial} to its sockets (decision 50): the
   * room's credit toward that node comes back, and with it the sender's next chunk and ack.
   */
  record ChunkTaken(String node, long serial) implements RoomNotice {
  }
}
