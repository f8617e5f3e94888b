package io.burnroom.bench;

import io.vertx.core.Context;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.VerticleBase;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.internal.ContextInternal;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import org.HdrHistogram.Histogram;

/**
 * The load generator: WebSocket members grouped in rooms, driven from a few event-loop "lanes". Each room belongs to
 * one lane, and every socket of the room is connected from (so handled on) that lane's event loop, which keeps all
 * counters and histograms single-threaded. Speaks the Burnroom protocol, or nothing at all for the {@link BareRelay},
 * over {@link LeanSocket}s (WebSocket framing on bare Netty channels of the lanes' event loops, so the generator's CPU
 * per delivery stays well below the servers'); room creation goes over Vert.x's HTTP client.
 *
 * <p>Latency: every {@code msg} carries its <em>intended</em> send time (System.nanoTime, base 36) in its client
 * {@code id}; a receiver records {@code now - intended} in microseconds. In open-loop mode the intended time comes from
 * the fixed schedule, not from when the generator got round to sending, so a stalled server (or generator) shows up
 * as latency instead of silently lowering the rate (no coordinated omission).
 */
final class Fleet implements AutoCloseable {
  enum Kind { BURNROOM, RELAY }

  private static final byte[] MSG_PREFIX = ascii("{\"type\":\"msg\"");
  private static final byte[] ACK_PREFIX = ascii("{\"type\":\"ack\"");
  private static final byte[] JOINED_PREFIX = ascii("{\"type\":\"joined\"");
  private static final byte[] BURNED_PREFIX = ascii("{\"type\":\"burned\"");
  private static final byte[] ERROR_PREFIX = ascii("{\"type\":\"error\"");
  private static final byte[] ID_KEY = ascii("\"id\":\"");
  static final String PROFILE = "UHJvZmlsZS1ibG9iLWZvci10aGUtYmVuY2gtLW9wYXF1ZS10by10aGUtc2VydmVyLWFzLWFsd2F5cy0t"
      + "UHJvZmlsZS1ibG9iLWZvci10aGUtYmVuY2gtLW9wYXF1ZS10by10aGUtc2VydmVyLWFzLWFsd2F5cy0t";
  static final String JOIN_FRAME = "{\"type\":\"join\",\"profile\":\"" + PROFILE + "\"}";

  final Kind kind;
  final Vertx vertx;
  private final HttpClient http;
  private final List<Lane> lanes = new ArrayList<>();
  final List<Room> rooms = Collections.synchronizedList(new ArrayList<>());
  private final byte[] msgHead = ascii("{\"type\":\"msg\",\"id\":\"");
  private final byte[] msgTail;
  private int nextLane;
  /** Vert.x's WebSocket client when the fleet uses {@link VertxSock}s ({@code --generator=vertx}), else null. */
  private final io.vertx.core.http.WebSocketClient wsClient;

  Fleet(Kind kind, int lanes, int bodyChars) {
    this(kind, lanes, bodyChars, ServerProcess.TRANSPORT);
  }

  Fleet(Kind kind, int lanes, int bodyChars, String transport) {
    this(kind, lanes, bodyChars, transport, false);
  }

  /**
   * {@code transport}: "epoll" or "nio", the same as the servers this fleet drives; {@code vertxClient}: members
   * are {@link VertxSock}s (Vert.x's WebSocket client, every delivery decoded into a String) instead of LeanSockets.
   */
  Fleet(Kind kind, int lanes, int bodyChars, String transport, boolean vertxClient) {
    this.kind = kind;
    this.vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(lanes).setBlockedThreadCheckInterval(10_000)
        .setPreferNativeTransport(transport.equals("epoll")));
    if (vertx.isNativeTransportEnabled() != transport.equals("epoll")) {
      vertx.close();
      throw new IllegalStateException("the generator did not get the " + transport + " transport"
          + " (bench/run.sh passes -Djava.library.path=target/native)");
    }
    // idle connections go after 30 s, before a node's keep-alive deadline (60 s by default) closes them
    this.http = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(true).setKeepAliveTimeout(30),
        new PoolOptions().setHttp1MaxSize(32));
    this.wsClient = vertxClient ? vertx.createWebSocketClient(new io.vertx.core.http.WebSocketClientOptions()
        .setMaxConnections(100_000)) : null;
    // one context per event loop: deploy a no-op verticle per lane and keep its context
    List<Context> contexts = Collections.synchronizedList(new ArrayList<>());
    await(vertx.deployVerticle(() -> new VerticleBase() {
      @Override
      public Future<?> start() {
        contexts.add(context);
        return Future.succeededFuture();
      }
    }, new DeploymentOptions().setInstances(lanes)), 30_000);
    for (Context c : contexts) {
      this.lanes.add(new Lane(c));
    }
    StringBuilder body = new StringBuilder(bodyChars);
    String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    java.util.Random random = new java.util.Random(7);
    for (int i = 0; i < bodyChars; i++) {
      body.append(alphabet.charAt(random.nextInt(64)));
    }
    this.msgTail = ascii("\",\"body\":\"" + body + "\"}");
  }

  /** What the fleet needs of a member's socket ({@link LeanSocket}; a second client could stand in for it). */
  interface Sock {
    void send(String text);

    void send(byte[]... parts);

    void close(int code);
  }

  // ---- rooms and members ----

  /** One room of the fleet, as the generator knows it. */
  static final class Room {
    final String id;
    final String pin;
    final long expiresAt;
    final List<Member> members = new ArrayList<>();
    Lane lane;
    int nextSender;
    int deliveries;

    Room(String id, String pin, long expiresAt) {
      this.id = id;
      this.pin = pin;
      this.expiresAt = expiresAt;
    }
  }

  /** One connected member. Touched only on its room's lane. */
  static final class Member implements LeanSocket.Listener {
    final Room room;
    Sock ws;
    final Promise<Member> joined = Promise.promise();
    final Promise<Long> burned = Promise.promise();
    volatile long burnedAtMillis;
    volatile long burnedAtNanos;
    volatile boolean closed;

    Member(Room room) {
      this.room = room;
    }

    @Override
    public void onMessage(LeanSocket socket, byte[] prefix, int length, int size) {
      room.lane.onFrame(this, prefix, length);
    }

    @Override
    public void onClose(LeanSocket socket, int code, String reason) {
      closed = true;
      String why = "socket closed " + code + " " + reason;
      joined.tryFail(why);
      burned.tryFail(why);
    }
  }

  /** POST /api/rooms on {@code port}; returns the room (id, pin, expiresAt). Callable from any thread. */
  /** Room creations sent again after 15 s without an outcome (printed by the bench: should be 0). */
  static final java.util.concurrent.atomic.AtomicInteger CREATE_RETRIES = new java.util.concurrent.atomic.AtomicInteger();

  Future<Room> createRoom(int port, int ttlSeconds) {
    return createRoomOnce(port, ttlSeconds).timeout(15, TimeUnit.SECONDS).recover(e -> {
      if (e instanceof IllegalStateException) {
        return Future.failedFuture(e); // the server answered, with an error: that is a result, not a lost exchange
      }
      // Rarely (a few times in tens of thousands of creations, only after the fan-out step) Vert.x 5.0.10's client
      // pool never completed a request: the same was seen with the test suite's in-JVM client and never with curl or
      // a browser, and its connect timeout races in the pool (eclipse-vertx/vert.x#5966). Send it once more instead
      // of losing a 15-minute run, and count it.
      CREATE_RETRIES.incrementAndGet();
      return createRoomOnce(port, ttlSeconds).timeout(15, TimeUnit.SECONDS);
    });
  }

  private Future<Room> createRoomOnce(int port, int ttlSeconds) {
    return http.request(new RequestOptions().setMethod(HttpMethod.POST).setHost("127.0.0.1").setPort(port)
            .setURI("/api/rooms").putHeader("content-type", "application/json"))
        .compose(req -> req.send(new JsonObject().put("ttlSeconds", ttlSeconds).encode()))
        .compose(resp -> resp.body().map(b -> {
          if (resp.statusCode() != 201) {
            throw new IllegalStateException("POST /api/rooms answered " + resp.statusCode() + " " + b);
          }
          JsonObject j = new JsonObject(b);
          return new Room(j.getString("roomId"), j.getString("pin"), j.getLong("expiresAt"));
        }));
  }

  Room relayRoom(int index) {
    return new Room("relay-room-" + index, null, 0);
  }

  /** Assigns the room to the next lane (round robin) and remembers it. */
  Room adopt(Room room) {
    rooms.add(assignLane(room));
    return room;
  }

  /** Gives the room a lane without keeping it in the fleet (churn: thousands of short-lived rooms). */
  Room assignLane(Room room) {
    synchronized (lanes) {
      room.lane = lanes.get(nextLane++ % lanes.size());
    }
    return room;
  }

  /** Connects one member of {@code room} to the server on {@code port} and (Burnroom) joins; on the room's lane. */
  Future<Member> connect(Room room, int port) {
    Promise<Member> result = Promise.promise();
    room.lane.ctx.runOnContext(v -> {
      Member m = new Member(room);
      Future<Sock> opened = wsClient != null ? VertxSock.connect(wsClient, port, "/ws/rooms/" + room.id, m)
          : LeanSocket.connect(room.lane.loop, vertx.isNativeTransportEnabled(), "127.0.0.1", port,
              "/ws/rooms/" + room.id, m).map(ws -> (Sock) ws);
      opened.compose(ws -> {
        m.ws = ws;
        room.members.add(m);
        if (kind == Kind.RELAY) {
          return Future.succeededFuture(m);
        }
        ws.send(JOIN_FRAME);
        return m.joined.future();
      }).onComplete(result);
    });
    return result.future();
  }

  /**
   * Sends {@code admin burn} from {@code sender} (on the room's lane) and completes with each member's lateness:
   * nanoseconds from sending the admin frame to that member's {@code burned} frame.
   */
  Future<long[]> burnNow(Member sender, long timeoutMs) {
    Room room = sender.room;
    Promise<long[]> result = Promise.promise();
    room.lane.ctx.runOnContext(v -> {
      long sentAt = System.nanoTime();
      long timer = vertx.setTimer(timeoutMs, t -> result.tryFail("no burned frame within " + timeoutMs + " ms"));
      sender.ws.send("{\"type\":\"admin\",\"pin\":\"" + room.pin + "\",\"op\":\"burn\"}");
      List<Future<Long>> all = new ArrayList<>();
      room.members.forEach(m -> all.add(m.burned.future()));
      Future.all(all).onSuccess(cf -> {
        vertx.cancelTimer(timer);
        long[] late = new long[room.members.size()];
        for (int i = 0; i < late.length; i++) {
          late[i] = room.members.get(i).burnedAtNanos - sentAt;
        }
        result.tryComplete(late);
      });
    });
    return result.future();
  }

  // ---- load ----

  /** Closed loop: each room keeps {@code window} messages in flight; the next one goes out when one is fully delivered. */
  void startClosedLoop(int window) {
    onEveryLane(lane -> {
      lane.closedLoop = true;
      long now = System.nanoTime();
      for (Room r : lane.rooms()) {
        for (int i = 0; i < window; i++) {
          lane.send(r, now);
        }
      }
      return null;
    });
  }

  /** Open loop: {@code totalRate} messages/s over all rooms, on a fixed schedule, whatever the server does. */
  void startOpenLoop(double totalRate) {
    double perLane = totalRate / lanes.size();
    onEveryLane(lane -> {
      lane.closedLoop = false;
      lane.intervalNanos = (long) (1e9 / perLane);
      lane.nextSend = System.nanoTime();
      lane.timerId = vertx.setPeriodic(1, t -> lane.openLoopTick());
      return null;
    });
  }

  /** Stops sending (messages in flight still arrive). */
  void stopLoad() {
    onEveryLane(lane -> {
      lane.closedLoop = false;
      if (lane.timerId >= 0) {
        vertx.cancelTimer(lane.timerId);
        lane.timerId = -1;
      }
      return null;
    });
  }

  void beginMeasure() {
    onEveryLane(lane -> {
      lane.hist.reset();
      lane.sendLag.reset();
      lane.windowStart = System.nanoTime();
      java.util.Arrays.fill(lane.worstPerSlice, 0);
      lane.sent = 0;
      lane.delivered = 0;
      lane.acks = 0;
      lane.measuring = true;
      return null;
    });
  }

  /** Ends the measurement window and merges the lanes' numbers. */
  Window endMeasure() {
    Histogram merged = new Histogram(60_000_000L, 3);
    Histogram lag = new Histogram(60_000_000L, 3);
    long[] worst = new long[SLICES];
    long[] counts = new long[4];
    onEveryLane(lane -> {
      lane.measuring = false;
      synchronized (merged) {
        merged.add(lane.hist);
        lag.add(lane.sendLag);
        for (int i = 0; i < SLICES; i++) {
          worst[i] = Math.max(worst[i], lane.worstPerSlice[i]);
        }
        counts[0] += lane.sent;
        counts[1] += lane.delivered;
        counts[2] += lane.acks;
        counts[3] += lane.errors;
      }
      return null;
    });
    return new Window(merged, lag, worst, counts[0], counts[1], counts[2], counts[3]);
  }

  /** Slices of {@link #SLICE_NANOS} in a measurement window that keep their worst latency (a stall shows as one). */
  static final int SLICES = 1200;
  static final long SLICE_NANOS = 100_000_000L;

  /**
   * One measurement window. {@code sendLagMicros}: how late the generator itself wrote each open-loop message after its
   * scheduled time (the generator's share of the latency); {@code worstPerSliceMicros}: the worst latency of the
   * messages scheduled in each 100 ms of the window, which tells a few long stalls from a steady queue.
   */
  record Window(Histogram latencyMicros, Histogram sendLagMicros, long[] worstPerSliceMicros, long sent,
                long delivered, long acks, long errors) {
  }

  private void onEveryLane(Function<Lane, Void> action) {
    List<CompletableFuture<Void>> done = new ArrayList<>();
    for (Lane lane : lanes) {
      CompletableFuture<Void> f = new CompletableFuture<>();
      lane.ctx.runOnContext(v -> {
        try {
          action.apply(lane);
          f.complete(null);
        } catch (RuntimeException e) {
          f.completeExceptionally(e);
        }
      });
      done.add(f);
    }
    done.forEach(f -> await(f, 30_000));
  }

  /** One event loop's share of the rooms, with its own counters. */
  final class Lane {
    final Context ctx;
    /** The Netty event loop behind {@link #ctx}: the lane's sockets are registered on it. */
    final io.netty.channel.EventLoop loop;
    final Histogram hist = new Histogram(60_000_000L, 3);
    final Histogram sendLag = new Histogram(60_000_000L, 3);
    final long[] worstPerSlice = new long[SLICES];
    long windowStart;
    boolean measuring;
    boolean closedLoop;
    long sent;
    long delivered;
    long acks;
    long errors;
    long intervalNanos;
    long nextSend;
    long timerId = -1;
    long sequence;
    int roomCursor;
    private String firstError;

    Lane(Context ctx) {
      this.ctx = ctx;
      this.loop = ((ContextInternal) ctx).nettyEventLoop();
    }

    List<Room> rooms() {
      List<Room> mine = new ArrayList<>();
      synchronized (rooms) {
        for (Room r : rooms) {
          if (r.lane == this) {
            mine.add(r);
          }
        }
      }
      return mine;
    }

    private List<Room> cached;

    void openLoopTick() {
      if (cached == null) {
        cached = rooms();
      }
      long now = System.nanoTime();
      while (nextSend - now <= 0) {
        Room r = cached.get(roomCursor++ % cached.size());
        send(r, nextSend);
        nextSend += intervalNanos;
      }
    }

    void send(Room r, long intendedNanos) {
      Member m = r.members.get(r.nextSender++ % r.members.size());
      m.ws.send(msgHead, ascii(Long.toString(intendedNanos, 36) + "." + (sequence++)), msgTail);
      if (measuring) {
        sent++;
        if (!closedLoop) {
          sendLag.recordValue(micros(System.nanoTime() - intendedNanos));
        }
      }
    }

    void onFrame(Member m, byte[] frame, int length) {
      if (startsWith(frame, length, MSG_PREFIX)) {
        long now = System.nanoTime();
        long intended = intendedNanos(frame, length);
        if (measuring) {
          long micros = micros(now - intended);
          hist.recordValue(micros);
          delivered++;
          long slice = (intended - windowStart) / SLICE_NANOS;
          if (slice >= 0 && slice < SLICES && micros > worstPerSlice[(int) slice]) {
            worstPerSlice[(int) slice] = micros;
          }
        }
        if (closedLoop) {
          Room r = m.room;
          if (++r.deliveries >= r.members.size() - 1) {
            r.deliveries = 0;
            send(r, System.nanoTime());
          }
        }
      } else if (startsWith(frame, length, ACK_PREFIX)) {
        if (measuring) {
          acks++;
        }
      } else if (startsWith(frame, length, JOINED_PREFIX)) {
        m.joined.tryComplete(m);
      } else if (startsWith(frame, length, BURNED_PREFIX)) {
        m.burnedAtNanos = System.nanoTime();
        m.burnedAtMillis = System.currentTimeMillis();
        m.burned.tryComplete(m.burnedAtNanos);
      } else if (startsWith(frame, length, ERROR_PREFIX)) {
        errors++;
        String text = new String(frame, 0, length, StandardCharsets.UTF_8);
        if (firstError == null) {
          firstError = text;
          System.err.println("  [generator] first error frame: " + text);
        }
        m.joined.tryFail(text);
      }
    }
  }

  /** A lateness in nanoseconds as microseconds within the histograms' range (0 to 60 s). */
  private static long micros(long nanos) {
    return Math.max(0, Math.min(nanos / 1000, 59_999_999L));
  }

  private static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }

  static boolean startsWith(byte[] frame, int length, byte[] prefix) {
    if (length < prefix.length) {
      return false;
    }
    for (int i = 0; i < prefix.length; i++) {
      if (frame[i] != prefix[i]) {
        return false;
      }
    }
    return true;
  }

  /** The intended send time carried in a {@code msg} frame's client id ({@code "id":"<nanos base 36>.<n>"}). */
  private static long intendedNanos(byte[] frame, int length) {
    outer:
    for (int i = 0; i + ID_KEY.length <= length; i++) {
      for (int j = 0; j < ID_KEY.length; j++) {
        if (frame[i + j] != ID_KEY[j]) {
          continue outer;
        }
      }
      long v = 0;
      boolean negative = false;
      for (int k = i + ID_KEY.length; k < length; k++) {
        int c = frame[k];
        if (c == '.') {
          return negative ? -v : v;
        }
        if (c == '-') {
          negative = true;
        } else {
          v = v * 36 + Character.digit(c, 36);
        }
      }
      break;
    }
    throw new IllegalStateException("msg frame without an intended time in its first bytes: "
        + new String(frame, 0, length, StandardCharsets.UTF_8));
  }

  // ---- helpers for the orchestrator (blocking; call from the main thread only) ----

  /** Runs {@code tasks} with at most {@code concurrency} in flight; returns results in order. Fails on the first error. */
  static <T> List<T> throttled(List<Callable<Future<T>>> tasks, int concurrency, long timeoutMs) {
    Semaphore permits = new Semaphore(concurrency);
    List<CompletableFuture<T>> all = new ArrayList<>();
    AtomicReference<Throwable> failure = new AtomicReference<>();
    for (Callable<Future<T>> task : tasks) {
      if (failure.get() != null) {
        break;
      }
      try {
        if (!permits.tryAcquire(timeoutMs, TimeUnit.MILLISECONDS)) {
          throw new IllegalStateException("timed out waiting for a slot");
        }
        CompletableFuture<T> f = new CompletableFuture<>();
        task.call().onComplete(ar -> {
          permits.release();
          if (ar.succeeded()) {
            f.complete(ar.result());
          } else {
            failure.compareAndSet(null, ar.cause());
            f.completeExceptionally(ar.cause());
          }
        });
        all.add(f);
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    }
    if (failure.get() != null) {
      throw new IllegalStateException("task failed: " + failure.get(), failure.get());
    }
    List<T> out = new ArrayList<>();
    for (CompletableFuture<T> f : all) {
      out.add(await(f, timeoutMs));
    }
    return out;
  }

  static <T> T await(CompletableFuture<T> f, long timeoutMs) {
    try {
      return f.get(timeoutMs, TimeUnit.MILLISECONDS);
    } catch (Exception e) {
      throw new IllegalStateException(e.toString(), e);
    }
  }

  static <T> T await(Future<T> f, long timeoutMs) {
    return await(f.toCompletionStage().toCompletableFuture(), timeoutMs);
  }

  /** Closes every socket (1000) and waits a moment for the server to notice. */
  void closeMembers() {
    List<Future<Void>> closing = new ArrayList<>();
    CompletableFuture<Void> queued = new CompletableFuture<>();
    List<Room> snapshot;
    synchronized (rooms) {
      snapshot = new ArrayList<>(rooms);
    }
    for (Room r : snapshot) {
      CompletableFuture<Void> f = new CompletableFuture<>();
      r.lane.ctx.runOnContext(v -> {
        for (Member m : r.members) {
          if (!m.closed && m.ws != null) {
            m.ws.close(1000);
          }
        }
        f.complete(null);
      });
      await(f, 30_000);
    }
    queued.complete(null);
  }

  @Override
  public void close() {
    await(vertx.close(), 30_000);
  }
}
