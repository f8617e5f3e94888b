package io.burnroom.config;

/**
 * The limits of attachment chunks (decision 47). The server never sees a file, only padded chunks, so the per-file
 * cap is told to clients in {@code joined} and kept by honest ones; the byte budgets bound everyone else.
 *
 * @param maxAttachmentBytes         the largest file a client should send (told in {@code joined})
 * @param connectionBytesPerSecond   chunk frame bytes one connection may send per second (its acks are held past it)
 * @param roomBytesPerSecond         chunk bytes one room delivers per second: each chunk's body times its recipients
 * @param nodeBytesPerSecond         chunk bytes the rooms of one node deliver per second, all together
 * @param maxUnackedChunks           chunks one connection may have unacknowledged; one more is refused
 */
public record ChunkLimits(int maxAttachmentBytes, int connectionBytesPerSecond, int roomBytesPerSecond,
                          int nodeBytesPerSecond, int maxUnackedChunks) {
  public static final int MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024;
  public static final int CONNECTION_BYTES_PER_SECOND = 8 * 1024 * 1024;
  public static final int ROOM_BYTES_PER_SECOND = 64 * 1024 * 1024;
  public static final int NODE_BYTES_PER_SECOND = 256 * 1024 * 1024;
  public static final int MAX_UNACKED_CHUNKS = 8;
  /**
   * Chunk deliveries one room may have in flight to one node: relayed, and not yet written to sockets by all of that
   * node's edges (decision 50). Past it the room holds the next chunk, and with it the sender's ack.
   */
  public static final int ROOM_DELIVERIES_IN_FLIGHT = 4;
  /** The same for all rooms of a node together, to one node (64 x 64 KiB: 4 MiB waiting per node it sends to). */
  public static final int NODE_DELIVERIES_IN_FLIGHT = 64;
  /** How long a chunk may wait in its room for credit before it is refused ({@code rate_limited}, socket open). */
  public static final long CREDIT_HOLD_MS = 1_000;
  /** A delivery not reported taken for this long gives its credit back (its node or edge is gone). */
  public static final long CREDIT_EXPIRY_MS = 5_000;

  public static ChunkLimits defaults() {
    return new ChunkLimits(MAX_ATTACHMENT_BYTES, CONNECTION_BYTES_PER_SECOND, ROOM_BYTES_PER_SECOND,
        NODE_BYTES_PER_SECOND, MAX_UNACKED_CHUNKS);
  }

  /** A connection's budget: its burst is one window of full frames, and it may owe as much again. */
  public ByteRate connectionRate(long now) {
    long window = (long) maxUnackedChunks * Limits.FRAME_MAX;
    return new ByteRate(connectionBytesPerSecond, window, window, now);
  }

  /** A room's budget: a burst of an eighth of a second's worth, and up to one second of debt before it refuses. */
  public ByteRate roomRate(long now) {
    return delivered(roomBytesPerSecond, now);
  }

  /** The node's budget, shared by all its rooms: the same shape as a room's. */
  public ByteRate nodeRate(long now) {
    return delivered(nodeBytesPerSecond, now);
  }

  private static ByteRate delivered(long bytesPerSecond, long now) {
    return new ByteRate(bytesPerSecond, Math.max(Limits.FRAME_MAX, bytesPerSecond / 8), bytesPerSecond, now);
  }
}
