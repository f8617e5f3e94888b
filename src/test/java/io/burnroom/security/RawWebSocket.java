package io.burnroom.security;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A WebSocket client on a plain blocking socket, so a test can send what no well-behaved library would: any opcode,
 * unmasked frames, reserved bits, invalid UTF-8, lying lengths, fragments out of order. It can also stop reading
 * altogether (a slow consumer) by not starting its reader. Server frames are collected by a reader thread.
 */
final class RawWebSocket implements AutoCloseable {
  static final int TEXT = 1;
  static final int BINARY = 2;
  static final int CONTINUATION = 0;
  static final int CLOSE = 8;
  static final int PING = 9;
  static final int PONG = 10;

  /** One frame from the server; {@code closeCode} is set for close frames; {@code fin} ends a message. */
  record Frame(int opcode, byte[] payload, int closeCode, boolean fin) {
    String text() {
      return new String(payload, StandardCharsets.UTF_8);
    }
  }

  private final Socket socket;
  private final InputStream in;
  private final OutputStream out;
  private final Random maskRandom = new Random(7);
  final BlockingQueue<Frame> frames = new LinkedBlockingQueue<>();
  /** Completes with the close code (or -1 when the connection ended without a close frame). */
  final CompletableFuture<Integer> closed = new CompletableFuture<>();
  private Thread reader;

  private RawWebSocket(Socket socket, InputStream in) throws IOException {
    this.socket = socket;
    this.in = in;
    this.out = socket.getOutputStream();
  }

  /** Opens the TCP connection and completes the handshake; throws with the status line when refused. */
  static RawWebSocket connect(int port, String path, Map<String, String> headers, int receiveBuffer) throws IOException {
    Socket s = new Socket();
    if (receiveBuffer > 0) {
      s.setReceiveBufferSize(receiveBuffer);
    }
    s.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
    s.setSoTimeout(10_000);
    StringBuilder req = new StringBuilder("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\n"
        + "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
        + "Sec-WebSocket-Key: " + Base64.getEncoder().encodeToString("0123456789abcdef".getBytes(StandardCharsets.US_ASCII))
        + "\r\n");
    headers.forEach((k, v) -> req.append(k).append(": ").append(v).append("\r\n"));
    req.append("\r\n");
    s.getOutputStream().write(req.toString().getBytes(StandardCharsets.ISO_8859_1));
    s.getOutputStream().flush();
    InputStream in = s.getInputStream();
    String head = readHead(in);
    if (!head.startsWith("HTTP/1.1 101")) {
      s.close();
      throw new IOException("handshake refused: " + head.lines().findFirst().orElse(""));
    }
    s.setSoTimeout(0);
    return new RawWebSocket(s, in);
  }

  private static String readHead(InputStream in) throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    int state = 0;
    while (state < 4) {
      int c = in.read();
      if (c < 0) {
        throw new EOFException("connection closed during handshake: " + b);
      }
      b.write(c);
      state = (c == '\r' && (state == 0 || state == 2)) || (c == '\n' && (state == 1 || state == 3)) ? state + 1 : 0;
    }
    return b.toString(StandardCharsets.ISO_8859_1);
  }

  /** Starts collecting server frames on a daemon thread. A slow-consumer test never calls this until it wants to. */
  RawWebSocket startReading() {
    reader = new Thread(this::readLoop, "raw-ws-reader");
    reader.setDaemon(true);
    reader.start();
    return this;
  }

  private void readLoop() {
    try {
      DataInputStream d = new DataInputStream(in);
      while (true) {
        int b0 = d.readUnsignedByte();
        int b1 = d.readUnsignedByte();
        long len = b1 & 0x7F;
        if (len == 126) {
          len = d.readUnsignedShort();
        } else if (len == 127) {
          len = d.readLong();
        }
        if (len > (1 << 24)) {
          throw new IOException("absurd server frame length " + len);
        }
        byte[] payload = new byte[(int) len];
        d.readFully(payload);
        int opcode = b0 & 0x0F;
        int code = -1;
        if (opcode == CLOSE) {
          code = payload.length >= 2 ? ((payload[0] & 0xFF) << 8) | (payload[1] & 0xFF) : 1005;
        }
        Frame f = new Frame(opcode, payload, code, (b0 & 0x80) != 0);
        frames.add(f);
        if (opcode == CLOSE) {
          closed.complete(code);
          close();
          return;
        }
      }
    } catch (IOException e) {
      closed.complete(-1);
    }
  }

  void sendText(String text) throws IOException {
    send(true, TEXT, text.getBytes(StandardCharsets.UTF_8), true);
  }

  /** Writes one frame exactly as described. {@code masked} false breaks RFC 6455 on purpose. */
  synchronized void send(boolean fin, int opcode, byte[] payload, boolean masked) throws IOException {
    sendRaw((fin ? 0x80 : 0) | (opcode & 0x0F), payload, masked);
  }

  /** Writes a frame with a caller-chosen first byte (reserved bits, unknown opcodes). */
  synchronized void sendRaw(int firstByte, byte[] payload, boolean masked) throws IOException {
    byte[] key = new byte[4];
    maskRandom.nextBytes(key);
    out.write(encode(firstByte, payload, masked ? key : null));
    out.flush();
  }

  /** One WebSocket frame on the wire: {@code firstByte}, the length in its shortest form, and the payload, masked
   * with {@code maskKey} when one is given (clients must mask; the server must refuse unmasked frames). */
  static byte[] encode(int firstByte, byte[] payload, byte[] maskKey) {
    ByteArrayOutputStream b = new ByteArrayOutputStream(payload.length + 14);
    b.write(firstByte);
    int maskBit = maskKey != null ? 0x80 : 0;
    if (payload.length < 126) {
      b.write(maskBit | payload.length);
    } else if (payload.length < 65536) {
      b.write(maskBit | 126);
      b.write(payload.length >>> 8);
      b.write(payload.length);
    } else {
      b.write(maskBit | 127);
      for (int i = 7; i >= 0; i--) {
        b.write((int) ((long) payload.length >>> (8 * i)));
      }
    }
    if (maskKey != null) {
      b.write(maskKey, 0, 4);
    }
    for (int i = 0; i < payload.length; i++) {
      b.write(maskKey != null ? payload[i] ^ maskKey[i & 3] : payload[i]);
    }
    return b.toByteArray();
  }

  /** Writes bytes that may not form a frame at all. */
  synchronized void sendBytes(byte[] bytes) throws IOException {
    out.write(bytes);
    out.flush();
  }

  Frame next(long waitMs) throws InterruptedException {
    return frames.poll(waitMs, TimeUnit.MILLISECONDS);
  }

  boolean isClosed() {
    return closed.isDone() || socket.isClosed();
  }

  @Override
  public void close() {
    try {
      socket.close();
    } catch (IOException ignored) {
      // already closed
    }
  }
}
