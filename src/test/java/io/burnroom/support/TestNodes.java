package io.burnroom.support;

import io.burnroom.app.BurnroomNode;
import io.burnroom.config.AppConfig;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * Starts real Burnroom nodes inside the test JVM: embedded, or clustered over real memory-only Hazelcast on
 * 127.0.0.1 with a random cluster name so parallel runs never meet. HTTP ports are 0 (the OS picks); cluster ports,
 * which members must name before they bind, come from {@link FreePorts}.
 */
public final class TestNodes implements AutoCloseable {
  private final List<BurnroomNode> nodes = new ArrayList<>();
  private final String clusterName = "test-" + UUID.randomUUID();
  /** Up to 5 cluster ports per TestNodes, found free, so parallel suites never collide. */
  private final List<Integer> clusterPorts = FreePorts.take(5);
  private int clustered;
  private final Vertx clientVertx = Vertx.vertx();
  private final HttpClient http = httpClient(clientVertx);

  /**
   * The tests' HTTP client: it drops an idle pooled connection after 2 s, before any test node's keep-alive deadline
   * (6 × its join timeout) closes it, so a request never races that close.
   */
  public static HttpClient httpClient(Vertx vertx) {
    return vertx.createHttpClient(new HttpClientOptions().setKeepAliveTimeout(2));
  }

  /** Settings every test node gets: free ports, 1-second minimum TTL, generous rate limits. */
  public static Map<String, String> baseEnv() {
    Map<String, String> env = new HashMap<>();
    env.put("BURNROOM_HTTP_HOST", "127.0.0.1");
    env.put("BURNROOM_HTTP_PORT", "0");
    env.put("BURNROOM_MGMT_PORT", "0");
    env.put("BURNROOM_MIN_TTL_SECONDS", "1");
    env.put("BURNROOM_ROOMS_PER_MINUTE_PER_SOURCE", "100000");
    env.put("BURNROOM_MSGS_PER_SECOND_PER_CONNECTION", "100000");
    env.put("BURNROOM_CONNECTS_PER_MINUTE_PER_SOURCE", "100000");
    env.put("BURNROOM_ADMIN_ATTEMPTS_PER_MINUTE_PER_SOURCE", "100000");
    return env;
  }

  public BurnroomNode embedded(Map<String, String> overrides) {
    Map<String, String> env = baseEnv();
    env.putAll(overrides);
    return start(env);
  }

  public BurnroomNode embedded() {
    return embedded(Map.of());
  }

  public BurnroomNode clustered(Map<String, String> overrides) {
    Map<String, String> env = baseEnv();
    env.put("BURNROOM_CLUSTER", "true");
    env.put("BURNROOM_CLUSTER_NAME", clusterName);
    env.put("BURNROOM_CLUSTER_HOST", "127.0.0.1");
    env.put("BURNROOM_CLUSTER_PORT", String.valueOf(clusterPorts.get(clustered++ % clusterPorts.size())));
    env.put("BURNROOM_CLUSTER_MEMBERS", String.join(",", clusterPorts.stream().map(p -> "127.0.0.1:" + p).toList()));
    env.put("BURNROOM_FAILURE_DETECT_SECONDS", "3");
    env.putAll(overrides);
    return start(env);
  }

  public BurnroomNode clustered() {
    return clustered(Map.of());
  }

  private BurnroomNode start(Map<String, String> env) {
    BurnroomNode node = await(BurnroomNode.start(AppConfig.from(env)), 60_000);
    nodes.add(node);
    return node;
  }

  public List<BurnroomNode> nodes() {
    return List.copyOf(nodes);
  }

  public Vertx clientVertx() {
    return clientVertx;
  }

  public WsClient ws(BurnroomNode node, String roomId) {
    return WsClient.connect(clientVertx, node.httpPort(), roomId);
  }

  public record Reply(int status, JsonObject body, Map<String, String> headers) {
  }

  /**
   * One HTTP request from the tests' Vert.x client. Under heavy machine load that client has been seen, about once
   * per full suite run, to leave a request unsent (the node never saw it: its request handler was not called, while
   * raw sockets, curl and Chromium never showed this; KeepAliveTest proves the server side on one connection). So a
   * request that got no answer within 4 s is sent once more on a fresh connection instead of failing the test. The
   * bench's client hit the same stall and logged the likely cause: Vert.x 5.0.10's client pool completing a promise
   * twice ("Promise already completed" in SharedHttpClientConnectionGroup, eclipse-vertx/vert.x#5966); recheck when
   * Vert.x is upgraded.
   */
  public Reply request(HttpMethod method, int port, String path, String body) {
    try {
      return await(send(http, method, port, path, body, 4_000), 5_000);
    } catch (IllegalStateException first) {
      HttpClient fresh = clientVertx.createHttpClient(new HttpClientOptions().setKeepAlive(false));
      try {
        return await(send(fresh, method, port, path, body, 10_000), 11_000);
      } finally {
        fresh.close();
      }
    }
  }

  private static Future<Reply> send(HttpClient client, HttpMethod method, int port, String path, String body,
                                    long timeoutMs) {
    return client.request(new RequestOptions().setMethod(method).setHost("127.0.0.1").setPort(port).setURI(path)
            .setIdleTimeout(timeoutMs))
        .compose(req -> body == null ? req.send() : req.send(Buffer.buffer(body)))
        .compose(res -> res.body().map(b -> toReply(res, b)));
  }

  private static Reply toReply(HttpClientResponse res, Buffer b) {
    Map<String, String> headers = new HashMap<>();
    res.headers().forEach(e -> headers.put(e.getKey().toLowerCase(java.util.Locale.ROOT), e.getValue()));
    JsonObject json;
    try {
      json = b.length() == 0 ? new JsonObject() : new JsonObject(b);
    } catch (RuntimeException e) {
      json = new JsonObject().put("_text", b.toString());
    }
    return new Reply(res.statusCode(), json, headers);
  }

  /** Creates a room on {@code node} and returns the 201 body ({@code roomId}, {@code pin}, {@code expiresAt}). */
  public JsonObject createRoom(BurnroomNode node, int ttlSeconds) {
    Reply r = request(HttpMethod.POST, node.httpPort(), "/api/rooms", new JsonObject().put("ttlSeconds", ttlSeconds).encode());
    if (r.status() != 201) {
      throw new AssertionError("create failed: " + r);
    }
    return r.body();
  }

  public static <T> T await(Future<T> f, long ms) {
    try {
      return f.toCompletionStage().toCompletableFuture().get(ms, TimeUnit.MILLISECONDS);
    } catch (java.util.concurrent.TimeoutException e) {
      // A wait that never ends is the hardest failure to read from a CI log: show what every thread was doing.
      if (!Boolean.getBoolean("burnroom.test.noThreadDump")) {
        Thread.getAllStackTraces().forEach((t, st) -> {
          System.err.println("DUMP " + t.getName() + " " + t.getState());
          for (int i = 0; i < Math.min(st.length, 12); i++) System.err.println("DUMP    at " + st[i]);
        });
      }
      throw new IllegalStateException(e);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * Waits until every partition of the nodes' cluster has its backup: a node killed before that takes partitions
   * with no copy left with it, and the rooms in them.
   */
  public static void awaitClusterSafe(BurnroomNode... nodes) throws InterruptedException {
    long until = System.currentTimeMillis() + 30_000;
    for (BurnroomNode n : nodes) {
      while (!n.hazelcast().getPartitionService().isClusterSafe()) {
        if (System.currentTimeMillis() > until) {
          throw new IllegalStateException("partitions not backed up within 30 s");
        }
        Thread.sleep(50);
      }
    }
  }

  /** As {@code kill -9} for the cluster: no hand-over, no goodbye; the others detect the silence. */
  public void kill(BurnroomNode node) {
    nodes.remove(node);
    node.hazelcast().getLifecycleService().terminate();
    node.vertx().close();
  }

  /** Stops one node gracefully. */
  public void stop(BurnroomNode node) {
    nodes.remove(node);
    await(node.close(), 60_000);
  }

  @Override
  public void close() {
    for (BurnroomNode n : List.copyOf(nodes)) {
      try {
        await(n.close(), 60_000);
      } catch (RuntimeException ignored) {
        // best effort
      }
    }
    nodes.clear();
    http.close();
    clientVertx.close();
  }
}
