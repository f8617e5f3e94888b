package io.burnroom.edge;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.vertx.core.Handler;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.internal.http.WebSocketInternal;

/**
 * A Vert.x server WebSocket as a {@link SessionSocket}: frames go to the session, writes go straight into the socket's
 * Netty pipeline (see {@link Frames}), and the socket's close reaches the session with the peer's close code.
 */
final class WebSocketLink implements SessionSocket, Handler<Void> {
  private final ServerWebSocket ws;
  private SocketSession session;

  WebSocketLink(ServerWebSocket ws) {
    this.ws = ws;
  }

  /** Hands the socket's frames and its close to {@code session}. */
  void attach(SocketSession session) {
    this.session = session;
    ws.frameHandler(session); // the session itself, not a lambda per socket: 10,000 idle sockets hold 10,000 of them
    ws.closeHandler(this);
    ws.exceptionHandler(e -> { });
  }

  @Override
  public void handle(Void closed) {
    session.onClosed(ws.closeStatusCode());
  }

  @Override
  public void write(ByteBuf message) {
    Frames.write(channel(), message);
  }

  @Override
  public void flush() {
    channel().flush();
  }

  @Override
  public long backlogBytes() {
    return channel().channel().bytesBeforeWritable();
  }

  @Override
  public void close(short code, String reason) {
    ws.close(code, reason);
  }

  private ChannelHandlerContext channel() {
    return ((WebSocketInternal) ws).channelHandlerContext();
  }
}
