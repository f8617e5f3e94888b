package io.burnroom.bus;

import io.burnroom.wire.AdminOp;
import java.util.List;

/** A room's answer to a {@link RoomRequest}. */
public sealed interface RoomReply extends BusMessage {

  /**
   * The member is seated: {@code frame} is the {@code joined} frame, {@code replay} the frames it missed. memberId
   * and roomId travel beside the frame so the edge need not parse it, and (on the room's node) keeps these very
   * strings instead of copies per socket. {@code seq}: the replay covers every frame up to it that is meant for this
   * member, so the edge drops a live delivery of any of them still on its way (relayed before the join, delivered
   * after it). {@code expiresAt}: the room's expiry, which the edge keeps to burn the socket itself if the room
   * cannot (decision 56).
   */
  record Joined(String memberId, String roomId, long seq, long expiresAt, String frame, List<String> replay)
      implements RoomReply {
    public Joined {
      replay = List.copyOf(replay);
    }
  }

  /** A relayed message's seq. */
  record Acked(long seq) implements RoomReply {
  }

  /** A relayed chunk: its sender's ack waits {@code waitMs} for the room's byte budget (0: at once). */
  record ChunkAcked(long waitMs) implements RoomReply {
  }

  record AdminDone(AdminOp op) implements RoomReply {
  }

  record Left() implements RoomReply {
  }

  record Info(String roomId, long expiresAt, boolean locked, int members) implements RoomReply {
  }
}
