package io.burnroom.browser;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.http.ServerWebSocketHandshake;
import io.vertx.core.http.UpgradeRejectedException;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketBase;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.SocketAddress;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import java.util.function.UnaryOperator;

/**
 * A hostile server for browser tests: a real HTTP and WebSocket man in the middle in front of a real node. Pages and
 * the API are forwarded request by request; each {@code /ws/rooms/{id}} socket gets its own socket to the node and
 * every text frame goes through the test's {@link Rule}s on its way, both directions. The proxy records every frame
 * as it arrived and as it was passed on.
 *
 * <p>Each browser gets its own listener ({@link #listen(String)}), so the proxy knows whose connection a frame is on
 * by the port it came to; it learns the member id from the node's {@code joined} frame.
 *
 * <p>Frames to the browser that carry a {@code seq} ({@code msg}, {@code ack}) are renumbered per connection, the way
 * a server hiding its edits would: a dropped frame leaves no gap, an injected or replayed one gets the next number,
 * and later frames move up behind it. A close from either side reaches the rules as the frame
 * {@code {"type":"@close","code":N,"reason":R}}: drop it and the other side stays open.
 *
 * <p>All proxy work runs on one event-loop thread, so rules never race each other.
 */
final class FrameEditingProxy implements AutoCloseable {
  static final String CLOSE = "@close";

  enum Dir { TO_CLIENT, TO_SERVER }

  /** One browser's socket and its socket to the node. Touched only on the proxy's event loop. */
  static final class Conn {
    final String label;
    final Context context;
    volatile String memberId;
    ServerWebSocket client;
    WebSocket upstream;
    private int lastSeqOut;
    private int shift;

    private Conn(String label, Context context) {
      this.label = label;
      this.context = context;
    }

    String label() {
      return label;
    }

    String memberId() {
      return memberId;
    }
  }

  /** A frame on its way; rules read it. */
  record Frame(Conn conn, Dir dir, JsonObject json) {
    String type() {
      return json.getString("type", "");
    }

    String label() {
      return conn.label;
    }

    /** The member the frame is sent to (TO_CLIENT) or by (TO_SERVER). */
    String member() {
      return conn.memberId;
    }
  }

  /** What a rule does with a frame it matched: the frames to pass on instead (an empty list drops it). */
  @FunctionalInterface
  interface Action {
    List<JsonObject> apply(Frame frame);
  }

  /** A predicate and an action; it handles at most {@code times} frames (then it stops matching). */
  static final class Rule {
    final String name;
    final Predicate<Frame> when;
    final Action then;
    final int times;
    final AtomicInteger fired = new AtomicInteger();

    Rule(String name, Predicate<Frame> when, Action then, int times) {
      this.name = name;
      this.when = when;
      this.then = then;
      this.times = times;
    }

    int fired() {
      return fired.get();
    }

    @Override
    public String toString() {
      return name + " (fired " + fired() + ")";
    }
  }

  /** One frame as it arrived (null for an injected one) and what was passed on (empty: dropped). */
  record Logged(long atMs, String label, String memberId, Dir dir, JsonObject arrived, List<JsonObject> passed) {
    boolean edited() {
      return arrived == null || passed.size() != 1 || !passed.get(0).equals(arrived);
    }
  }

  /** An answer the proxy gives itself, instead of the node's, to requests {@code when} matches. */
  record HttpRule(Predicate<HttpServerRequest> when, int status, JsonObject body) {
  }

  /** An HTTP request the proxy forwarded, with the node's answer (bodies kept for {@code /api/} only). */
  record Http(String label, String method, String uri, int status, String body) {
  }

  private final int nodePort;
  private final Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1).setWorkerPoolSize(1));
  private final HttpClient http = vertx.createHttpClient(new HttpClientOptions().setKeepAliveTimeout(2));
  private final WebSocketClient ws = vertx.createWebSocketClient(
      new WebSocketClientOptions().setMaxFrameSize(1 << 20).setMaxMessageSize(1 << 22));
  private final Map<String, HttpServer> listeners = new ConcurrentHashMap<>();
  private final List<Conn> conns = new CopyOnWriteArrayList<>();
  private final List<Rule> rules = new CopyOnWriteArrayList<>();
  private final List<HttpRule> httpRules = new CopyOnWriteArrayList<>();
  private final List<Logged> log = Collections.synchronizedList(new ArrayList<>());
  private final List<Http> httpLog = Collections.synchronizedList(new ArrayList<>());

  FrameEditingProxy(int nodePort) {
    this.nodePort = nodePort;
  }

  /** Opens a listener for one browser on a free port of 127.0.0.1 and returns its origin, e.g. http://127.0.0.1:4711. */
  String listen(String label) {
    HttpServer server = vertx.createHttpServer(new HttpServerOptions().setHost("127.0.0.1").setPort(0)
        .setMaxWebSocketFrameSize(1 << 20).setMaxWebSocketMessageSize(1 << 22));
    server.requestHandler(req -> forward(label, req));
    server.webSocketHandshakeHandler(hs -> handshake(label, hs));
    server.webSocketHandler(s -> {
      // handled in the handshake's accept()
    });
    await(server.listen());
    listeners.put(label, server);
    return "http://127.0.0.1:" + server.actualPort();
  }

  // ---- rules ----

  Rule add(String name, Predicate<Frame> when, Action then) {
    return add(name, when, then, Integer.MAX_VALUE);
  }

  Rule add(String name, Predicate<Frame> when, Action then, int times) {
    Rule r = new Rule(name, when, then, times);
    rules.add(r);
    return r;
  }

  /** From now on {@code when}'s requests get {@code status} and {@code body} from the proxy; the node never sees them. */
  void answer(Predicate<HttpServerRequest> when, int status, JsonObject body) {
    httpRules.add(new HttpRule(when, status, body));
  }

  void clearRules() {
    rules.clear();
    httpRules.clear();
  }

  /** Frames to {@code label}'s browser of the given type. */
  static Predicate<Frame> toClient(String label, String type) {
    return f -> f.dir == Dir.TO_CLIENT && f.label().equals(label) && f.type().equals(type);
  }

  /** Frames from {@code label}'s browser of the given type. */
  static Predicate<Frame> toServer(String label, String type) {
    return f -> f.dir == Dir.TO_SERVER && f.label().equals(label) && f.type().equals(type);
  }

  /** A relayed room message (not a direct one such as a key bundle) from {@code memberId}. */
  static Predicate<Frame> roomMsgFrom(String memberId) {
    return f -> "msg".equals(f.type()) && memberId.equals(f.json.getString("from"))
        && !f.json.getBoolean("direct", false);
  }

  /** Matches only the {@code n}-th (1-based) frame that {@code p} matches, counting from when the rule is added. */
  static Predicate<Frame> nth(int n, Predicate<Frame> p) {
    AtomicInteger seen = new AtomicInteger();
    return f -> p.test(f) && seen.incrementAndGet() == n;
  }

  static Action drop() {
    return f -> List.of();
  }

  static Action edit(UnaryOperator<JsonObject> change) {
    return f -> List.of(change.apply(f.json.copy()));
  }

  /** Holds the first frame it gets and passes it on right after the next one: the two swap places. */
  static Action swapWithNext() {
    JsonObject[] held = new JsonObject[1];
    return f -> {
      if (held[0] == null) {
        held[0] = f.json;
        return List.of();
      }
      List<JsonObject> out = List.of(f.json, held[0]);
      held[0] = null;
      return out;
    };
  }

  /** Waits until {@code rule} has handled {@code n} frames. */
  void awaitFired(Rule rule, int n, long ms) {
    long deadline = System.currentTimeMillis() + ms;
    while (rule.fired() < n) {
      if (System.currentTimeMillis() > deadline) {
        throw new AssertionError("rule '" + rule + "' did not fire " + n + " times within " + ms + " ms; log:\n"
            + describe());
      }
      sleep(20);
    }
  }

  // ---- acting as the server ----

  /** Sends {@code frame} to {@code label}'s browser now, as if the node had sent it (a {@code seq} is renumbered). */
  void inject(String label, JsonObject frame) {
    Conn c = conn(label);
    CompletableFuture<Void> done = new CompletableFuture<>();
    c.context.runOnContext(v -> {
      toClient(c, null, List.of(frame.copy()));
      done.complete(null);
    });
    join(done);
  }

  /** Same as {@link #inject} but from the event loop (inside a rule's action), for another connection. */
  void injectFromRule(Conn to, JsonObject frame) {
    toClient(to, null, List.of(frame.copy()));
  }

  // ---- what went by ----

  /** The newest connection of {@code label} (a browser that reconnects gets a new one). */
  Conn conn(String label) {
    for (int i = conns.size() - 1; i >= 0; i--) {
      if (conns.get(i).label.equals(label)) {
        return conns.get(i);
      }
    }
    throw new AssertionError("no connection from " + label);
  }

  /** The member id the node gave {@code label}'s newest connection (waits for its {@code joined}). */
  String memberId(String label) {
    long deadline = System.currentTimeMillis() + 10_000;
    while (true) {
      for (int i = conns.size() - 1; i >= 0; i--) {
        Conn c = conns.get(i);
        if (c.label.equals(label) && c.memberId != null) {
          return c.memberId;
        }
      }
      if (System.currentTimeMillis() > deadline) {
        throw new AssertionError("no joined frame for " + label);
      }
      sleep(20);
    }
  }

  List<Logged> log() {
    synchronized (log) {
      return List.copyOf(log);
    }
  }

  /** Frames as they arrived at the proxy on {@code label}'s connections in one direction. */
  List<JsonObject> arrived(String label, Dir dir) {
    return log().stream().filter(l -> l.label.equals(label) && l.dir == dir && l.arrived != null)
        .map(Logged::arrived).toList();
  }

  /** Frames the proxy passed on over {@code label}'s connections in one direction (what the other side got). */
  List<JsonObject> passed(String label, Dir dir) {
    return log().stream().filter(l -> l.label.equals(label) && l.dir == dir).flatMap(l -> l.passed.stream()).toList();
  }

  List<Http> http() {
    synchronized (httpLog) {
      return List.copyOf(httpLog);
    }
  }

  /** The log as text, one frame a line, for failure messages. */
  String describe() {
    return describe(0);
  }

  /** The log from entry {@code from} on, as text. */
  String describe(int from) {
    StringBuilder b = new StringBuilder();
    List<Logged> all = log();
    for (Logged l : all.subList(Math.min(from, all.size()), all.size())) {
      b.append(l.atMs % 100_000).append(' ').append(l.label).append(l.dir == Dir.TO_CLIENT ? " <- " : " -> ")
          .append(l.arrived == null ? "(injected)" : brief(l.arrived));
      if (l.edited()) {
        b.append("  => ").append(l.passed.isEmpty() ? "(dropped)" : l.passed.stream().map(FrameEditingProxy::brief).toList());
      }
      b.append('\n');
    }
    return b.toString();
  }

  private static String brief(JsonObject j) {
    JsonObject c = j.copy();
    for (String k : List.of("body", "profile", "resumeToken")) {
      if (c.getValue(k) instanceof String s && s.length() > 12) {
        c.put(k, s.substring(0, 8) + "…");
      }
    }
    if (c.getValue("members") != null) {
      c.put("members", "[" + c.getJsonArray("members").size() + "]");
    }
    return c.encode();
  }

  // ---- HTTP ----

  private static final Set<String> HOP_BY_HOP = Set.of("connection", "keep-alive", "transfer-encoding", "upgrade",
      "proxy-connection", "te", "trailer", "content-length");

  private void forward(String label, HttpServerRequest req) {
    for (HttpRule r : httpRules) {
      if (r.when.test(req)) {
        httpLog.add(new Http(label, req.method().name(), req.uri(), r.status, r.body.encode()));
        req.response().setStatusCode(r.status).putHeader(HttpHeaders.CONTENT_TYPE, "application/json").end(r.body.encode());
        return;
      }
    }
    req.body().compose(body -> {
      RequestOptions o = new RequestOptions().setMethod(req.method()).setServer(SocketAddress.inetSocketAddress(nodePort, "127.0.0.1"))
          .setHost("127.0.0.1").setPort(req.authority().port()).setURI(req.uri()).setHeaders(copy(req.headers()))
          .setIdleTimeout(10_000);
      return http.request(o).compose(up -> up.send(body)).compose(res -> res.body().map(b -> {
        req.response().setStatusCode(res.statusCode());
        req.response().headers().addAll(copy(res.headers()));
        if (req.path().startsWith("/api/")) {
          httpLog.add(new Http(label, req.method().name(), req.uri(), res.statusCode(), b.toString()));
        }
        return b;
      }));
    }).onSuccess(b -> req.response().end(b)).onFailure(e -> req.response().setStatusCode(502).end());
  }

  private static MultiMap copy(MultiMap headers) {
    MultiMap out = MultiMap.caseInsensitiveMultiMap();
    headers.forEach(e -> {
      if (!HOP_BY_HOP.contains(e.getKey().toLowerCase(Locale.ROOT)) && !e.getKey().equalsIgnoreCase("host")) {
        out.add(e.getKey(), e.getValue());
      }
    });
    return out;
  }

  // ---- WebSocket ----

  private void handshake(String label, ServerWebSocketHandshake hs) {
    // The node sees the browser's Origin and a Host of the proxy's listener, so its same-origin check holds as is.
    WebSocketConnectOptions o = new WebSocketConnectOptions().setHost("127.0.0.1").setPort(nodePort).setURI(hs.uri())
        .setAllowOriginHeader(false).putHeader(HttpHeaders.HOST.toString(), "127.0.0.1:" + hs.authority().port());
    String origin = hs.headers().get(HttpHeaders.ORIGIN);
    if (origin != null) {
      o.addHeader(HttpHeaders.ORIGIN.toString(), origin);
    }
    ws.connect(o).onComplete(ar -> {
      if (ar.failed()) {
        hs.reject(ar.cause() instanceof UpgradeRejectedException u ? u.getStatus() : 502);
        return;
      }
      WebSocket upstream = ar.result();
      upstream.pause();
      hs.accept().onComplete(acc -> {
        if (acc.failed()) {
          upstream.close();
          return;
        }
        Conn c = new Conn(label, vertx.getOrCreateContext());
        c.client = acc.result();
        c.upstream = upstream;
        conns.add(c);
        upstream.textMessageHandler(t -> toClient(c, parse(t), null));
        upstream.closeHandler(v -> toClient(c, closeFrame(upstream), null));
        c.client.textMessageHandler(t -> toServer(c, parse(t)));
        c.client.closeHandler(v -> toServer(c, closeFrame(c.client)));
        upstream.resume();
      });
    });
  }

  private static JsonObject parse(String text) {
    try {
      return new JsonObject(text);
    } catch (RuntimeException e) {
      return new JsonObject().put("type", "@unparsed").put("text", text);
    }
  }

  private static JsonObject closeFrame(WebSocketBase s) {
    Short code = s.closeStatusCode();
    return new JsonObject().put("type", CLOSE).put("code", code == null ? 1006 : (int) code)
        .put("reason", s.closeReason() == null ? "" : s.closeReason());
  }

  private List<JsonObject> applyRules(Frame f) {
    for (Rule r : rules) {
      if (r.fired() < r.times && r.when.test(f)) {
        r.fired.incrementAndGet();
        return r.then.apply(f);
      }
    }
    return List.of(f.json);
  }

  /** A frame from the node ({@code arrived}), or frames the test or a rule injects ({@code injected}). */
  private void toClient(Conn c, JsonObject arrived, List<JsonObject> injected) {
    if (arrived != null && "joined".equals(arrived.getString("type")) && c.memberId == null) {
      c.memberId = arrived.getString("memberId");
      c.lastSeqOut = arrived.getInteger("seq", 0);
    }
    List<JsonObject> out = arrived == null ? injected : applyRules(new Frame(c, Dir.TO_CLIENT, arrived));
    List<JsonObject> sent = new ArrayList<>();
    boolean slotTaken = false;
    for (JsonObject f : out) {
      JsonObject s = f.copy();
      if (hasSeq(s)) {
        // The first frame out takes the arrived frame's place in the numbering; anything more is extra.
        boolean inSlot = arrived != null && hasSeq(arrived) && !slotTaken;
        int seq = inSlot ? arrived.getInteger("seq") + c.shift : c.lastSeqOut + 1;
        seq = Math.max(seq, c.lastSeqOut + 1);
        c.shift = inSlot ? seq - arrived.getInteger("seq") : c.shift + 1;
        slotTaken |= inSlot;
        if ("msg".equals(s.getString("type"))) {
          c.lastSeqOut = seq;
        }
        s.put("seq", seq);
      }
      sent.add(s);
    }
    if (arrived != null && hasSeq(arrived) && !slotTaken) {
      c.shift--; // dropped: the next frame takes its number
    }
    log.add(new Logged(System.currentTimeMillis(), c.label, c.memberId, Dir.TO_CLIENT, arrived, List.copyOf(sent)));
    for (JsonObject s : sent) {
      if (CLOSE.equals(s.getString("type"))) {
        if (!c.client.isClosed()) {
          c.client.close((short) s.getInteger("code", 1000).intValue(), s.getString("reason", ""));
        }
      } else if (!c.client.isClosed()) {
        c.client.writeTextMessage(s.encode());
      }
    }
  }

  private static boolean hasSeq(JsonObject f) {
    String t = f.getString("type", "");
    return ("msg".equals(t) || "ack".equals(t)) && f.getValue("seq") instanceof Number;
  }

  private void toServer(Conn c, JsonObject arrived) {
    List<JsonObject> out = applyRules(new Frame(c, Dir.TO_SERVER, arrived));
    log.add(new Logged(System.currentTimeMillis(), c.label, c.memberId, Dir.TO_SERVER, arrived, List.copyOf(out)));
    for (JsonObject s : out) {
      if (c.upstream.isClosed()) {
        return;
      }
      if (CLOSE.equals(s.getString("type"))) {
        int code = s.getInteger("code", 1000);
        // 1005/1006 are never sent on the wire: the browser went away without a close frame.
        c.upstream.close((short) (code == 1005 || code == 1006 ? 1001 : code), s.getString("reason", ""));
      } else {
        c.upstream.writeTextMessage(s.encode());
      }
    }
  }

  // ---- plumbing ----

  private static <T> T await(Future<T> f) {
    return join(f.toCompletionStage().toCompletableFuture());
  }

  private static <T> T join(CompletableFuture<T> f) {
    try {
      return f.get(15, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  @Override
  public void close() {
    try {
      vertx.close().toCompletionStage().toCompletableFuture().get(15, TimeUnit.SECONDS);
    } catch (Exception e) {
      // best effort
    }
  }
}
