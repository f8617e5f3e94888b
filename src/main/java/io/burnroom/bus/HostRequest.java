package io.burnroom.bus;

/** What this node's room host is asked, locally at {@link Addresses#ROOM_HOST}. */
public sealed interface HostRequest extends BusMessage {

  /** From the edge's {@code POST /api/rooms}: answered {@link HostReply.Created}. {@code joinHash} null: open room. */
  record Create(long ttlSeconds, String joinHash) implements HostRequest {
  }

  /** From a room that burned or stepped down: forget and undeploy it. No answer. */
  record Gone(String roomId) implements HostRequest {
  }
}
