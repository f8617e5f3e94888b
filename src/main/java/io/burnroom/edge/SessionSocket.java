package io.burnroom.edge;

import io.netty.buffer.ByteBuf;

/**
 * The socket under a {@link SocketSession}, as far as the session uses it. {@link WebSocketLink} is the real one (a
 * Vert.x WebSocket and its Netty pipeline); a unit test of the session stands in for it.
 */
interface SessionSocket {
  /** Writes one {@link Frames#encode encoded} message, unflushed; the caller still releases it. */
  void write(ByteBuf message);

  /** Sends what was written. */
  void flush();

  /** Bytes queued beyond the socket's writability mark: how far its reader has fallen behind. */
  long backlogBytes();

  /** Closes the socket with a close frame; the session then hears {@link SocketSession#onClosed}. */
  void close(short code, String reason);
}
