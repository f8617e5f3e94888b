package io.burnroom.bus;

import io.burnroom.wire.AdminOp;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.MessageCodec;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiConsumer;
import java.util.function.Function;

/**
 * One codec per {@link BusMessage} record. Inside a node the record itself is handed over (it is immutable, so every
 * consumer may share it: no copy, no encoding); between nodes each string is written as its UTF-8 length and bytes,
 * null as length -1, a delivery's frame, already UTF-8, as its length and those bytes, and numbers as themselves.
 * Every node registers them before it deploys anything, so a record sent by any node can be read by every other.
 * The hot path is {@link RoomRequest.Relay}, {@link RoomReply.Acked} and {@link EdgeEvent.Deliveries}; the rare
 * messages use the same few primitives.
 */
public final class BusCodecs {
  private BusCodecs() {
  }

  // ---- edge → room ----

  static final Codec<RoomRequest.Relay> RELAY = new Codec<>("burnroom.relay", RoomRequest.Relay.class,
      (b, r) -> put(b, r.memberId(), r.connId(), r.id(), r.body(), r.to()),
      in -> new RoomRequest.Relay(in.string(), in.string(), in.string(), in.string(), in.string()));

  static final Codec<RoomRequest.Chunk> CHUNK = new Codec<>("burnroom.chunk", RoomRequest.Chunk.class,
      (b, c) -> put(b, c.memberId(), c.connId(), c.id(), c.body(), c.to()),
      in -> new RoomRequest.Chunk(in.string(), in.string(), in.string(), in.string(), in.string()));

  static final Codec<RoomRequest.Join> JOIN = new Codec<>("burnroom.join", RoomRequest.Join.class, (b, j) -> {
    put(b, j.node());
    put(b, j.connId());
    put(b, j.source());
    put(b, j.profile());
    put(b, j.resume());
    b.appendLong(j.lastSeq());
    put(b, j.token());
  }, in -> new RoomRequest.Join(in.string(), in.string(), in.string(), in.string(), in.string(), in.number(),
      in.string()));

  static final Codec<RoomRequest.Admin> ADMIN = new Codec<>("burnroom.admin", RoomRequest.Admin.class, (b, a) -> {
    put(b, a.memberId());
    put(b, a.connId());
    put(b, a.source());
    put(b, a.pin());
    put(b, a.op().name());
    put(b, a.target());
    b.appendLong(a.seconds());
    put(b, a.joinHash());
  }, in -> new RoomRequest.Admin(in.string(), in.string(), in.string(), in.string(), AdminOp.valueOf(in.string()),
      in.string(), in.number(), in.string()));

  static final Codec<RoomRequest.Leave> LEAVE = new Codec<>("burnroom.leave", RoomRequest.Leave.class, (b, l) -> {
    put(b, l.memberId());
    put(b, l.connId());
    b.appendByte(l.intentional() ? (byte) 1 : 0);
  }, in -> new RoomRequest.Leave(in.string(), in.string(), in.flag()));

  static final Codec<RoomRequest.Info> INFO = new Codec<>("burnroom.info", RoomRequest.Info.class, (b, i) -> { },
      in -> new RoomRequest.Info());

  static final Codec<RoomNotice.ChunkTaken> CHUNK_TAKEN = new Codec<>("burnroom.chunk-taken",
      RoomNotice.ChunkTaken.class, (b, t) -> {
        put(b, t.node());
        b.appendLong(t.serial());
      }, in -> new RoomNotice.ChunkTaken(in.string(), in.number()));

  // ---- room → edge: replies ----

  static final Codec<RoomReply.Acked> ACKED = new Codec<>("burnroom.acked", RoomReply.Acked.class,
      (b, a) -> b.appendLong(a.seq()), in -> new RoomReply.Acked(in.number()));

  static final Codec<RoomReply.Joined> JOINED = new Codec<>("burnroom.joined", RoomReply.Joined.class, (b, j) -> {
    put(b, j.memberId());
    put(b, j.roomId());
    b.appendLong(j.seq());
    b.appendLong(j.expiresAt());
    put(b, j.frame());
    putAll(b, j.replay());
  }, in -> new RoomReply.Joined(in.string(), in.string(), in.number(), in.number(), in.string(), in.strings()));

  static final Codec<RoomReply.ChunkAcked> CHUNK_ACKED = new Codec<>("burnroom.chunk-acked",
      RoomReply.ChunkAcked.class, (b, a) -> b.appendLong(a.waitMs()), in -> new RoomReply.ChunkAcked(in.number()));

  static final Codec<RoomReply.AdminDone> ADMIN_DONE = new Codec<>("burnroom.admin-done", RoomReply.AdminDone.class,
      (b, a) -> put(b, a.op().name()), in -> new RoomReply.AdminDone(AdminOp.valueOf(in.string())));

  static final Codec<RoomReply.Left> LEFT = new Codec<>("burnroom.left", RoomReply.Left.class, (b, l) -> { },
      in -> new RoomReply.Left());

  static final Codec<RoomReply.Info> INFO_REPLY = new Codec<>("burnroom.info-reply", RoomReply.Info.class,
      (b, i) -> {
        put(b, i.roomId());
        b.appendLong(i.expiresAt());
        b.appendByte(i.locked() ? (byte) 1 : 0);
        b.appendInt(i.members());
      }, in -> new RoomReply.Info(in.string(), in.number(), in.flag(), in.integer()));

  // ---- room → edge: events ----

  static final Codec<EdgeEvent.Deliveries> DELIVERIES = new Codec<>("burnroom.deliveries", EdgeEvent.Deliveries.class,
      (b, ds) -> {
        b.appendInt(ds.items().size());
        ds.items().forEach(d -> {
          put(b, d.roomId());
          b.appendLong(d.seq());
          b.appendLong(d.credit());
          b.appendLong(d.expiresAt());
          putBytes(b, d.frame());
          putAll(b, d.to());
        });
      }, in -> {
        int n = in.count();
        List<EdgeEvent.Deliver> items = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
          String roomId = in.string();
          long seq = in.number();
          long credit = in.number();
          long expiresAt = in.number();
          byte[] frame = in.bytes();
          items.add(new EdgeEvent.Deliver(roomId, in.strings(), frame, seq, credit, expiresAt));
        }
        return new EdgeEvent.Deliveries(items);
      });

  static final Codec<EdgeEvent.Close> CLOSE = new Codec<>("burnroom.close", EdgeEvent.Close.class, (b, c) -> {
    put(b, c.roomId());
    putAll(b, c.to());
    b.appendInt(c.code());
    put(b, c.frame());
  }, in -> new EdgeEvent.Close(in.string(), in.strings(), in.integer(), in.string()));

  static final Codec<EdgeEvent.Drop> DROP = new Codec<>("burnroom.drop", EdgeEvent.Drop.class, (b, d) -> {
    put(b, d.roomId());
    put(b, d.memberId());
    put(b, d.connId());
  }, in -> new EdgeEvent.Drop(in.string(), in.string(), in.string()));

  // ---- this node's room host and wiring (local only, but encodable like the rest) ----

  static final Codec<HostRequest.Create> CREATE = new Codec<>("burnroom.create", HostRequest.Create.class,
      (b, c) -> {
        b.appendLong(c.ttlSeconds());
        put(b, c.joinHash());
      }, in -> new HostRequest.Create(in.number(), in.string()));

  static final Codec<HostRequest.Gone> GONE = new Codec<>("burnroom.gone", HostRequest.Gone.class,
      (b, g) -> put(b, g.roomId()), in -> new HostRequest.Gone(in.string()));

  static final Codec<HostReply.Created> CREATED = new Codec<>("burnroom.created", HostReply.Created.class,
      (b, c) -> {
        put(b, c.roomId());
        put(b, c.pin());
        b.appendLong(c.expiresAt());
      }, in -> new HostReply.Created(in.string(), in.string(), in.number()));

  static final Codec<NodeEvent.NodeLeft> NODE_LEFT = new Codec<>("burnroom.node-left", NodeEvent.NodeLeft.class,
      (b, n) -> put(b, n.nodeId()), in -> new NodeEvent.NodeLeft(in.string()));

  static final Codec<NodeEvent.NodeJoined> NODE_JOINED = new Codec<>("burnroom.node-joined",
      NodeEvent.NodeJoined.class, (b, n) -> put(b, n.nodeId()), in -> new NodeEvent.NodeJoined(in.string()));

  static final Codec<NodeEvent.ClusterMerged> CLUSTER_MERGED = new Codec<>("burnroom.cluster-merged",
      NodeEvent.ClusterMerged.class, (b, m) -> { }, in -> new NodeEvent.ClusterMerged());

  static final List<Codec<?>> ALL = List.of(RELAY, CHUNK, CHUNK_TAKEN, JOIN, ADMIN, LEAVE, INFO, ACKED, CHUNK_ACKED, JOINED,
      ADMIN_DONE, LEFT, INFO_REPLY, DELIVERIES, CLOSE, DROP, CREATE, GONE, CREATED, NODE_LEFT, NODE_JOINED,
      CLUSTER_MERGED);

  public static void register(EventBus bus) {
    ALL.forEach(c -> c.registerOn(bus));
  }

  private static void put(Buffer b, String... strings) {
    for (String s : strings) {
      put(b, s);
    }
  }

  static void put(Buffer b, String s) {
    if (s == null) {
      b.appendInt(-1);
      return;
    }
    putBytes(b, s.getBytes(StandardCharsets.UTF_8));
  }

  /** A list of strings as its size and each string: what {@link Reader#strings} reads. */
  static void putAll(Buffer b, List<String> list) {
    b.appendInt(list.size());
    list.forEach(s -> put(b, s));
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
      return buffer.getLong(take(8));
    }

    /** A list written by {@link #putAll}. */
    List<String> strings() {
      int n = count();
      List<String> out = new ArrayList<>(n);
      for (int i = 0; i < n; i++) {
        out.add(string());
      }
      return out;
    }

    int integer() {
      return buffer.getInt(take(4));
    }

    boolean flag() {
      return buffer.getByte(take(1)) != 0;
    }

    /** Moves past the next {@code n} bytes and answers where they start; fails when fewer are left. */
    private int take(int n) {
      if (buffer.length() - pos < n) {
        throw new IllegalArgumentException("cut short");
      }
      int at = pos;
      pos += n;
      return at;
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
  static final class Codec<T extends BusMessage> implements MessageCodec<T, T> {
    private final String name;
    final Class<T> type;
    private final BiConsumer<Buffer, T> write;
    private final Function<Reader, T> read;

    Codec(String name, Class<T> type, BiConsumer<Buffer, T> write, Function<Reader, T> read) {
      this.name = name;
      this.type = type;
      this.write = write;
      this.read = read;
    }

    void registerOn(EventBus bus) {
      bus.registerDefaultCodec(type, this);
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
