package io.burnroom.bench;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The generator's WebSocket client: RFC 6455 framing written by hand on a bare Netty channel, so that the generator
 * costs far less CPU per delivery than the servers it measures (on 2 shared cores every cycle it spends is taken from
 * the server under test). Vert.x's own client decodes every 1 KiB text message into a {@code String} after checking
 * its UTF-8 and aggregating it; the bench needs only a message's first bytes (its type and client id), so this client
 * keeps the first {@link #PREFIX} bytes of each message and skips the rest without copying it.
 *
 * <p>Everything it sends is a well-formed client frame: masked with a fresh random key per frame, as a browser's are
 * (Netty skips unmasking for an all-zero key, which would flatter the server). Runs on one Netty event loop: every
 * callback comes on that loop, so the generator's counters stay single-threaded.
 */
final class LeanSocket extends ChannelInboundHandlerAdapter implements Fleet.Sock {
  /** Bytes of each message kept for the listener: enough for the type, sender, seq and client id of a {@code msg}. */
  static final int PREFIX = 192;
  private static final int OP_CONTINUATION = 0;
  private static final int OP_TEXT = 1;
  private static final int OP_CLOSE = 8;
  private static final int OP_PING = 9;

  /** What the socket reports, always on its event loop. */
  interface Listener {
    /** A whole message arrived; {@code prefix[0..length)} are its first bytes, {@code size} its full length. */
    void onMessage(LeanSocket socket, byte[] prefix, int length, int size);

    /** The connection is gone; {@code code} is the server's close code, or 1006 when it ended without one. */
    void onClose(LeanSocket socket, int code, String reason);
  }

  private enum State { HANDSHAKE, HEADER, PAYLOAD, GONE }

  private final Listener listener;
  private final Promise<LeanSocket> opened = Promise.promise();
  private Channel channel;
  private State state = State.HANDSHAKE;
  private final StringBuilder handshake = new StringBuilder();
  private final byte[] header = new byte[14];
  private int headerHave;
  private int opcode;
  private boolean fin;
  private long remaining;
  /** The current data message's first bytes, across its fragments. */
  private final byte[] prefix = new byte[PREFIX];
  private int prefixLength;
  private int messageSize;
  /** The current control frame's payload (at most 125 bytes by the RFC). */
  private final byte[] control = new byte[125];
  private int controlLength;
  private int closeCode = 1006;
  private String closeReason = "";

  private LeanSocket(Listener listener) {
    this.listener = listener;
  }

  /** Connects on {@code loop} (an epoll loop when {@code epoll}: Vert.x's native transport) and completes once the server answered the upgrade with 101. */
  static Future<LeanSocket> connect(EventLoop loop, boolean epoll, String host, int port, String path,
                                    Listener listener) {
    return connect(loop, epoll, null, host, port, path, listener);
  }

  /**
   * {@code source}: the local address to connect from (a 127.0.0.x of its own gives the socket a fresh range of
   * ephemeral ports: about 28,000 per source address and server port), or null for the kernel's choice.
   */
  static Future<LeanSocket> connect(EventLoop loop, boolean epoll, String source, String host, int port, String path,
                                    Listener listener) {
    LeanSocket socket = new LeanSocket(listener);
    byte[] key = new byte[16];
    ThreadLocalRandom.current().nextBytes(key);
    String request = "GET " + path + " HTTP/1.1\r\nHost: " + host + ":" + port + "\r\nUpgrade: websocket\r\n"
        + "Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: "
        + Base64.getEncoder().encodeToString(key) + "\r\n\r\n";
    new Bootstrap().group(loop).channel(epoll ? EpollSocketChannel.class : NioSocketChannel.class)
        .option(ChannelOption.TCP_NODELAY, true)
        .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 30_000)
        .handler(socket)
        .connect(new java.net.InetSocketAddress(host, port),
            source == null ? null : new java.net.InetSocketAddress(source, 0))
        .addListener((ChannelFutureListener) f -> {
          if (!f.isSuccess()) {
            socket.opened.tryFail(f.cause());
            return;
          }
          socket.channel = f.channel();
          ByteBuf out = f.channel().alloc().buffer(request.length());
          out.writeCharSequence(request, StandardCharsets.US_ASCII);
          f.channel().writeAndFlush(out);
        });
    return socket.opened.future();
  }

  // ---- writing ----

  /** Sends one text message. */
  @Override
  public void send(String text) {
    send(text.getBytes(StandardCharsets.UTF_8));
  }

  /** Sends one text message whose UTF-8 payload is the concatenation of {@code parts}. */
  @Override
  public void send(byte[]... parts) {
    writeFrame(OP_TEXT, parts);
  }

  /** Starts the closing handshake with {@code code}; the server answers and ends the connection. */
  @Override
  public void close(int code) {
    if (state != State.GONE && channel != null) {
      writeFrame(OP_CLOSE, new byte[] {(byte) (code >> 8), (byte) code});
    }
  }

  private void writeFrame(int op, byte[]... parts) {
    int length = 0;
    for (byte[] p : parts) {
      length += p.length;
    }
    ByteBuf out = channel.alloc().ioBuffer(length + 14);
    out.writeByte(0x80 | op);
    if (length < 126) {
      out.writeByte(0x80 | length);
    } else if (length < 65_536) {
      out.writeByte(0x80 | 126).writeShort(length);
    } else {
      out.writeByte(0x80 | 127).writeLong(length);
    }
    byte[] key = new byte[4];
    ThreadLocalRandom.current().nextBytes(key);
    key[0] |= 1; // never all zero
    out.writeBytes(key);
    byte[] masked = new byte[length];
    int i = 0;
    for (byte[] p : parts) {
      for (byte b : p) {
        masked[i] = (byte) (b ^ key[i & 3]);
        i++;
      }
    }
    out.writeBytes(masked);
    channel.writeAndFlush(out, channel.voidPromise());
  }

  // ---- reading ----

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    ByteBuf in = (ByteBuf) msg;
    try {
      while (in.isReadable() && state != State.GONE) {
        switch (state) {
          case HANDSHAKE -> readHandshake(in);
          case HEADER -> readHeader(in);
          case PAYLOAD -> readPayload(in);
          default -> in.skipBytes(in.readableBytes());
        }
      }
    } finally {
      in.release();
    }
  }

  private void readHandshake(ByteBuf in) {
    while (in.isReadable()) {
      handshake.append((char) in.readByte());
      int n = handshake.length();
      if (n >= 4 && handshake.charAt(n - 1) == '\n' && handshake.indexOf("\r\n\r\n", n - 4) >= 0) {
        if (!handshake.toString().startsWith("HTTP/1.1 101")) {
          String status = handshake.substring(0, Math.max(0, handshake.indexOf("\r\n")));
          state = State.GONE;
          opened.tryFail("upgrade refused: " + status);
          channel.close();
          return;
        }
        handshake.setLength(0);
        state = State.HEADER;
        opened.tryComplete(this);
        return;
      }
      if (n > 16_384) {
        state = State.GONE;
        opened.tryFail("upgrade answer too long");
        channel.close();
        return;
      }
    }
  }

  private void readHeader(ByteBuf in) {
    while (in.isReadable()) {
      header[headerHave++] = in.readByte();
      if (headerHave < 2) {
        continue;
      }
      int len7 = header[1] & 0x7f;
      int need = 2 + (len7 == 126 ? 2 : len7 == 127 ? 8 : 0) + ((header[1] & 0x80) != 0 ? 4 : 0);
      if (headerHave < need) {
        continue;
      }
      fin = (header[0] & 0x80) != 0;
      opcode = header[0] & 0x0f;
      remaining = len7 == 126 ? ((header[2] & 0xff) << 8) | (header[3] & 0xff)
          : len7 == 127 ? readLong(header, 2) : len7;
      headerHave = 0;
      if (opcode >= OP_CLOSE) {
        controlLength = 0;
      } else if (opcode != OP_CONTINUATION) {
        prefixLength = 0;
        messageSize = 0;
      }
      state = State.PAYLOAD;
      if (remaining == 0) {
        frameDone();
      }
      return;
    }
  }

  private void readPayload(ByteBuf in) {
    int n = (int) Math.min(in.readableBytes(), remaining);
    if (opcode >= OP_CLOSE) {
      int take = Math.min(n, control.length - controlLength);
      in.readBytes(control, controlLength, take);
      controlLength += take;
      in.skipBytes(n - take);
    } else {
      int take = Math.min(n, PREFIX - prefixLength);
      in.readBytes(prefix, prefixLength, take);
      prefixLength += take;
      messageSize += n;
      in.skipBytes(n - take);
    }
    remaining -= n;
    if (remaining == 0) {
      frameDone();
    }
  }

  private void frameDone() {
    state = State.HEADER;
    switch (opcode) {
      case OP_CLOSE -> {
        if (controlLength >= 2) {
          closeCode = ((control[0] & 0xff) << 8) | (control[1] & 0xff);
          closeReason = new String(control, 2, controlLength - 2, StandardCharsets.UTF_8);
        } else {
          closeCode = 1005;
        }
        // answer the close, then the server ends the connection
        byte[] echo = {(byte) (closeCode >> 8), (byte) closeCode};
        writeFrame(OP_CLOSE, echo);
        state = State.GONE;
      }
      case OP_PING -> {
        byte[] payload = new byte[controlLength];
        System.arraycopy(control, 0, payload, 0, controlLength);
        writeFrame(0xA, payload);
      }
      default -> {
        if (opcode < OP_CLOSE && fin) {
          listener.onMessage(this, prefix, prefixLength, messageSize);
        }
      }
    }
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    State was = state;
    state = State.GONE;
    if (was == State.HANDSHAKE) {
      opened.tryFail("connection closed during the upgrade");
    }
    listener.onClose(this, closeCode, closeReason);
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    opened.tryFail(cause);
    ctx.close();
  }

  private static long readLong(byte[] b, int at) {
    long v = 0;
    for (int i = 0; i < 8; i++) {
      v = (v << 8) | (b[at + i] & 0xff);
    }
    return v;
  }
}
