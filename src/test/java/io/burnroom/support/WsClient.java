package io.burnroom.support;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Vertx;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * A real WebSocket client for tests: connects to a node, records every frame it receives, and lets a test wait for
 * the next frame of a type. Blocking by design (tests run on the JUnit thread, never on an event loop).
 */
public final class WsClient implements AutoCloseable {
  public static final long WAIT_MS = 10_000;

  private final WebSocketClient client;
  private final WebSocket ws;
  private final BlockingQueue<JsonObject> frames = new LinkedBlockingQueue<>();
  private final List<JsonObject> all = java.util.Collections.synchronizedList(new ArrayList<>());
  private final CompletableFuture<Short> closed = new CompletableFuture<>();

  private WsClient(WebSocketClient client, WebSocket ws) {
    this.client = client;
    this.ws = ws;
    ws.textMessageHandler(t -> {
      JsonObject j = new JsonObject(t);
      all.add(j);
      frames.add(j);
    });
    ws.closeHandler(v -> closed.complete(ws.closeStatusCode()));
  }

  public static WsClient connect(Vertx vertx, int port, String roomId) {
    return connect(vertx, port, "/ws/rooms/" + roomId, null);
  }

  public static WsClient connect(Vertx vertx, int port, String path, String origin) {
    return connect(vertx, "127.0.0.1", port, path, origin);
  }

  /** Connects to a node (or a load balancer) at {@code host}, e.g. 127.0.0.2 to keep the client's 127.0.0.1 apart. */
  public static WsClient connect(Vertx vertx, String host, int port, String path, String origin) {
    return connectFrom(vertx, null, host, port, path, origin == null ? Map.of() : Map.of("Origin", origin));
  }

  /** Connects from a chosen local address (e.g. 127.0.0.9; null: any) with extra handshake headers. */
  public static WsClient connectFrom(Vertx vertx, String localAddress, String host, int port, String path,
                                     Map<String, String> headers) {
    WebSocketClientOptions options = new WebSocketClientOptions().setMaxFrameSize(1 << 20).setMaxMessageSize(1 << 22);
    if (localAddress != null) {
      options.setLocalAddress(localAddress);
    }
    WebSocketClient c = vertx.createWebSocketClient(options);
    WebSocketConnectOptions o = new WebSocketConnectOptions().setHost(host).setPort(port).setURI(path);
    headers.forEach(o::addHeader);
    try {
      WebSocket ws = c.connect(o).toCompletionStage().toCompletableFuture().get(WAIT_MS, TimeUnit.MILLISECONDS);
      return new WsClient(c, ws);
    } catch (Exception e) {
      c.close();
      throw new IllegalStateException("connect failed: " + e, e);
    }
  }

  /** Sends {@code join} and returns the {@code joined} frame. */
  public JsonObject join(String profile) {
    send(new JsonObject().put("type", "join").put("profile", profile));
    return expect("joined");
  }

  public JsonObject resume(String profile, String token, long lastSeq) {
    send(new JsonObject().put("type", "join").put("profile", profile).put("resume", token).put("lastSeq", lastSeq));
    return expect("joined");
  }

  public void msg(String id, String body) {
    send(new JsonObject().put("type", "msg").put("id", id).put("body", body));
  }

  public void msgTo(String id, String body, String to) {
    send(new JsonObject().put("type", "msg").put("id", id).put("body", body).put("to", to));
  }

  /** Sends an attachment chunk, {@code type} first as the web client writes it, to everyone else or to {@code to}. */
  public void chunk(String id, String body, String to) {
    JsonObject f = new JsonObject().put("type", "chunk").put("id", id).put("body", body);
    send(to == null ? f : f.put("to", to));
  }

  /**
   * Sends chunks {@code prefix.0} to {@code prefix.(n-1)} as the web client does, keeping at most {@code window}
   * unacknowledged, and returns once every one is acknowledged.
   */
  public void chunks(String prefix, int n, String body, int window) {
    for (int i = 0; i < n; i++) {
      chunk(prefix + "." + i, body, null);
      if (i >= window - 1) {
        expect("chunk_ack");
      }
    }
    for (int i = 0; i < Math.min(n, window - 1); i++) {
      expect("chunk_ack");
    }
  }

  public void admin(String pin, String op) {
    send(new JsonObject().put("type", "admin").put("pin", pin).put("op", op));
  }

  public void send(JsonObject frame) {
    sendText(frame.encode());
  }

  /** The PIN rule from a guesser's side: two wrong PINs answer wrong_pin, the third pin_lockout, then close 4029. */
  public void guessWrongPinsUntilLockedOut() {
    admin("WRONG111", "lock");
    assertThat(expect("error").getString("code")).isEqualTo("wrong_pin");
    admin("WRONG222", "lock");
    assertThat(expect("error").getString("code")).isEqualTo("wrong_pin");
    admin("WRONG333", "lock");
    assertThat(expect("error").getString("code")).isEqualTo("pin_lockout");
    assertThat(awaitClose()).isEqualTo((short) 4029);
  }

  /**
   * Sends a text frame; answers false when the socket was already closed (e.g. by the server mid-flood), or when its
   * connection died under the write (e.g. its node was killed) before the close event reached this client.
   */
  public boolean sendText(String text) {
    try {
      ws.writeTextMessage(text).toCompletionStage().toCompletableFuture().join();
      return true;
    } catch (java.util.concurrent.CompletionException e) {
      // A connection reset by a killed node surfaces as an IOException before the close event does.
      if (ws.isClosed() || e.getCause() instanceof java.io.IOException) {
        return false;
      }
      throw e;
    }
  }

  public WebSocket socket() {
    return ws;
  }

  /** Waits for the next frame whose type is {@code type}, skipping ticks and other frames in between. */
  public JsonObject expect(String type) {
    return expect(f -> type.equals(f.getString("type")), type, WAIT_MS);
  }

  public JsonObject expect(Predicate<JsonObject> p, String what, long waitMs) {
    long deadline = System.currentTimeMillis() + waitMs;
    try {
      while (true) {
        long left = deadline - System.currentTimeMillis();
        JsonObject f = left <= 0 ? null : frames.poll(left, TimeUnit.MILLISECONDS);
        if (f == null) {
          throw new AssertionError("no '" + what + "' frame within " + waitMs + " ms; got " + all);
        }
        if (p.test(f)) {
          return f;
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  /** The next frame that is not a tick, or null when none arrives within {@code waitMs}. */
  public JsonObject nextNonTick(long waitMs) {
    long deadline = System.currentTimeMillis() + waitMs;
    try {
      while (true) {
        long left = deadline - System.currentTimeMillis();
        JsonObject f = left <= 0 ? null : frames.poll(left, TimeUnit.MILLISECONDS);
        if (f == null || !"tick".equals(f.getString("type"))) {
          return f;
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    }
  }

  /** Takes every frame that arrived and was not yet taken by {@code expect}/{@code drain}, in order. */
  public List<JsonObject> drain() {
    List<JsonObject> out = new ArrayList<>();
    frames.drainTo(out);
    return out;
  }

  /** Every frame received so far, in order. */
  public List<JsonObject> received() {
    synchronized (all) {
      return List.copyOf(all);
    }
  }

  /** Waits for the server to close the socket and returns the close code. */
  public short awaitClose() {
    try {
      Short code = closed.get(WAIT_MS, TimeUnit.MILLISECONDS);
      return code == null ? -1 : code;
    } catch (Exception e) {
      throw new AssertionError("socket not closed within " + WAIT_MS + " ms; got " + all, e);
    }
  }

  public boolean isClosed() {
    return closed.isDone();
  }

  /** Closes from the client side with {@code code} (1000 = leave now; 4999 looks like a dropped network). */
  public void close(int code) {
    if (!closed.isDone()) {
      ws.close((short) code).toCompletionStage().toCompletableFuture().join();
    }
  }

  @Override
  public void close() {
    try {
      close(1000);
    } catch (RuntimeException ignored) {
      // already gone
    }
    client.close();
  }
}
