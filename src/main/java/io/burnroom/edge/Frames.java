package io.burnroom.edge;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.ChannelHandlerContext;
import io.vertx.core.net.impl.VertxConnection;
import io.vertx.core.net.impl.VertxHandler;
import java.nio.charset.StandardCharsets;
import java.util.function.Consumer;

/**
 * Server text messages on the wire, below Vert.x's WebSocket API. Vert.x writes a frame from a {@code String} or a
 * heap buffer and flushes each one, and Netty's frame encoder then allocates a header per socket and writes header
 * and payload as two buffers: a delivery to 10 sockets is 10 UTF-8 encodings (or copies into direct memory), 10
 * headers and 10 system calls. Here a message is encoded once, header included, into pooled direct memory ({@link
 * #encode}); each socket writes a view of those bytes, which pass the pipeline's WebSocket encoders untouched (they
 * only act on frame objects) and reach the kernel without a copy; the caller decides when to flush ({@link
 * FlushBatch}).
 *
 * <p>Server frames are never masked (RFC 6455 5.1), and never compressed: per-message compression is per message, so
 * an uncompressed message is valid on a connection that negotiated it, and encrypted bodies barely compress anyway.
 * Must run on the socket's event loop.
 */
final class Frames {
  /**
   * Largest frame written: longer messages go in fragments. Just under 64 KiB, the frame limit WebSocket libraries
   * commonly default to (Vert.x's client among them), so the length fits the 16-bit form; browsers take any size.
   */
  static final int MAX_FRAGMENT_BYTES = 0xFFFF;
  private static final int FIN = 0x80;
  private static final int TEXT = 0x1;
  private static final int CONTINUATION = 0x0;

  private Frames() {
  }

  /** UTF-8 text as one WebSocket text message (fragments when long), in a new direct buffer the caller releases. */
  static ByteBuf encode(byte[] utf8) {
    int length = utf8.length;
    if (length <= MAX_FRAGMENT_BYTES) {
      ByteBuf buf = ByteBufAllocator.DEFAULT.directBuffer(length + 4);
      header(buf, FIN | TEXT, length);
      buf.writeBytes(utf8);
      return buf;
    }
    // rare: a joined frame listing many large profiles
    int fragments = (length + MAX_FRAGMENT_BYTES - 1) / MAX_FRAGMENT_BYTES;
    ByteBuf buf = ByteBufAllocator.DEFAULT.directBuffer(length + 4 * fragments);
    for (int offset = 0; offset < length; offset += MAX_FRAGMENT_BYTES) {
      int n = Math.min(MAX_FRAGMENT_BYTES, length - offset);
      header(buf, (offset + n == length ? FIN : 0) | (offset == 0 ? TEXT : CONTINUATION), n);
      buf.writeBytes(utf8, offset, n);
    }
    return buf;
  }

  /** Runs {@code action} with {@code text} {@link #encode encoded}, and releases the bytes afterwards. */
  static void encoded(String text, Consumer<ByteBuf> action) {
    // The JDK's encoder copies an ASCII string's bytes in bulk; Netty's writeUtf8 goes char by char after a pass
    // that counts the bytes (a profile of a loaded node put 8 % of its samples in those two loops).
    encoded(text.getBytes(StandardCharsets.UTF_8), action);
  }

  /** Runs {@code action} with {@code utf8} {@link #encode encoded}, and releases the bytes afterwards. */
  static void encoded(byte[] utf8, Consumer<ByteBuf> action) {
    ByteBuf message = encode(utf8);
    try {
      action.accept(message);
    } finally {
      message.release();
    }
  }

  /** The two- or four-byte header of an unmasked frame of {@code n <= 0xFFFF} payload bytes. */
  private static void header(ByteBuf buf, int finAndOpcode, int n) {
    buf.writeByte(finAndOpcode);
    if (n < 126) {
      buf.writeByte(n);
    } else {
      buf.writeByte(126);
      buf.writeShort(n);
    }
  }

  /** Writes an {@link #encode encoded} message (not consumed: the caller still releases it), unflushed. */
  static void write(ChannelHandlerContext ctx, ByteBuf message) {
    // Vert.x's connection: its quiet promise (a write to a socket closing meanwhile is no error worth an event), and
    // its byte counters. A Vert.x that no longer puts its handler here fails every test at this cast, not silently.
    VertxConnection conn = ((VertxHandler<?>) ctx.handler()).getConnection();
    ctx.write(message.retainedDuplicate(), conn.voidPromise);
    conn.reportBytesWritten(message.readableBytes()); // on the wire, frame headers included
  }
}
