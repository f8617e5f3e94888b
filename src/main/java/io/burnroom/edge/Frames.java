package io.burnroom.edge;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.websocketx.ContinuationWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.vertx.core.net.impl.VertxConnection;
import io.vertx.core.net.impl.VertxHandler;

/**
 * Server text frames on the wire, below Vert.x's WebSocket API: Vert.x writes a frame from a {@code String} or a heap
 * buffer and flushes each one, so a delivery to 10 sockets is 10 UTF-8 encodings (or copies into direct memory) and 10
 * system calls. Here a frame is encoded once into pooled direct memory, each socket writes a view of it (Netty's
 * socket write reads it in place), and the caller decides when to flush ({@link FlushBatch}).
 *
 * <p>Written into the Vert.x connection's own pipeline position, so the frames pass the same WebSocket encoder (and
 * compression, when negotiated) as Vert.x's; the bytes are reported to Vert.x's metrics as its own writes are.
 * Must run on the socket's event loop.
 */
final class Frames {
  /**
   * Largest frame written: longer messages go in fragments. 64 KiB is the frame limit WebSocket libraries commonly
   * default to (Vert.x's client among them); browsers take any size.
   */
  static final int MAX_FRAGMENT_BYTES = 64 * 1024;

  private Frames() {
  }

  /** {@code text} as UTF-8 in a new direct buffer; the caller releases it. */
  static ByteBuf utf8(String text) {
    ByteBuf buf = ByteBufAllocator.DEFAULT.directBuffer(ByteBufUtil.utf8Bytes(text));
    ByteBufUtil.writeUtf8(buf, text);
    return buf;
  }

  /**
   * Writes {@code utf8} (not consumed: the caller still releases it) as one text message, unflushed; in fragments of
   * at most {@link #MAX_FRAGMENT_BYTES} when larger (a {@code joined} frame listing many members can be).
   */
  static void writeText(ChannelHandlerContext ctx, ByteBuf utf8) {
    // Vert.x's connection: its quiet promise (a write to a socket closing meanwhile is no error worth an event), and
    // its byte counters. A Vert.x that no longer puts its handler here fails every test at this cast, not silently.
    VertxConnection conn = ((VertxHandler<?>) ctx.handler()).getConnection();
    int length = utf8.readableBytes();
    int start = utf8.readerIndex();
    if (length <= MAX_FRAGMENT_BYTES) {
      ctx.write(new TextWebSocketFrame(true, 0, utf8.retainedDuplicate()), conn.voidPromise);
    } else {
      for (int offset = 0; offset < length; offset += MAX_FRAGMENT_BYTES) {
        int n = Math.min(MAX_FRAGMENT_BYTES, length - offset);
        boolean last = offset + n == length;
        ByteBuf part = utf8.retainedSlice(start + offset, n);
        ctx.write(offset == 0 ? new TextWebSocketFrame(last, 0, part) : new ContinuationWebSocketFrame(last, 0, part),
            conn.voidPromise);
      }
    }
    conn.reportBytesWritten(length);
  }
}
