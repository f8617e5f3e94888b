package io.burnroom.bus;

import java.nio.charset.StandardCharsets;
import java.util.List;

/** What a room tells one node's edges, published to {@link Addresses#edge}: frames to write, sockets to close. */
public sealed interface EdgeEvent extends BusMessage {

  /**
   * The deliveries one event loop's rooms made for one node in one turn of the loop, in the order they were made:
   * one bus message instead of one per frame (the room package's {@code DeliveryBatch}). The chat hot path.
   */
  record Deliveries(List<Deliver> items) implements EdgeEvent {
    public Deliveries {
      items = List.copyOf(items); // shared by reference among a node's edges, like each Deliver
    }
  }

  /**
   * One frame for one node: write {@code frame}, the UTF-8 bytes of a server text frame, to each listed member's
   * socket there; it travels in a {@link Deliveries}. The room encodes a frame once; the bytes cross the cluster as
   * they are and every edge of a node copies the same array into its socket buffers, so nobody may change it after
   * construction. {@code seq} is a relayed message's seq (0 for other frames): a socket is never written a seq it
   * already has. {@code credit} is an attachment chunk's serial in its room (0 for other frames): once every edge of
   * the node has written it, the node reports it back ({@link RoomNotice.ChunkTaken}, decision 50).
   * {@code expiresAt} is the room's expiry when it sent the frame (0: not given): the edge burns the room's sockets
   * itself if the room has not done so soon after that moment (decision 56).
   */
  record Deliver(String roomId, List<String> to, byte[] frame, long seq, long credit, long expiresAt) {
    public Deliver {
      to = List.copyOf(to); // shared by reference among a node's edges: must not change under them
    }

    public Deliver(String roomId, List<String> to, byte[] frame, long seq, long credit) {
      this(roomId, to, frame, seq, credit, 0);
    }

    public Deliver(String roomId, List<String> to, byte[] frame, long seq) {
      this(roomId, to, frame, seq, 0, 0);
    }

    /** A frame without a seq (0): every socket it is addressed to gets it. */
    public static Deliver of(String roomId, List<String> to, String frame) {
      return new Deliver(roomId, to, frame.getBytes(StandardCharsets.UTF_8), 0);
    }

    /** The frame as text (tests and diagnostics; the hot path never decodes it). */
    public String text() {
      return new String(frame, StandardCharsets.UTF_8);
    }
  }

  /** Write {@code frame} (optional) and then close each listed member's socket with {@code code}. */
  record Close(String roomId, List<String> to, int code, String frame) implements EdgeEvent {
    public Close {
      to = List.copyOf(to);
    }
  }

  /** Quietly close one superseded connection of a member that resumed elsewhere. */
  record Drop(String roomId, String memberId, String connId) implements EdgeEvent {
  }
}
