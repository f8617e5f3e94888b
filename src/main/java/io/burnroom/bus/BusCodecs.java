package io.burnroom.bus;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.MessageCodec;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiConsumer;
import java.util.function.Function;

/**
 * Codecs for the hot-path bus records ({@link Bus.Relay}, {@link Bus.Deliveries}). Inside a node the record itself is
 * handed over (it is immutable, so every consumer may share it); between nodes each string is written as its UTF-8
 * length and bytes, null as length -1, and a delivery's frame, already UTF-8, as its length and those bytes. Every
 * node registers them before it deploys anything, so a record sent by any node can be read by every other.
 */
public final class BusCodecs {
  private BusCodecs() {
  }

  static final MessageCodec<Bus.Relay, Bus.Relay> RELAY = new Codec<>("burnroom.relay", (b, r) -> {
    put(b, r.memberId());
    put(b, r.connId());
    put(b, r.id());
    put(b, r.body());
    put(b, r.to());
  }, in -> new Bus.Relay(in.string(), in.string(), in.string(), in.string(), in.string()));

  static final MessageCodec<Bus.Deliveries, Bus.Deliveries> DELIVERIES = new Codec<>("burnroom.deliveries", (b, ds) -> {
    b.appendInt(ds.items().size());
    ds.items().forEach(d -> {
      put(b, d.roomId());
      b.appendLong(d.seq());
      putBytes(b, d.frame());
      b.appendInt(d.to().size());
      d.to().forEach(id -> put(b, id));
    });
  }, in -> {
    int n = in.count();
    List<Bus.Deliver> items = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      String roomId = in.string();
      long seq = in.number();
      byte[] frame = in.bytes();
      int recipients = in.count();
      List<String> to = new ArrayList<>(recipients);
      for (int j = 0; j < recipients; j++) {
        to.add(in.string());
      }
      items.add(new Bus.Deliver(roomId, to, frame, seq));
    }
    return new Bus.Deliveries(items);
  });

  public static void register(EventBus bus) {
    bus.registerDefaultCodec(Bus.Relay.class, RELAY);
    bus.registerDefaultCodec(Bus.Deliveries.class, DELIVERIES);
  }

  static void put(Buffer b, String s) {
    if (s == null) {
      b.appendInt(-1);
      return;
    }
    putBytes(b, s.getBytes(StandardCharsets.UTF_8));
  }

  /** Bytes as their length and themselves: what {@link Reader#bytes} reads. */
  static void putBytes(Buffer b, byte[] bytes) {
    b.appendInt(bytes.length).appendBytes(bytes);
  }

  /** Reads what {@link #put} wrote, from a position onwards; a malformed length fails loudly instead of guessing. */
  static final class Reader {
    private final Buffer buffer;
    private int pos;

    Reader(Buffer buffer, int pos) {
      this.buffer = buffer;
      this.pos = pos;
    }

    String string() {
      if (buffer.getInt(pos) == -1) {
        pos += 4;
        return null;
      }
      return new String(bytes(), StandardCharsets.UTF_8);
    }

    /** Bytes written with their length (never null), copied out of the buffer. */
    byte[] bytes() {
      int len = buffer.getInt(pos);
      if (len < 0 || len > buffer.length() - pos - 4) {
        throw new IllegalArgumentException("bad length");
      }
      pos += 4;
      byte[] out = buffer.getBytes(pos, pos + len);
      pos += len;
      return out;
    }

    long number() {
      if (buffer.length() - pos < 8) {
        throw new IllegalArgumentException("bad number");
      }
      long n = buffer.getLong(pos);
      pos += 8;
      return n;
    }

    int count() {
      int n = buffer.getInt(pos);
      pos += 4;
      if (n < 0 || n > buffer.length() - pos) {
        throw new IllegalArgumentException("bad count");
      }
      return n;
    }
  }

  /** A record codec: the record itself locally, its fields on the wire (the bus frames each message itself). */
  private static final class Codec<T> implements MessageCodec<T, T> {
    private final String name;
    private final BiConsumer<Buffer, T> write;
    private final Function<Reader, T> read;

    Codec(String name, BiConsumer<Buffer, T> write, Function<Reader, T> read) {
      this.name = name;
      this.write = write;
      this.read = read;
    }

    @Override
    public void encodeToWire(Buffer buffer, T value) {
      write.accept(buffer, value);
    }

    @Override
    public T decodeFromWire(int pos, Buffer buffer) {
      return read.apply(new Reader(buffer, pos));
    }

    @Override
    public T transform(T value) {
      return value;
    }

    @Override
    public String name() {
      return name;
    }

    @Override
    public byte systemCodecID() {
      return -1;
    }
  }
}
