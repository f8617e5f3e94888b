package io.burnroom.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import io.burnroom.support.NodeProcess;
import io.burnroom.support.WsClient;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * One real node process (the built jar, the documented flags) goes through a whole room life — create, join two
 * sockets, talk, wrong PINs, a creator's burn, timer burns, a rate-limited create — and its management port is
 * scraped before, during and after. Every assertion compares against what the scenario did.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@DisplayName("Metrics on the management port")
public class MetricsIT {
  private static final Pattern ROOM_ID_LIKE = Pattern.compile("[A-Za-z0-9_-]{22}");
  private static final int MESSAGES = 4;
  private static final int BODY_BYTES = 300;
  private static final int CHUNKS = 3;

  private NodeProcess node;
  private Vertx vertx;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private final List<String> secrets = new ArrayList<>();
  private Scrape before;
  private Scrape during;
  private Scrape after;
  private int createsRefused;
  private int inventedMethods;

  @BeforeAll
  void runScenario() throws Exception {
    node = NodeProcess.builder().name("metrics")
        .env("BURNROOM_ROOMS_PER_MINUTE_PER_SOURCE", "3")
        .start();
    vertx = Vertx.vertx();
    before = scrape();

    JsonObject talk = createRoom(3);
    JsonObject creatorBurn = createRoom(300);
    JsonObject guarded = createRoom(4);
    for (int i = 0; i < 2; i++) {
      if (post("/api/rooms", "{\"ttlSeconds\":300}").statusCode() == 429) {
        createsRefused++;
      }
    }
    String body = Base64.getEncoder().encodeToString(new byte[BODY_BYTES]);
    try (WsClient alice = WsClient.connect(vertx, node.httpPort(), talk.getString("roomId"));
         WsClient bob = WsClient.connect(vertx, node.httpPort(), talk.getString("roomId"))) {
      secrets.add(alice.join(profile("alice")).getString("memberId"));
      secrets.add(bob.join(profile("bob")).getString("memberId"));
      for (int i = 0; i < MESSAGES; i++) {
        alice.msg("m" + i, body);
        alice.expect("ack");
        bob.expect("msg");
      }
      alice.chunks("att", CHUNKS, body, 4);
      for (int i = 0; i < CHUNKS; i++) {
        bob.expect("chunk");
      }
      during = scrape();

      try (WsClient mallory = WsClient.connect(vertx, node.httpPort(), guarded.getString("roomId"))) {
        mallory.join(profile("mallory"));
        mallory.guessWrongPinsUntilLockedOut();
      }
      try (WsClient creator = WsClient.connect(vertx, node.httpPort(), creatorBurn.getString("roomId"))) {
        creator.join(profile("carol"));
        creator.admin(creatorBurn.getString("pin"), "burn");
        assertThat(creator.awaitClose()).isEqualTo((short) 4000);
      }
      alice.expect(f -> "burned".equals(f.getString("type")), "burned", 10_000);
      assertThat(alice.awaitClose()).isEqualTo((short) 4000);
      assertThat(bob.awaitClose()).isEqualTo((short) 4000);
    }
    for (int i = 0; i < 40; i++) {
      try (java.net.Socket raw = new java.net.Socket("127.0.0.1", node.httpPort())) {
        raw.setSoTimeout(5_000);
        raw.getOutputStream().write(("M" + i + "X / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            .getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
        if (new String(raw.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.ISO_8859_1)
            .startsWith("HTTP/1.1 405")) {
          inventedMethods++;
        }
      }
    }
    // The guarded room expires on its own a moment later; wait until every room and socket is gone.
    long deadline = System.currentTimeMillis() + 15_000;
    do {
      Thread.sleep(200);
      after = scrape();
    } while ((after.sum("burnroom_rooms_active") > 0 || after.sum("burnroom_members_connected") > 0
        || after.sum("vertx_http_server_active_ws_connections") > 0) && System.currentTimeMillis() < deadline);
  }

  @AfterAll
  void stop() {
    if (node != null) {
      node.close();
    }
    if (vertx != null) {
      vertx.close();
    }
  }

  @Test
  @DisplayName("rooms: created, active while open, burned by reason, and none left at the end")
  void roomMeters() {
    assertThat(createsRefused).isEqualTo(2);
    assertThat(after.sum("burnroom_room_creations_total") - before.sum("burnroom_room_creations_total")).isEqualTo(3);
    assertThat(during.sum("burnroom_rooms_active")).isEqualTo(3);
    assertThat(after.sum("burnroom_rooms_active")).isZero();
    assertThat(after.sum("burnroom_rooms_burned_total", Map.of("reason", "creator"))).isEqualTo(1);
    assertThat(after.sum("burnroom_rooms_burned_total", Map.of("reason", "expired"))).isEqualTo(2);
    assertThat(after.sum("burnroom_rooms_burned_total", Map.of("reason", "failover_expired"))).isZero();
    assertThat(after.sum("burnroom_failovers_total")).isZero();
  }

  @Test
  @DisplayName("burn lateness: only timer burns are timed, and both landed well inside a second")
  void burnLateness() {
    assertThat(after.sum("burnroom_burn_lateness_seconds_count")).isEqualTo(2);
    assertThat(after.sum("burnroom_burn_lateness_seconds_bucket", Map.of("le", "1.0"))).isEqualTo(2);
    assertThat(after.sum("burnroom_burn_lateness_seconds_bucket", Map.of("le", "+Inf"))).isEqualTo(2);
    assertThat(after.sum("burnroom_burn_lateness_seconds_sum")).isBetween(0.0, 2.0);
  }

  @Test
  @DisplayName("members, messages and ciphertext bytes follow the conversation")
  void conversationMeters() {
    assertThat(during.sum("burnroom_members_connected")).isEqualTo(2);
    assertThat(after.sum("burnroom_members_connected")).isZero();
    assertThat(after.sum("burnroom_messages_relayed_total")).isEqualTo(MESSAGES);
    assertThat(after.sum("burnroom_relayed_bytes_total")).isEqualTo(MESSAGES * BODY_BYTES);
  }

  @Test
  @DisplayName("attachment chunks: relayed, their bytes times their one recipient, nothing left in flight")
  void chunkMeters() {
    int bodyChars = Base64.getEncoder().encodeToString(new byte[BODY_BYTES]).length();
    assertThat(after.sum("burnroom_chunks_relayed_total")).isEqualTo(CHUNKS);
    assertThat(after.sum("burnroom_chunk_delivered_bytes_total")).isEqualTo(CHUNKS * bodyChars);
    assertThat(after.sum("burnroom_chunk_deliveries_in_flight")).isZero();
    assertThat(after.sum("burnroom_chunk_credit_expired_total")).isZero();
    assertThat(after.sum("burnroom_chunks_paced_total", Map.of("reason", "delivery_credit"))).isZero();
    assertThat(after.sum("burnroom_rate_limited_total", Map.of("kind", "chunk"))).isZero();
  }

  @Test
  @DisplayName("wrong PINs, the lockout and the refused room creations are counted")
  void abuseMeters() {
    assertThat(after.sum("burnroom_pin_failures_total")).isEqualTo(3);
    assertThat(after.sum("burnroom_pin_lockouts_total")).isEqualTo(1);
    assertThat(after.sum("burnroom_rate_limited_total", Map.of("kind", "room_create"))).isEqualTo(2);
    assertThat(after.sum("burnroom_rate_limited_total", Map.of("kind", "message"))).isZero();
  }

  @Test
  @DisplayName("HTTP and WebSocket meters: requests by route template and code, live WebSockets up then down")
  void httpMeters() {
    Map<String, String> created = Map.of("method", "POST", "route", "/api/rooms", "code", "201");
    Map<String, String> limited = Map.of("method", "POST", "route", "/api/rooms", "code", "429");
    assertThat(after.sum("vertx_http_server_requests_total", created)
        - before.sum("vertx_http_server_requests_total", created)).isEqualTo(3);
    assertThat(after.sum("vertx_http_server_requests_total", limited)).isEqualTo(2);
    assertThat(during.sum("vertx_http_server_active_ws_connections")).isEqualTo(2);
    assertThat(after.sum("vertx_http_server_active_ws_connections")).isZero();
    assertThat(after.sum("vertx_http_server_bytes_written_total")).isGreaterThan(before.sum("vertx_http_server_bytes_written_total"));
    assertThat(after.labelValues("route")).allSatisfy(r -> assertThat(r).doesNotContainPattern(ROOM_ID_LIKE));
  }

  @Test
  @DisplayName("event-bus meters move with the traffic: handlers registered per room, messages sent and processed")
  void eventBusMeters() {
    assertThat(during.sum("vertx_eventbus_handlers")).isGreaterThanOrEqualTo(before.sum("vertx_eventbus_handlers") + 3);
    assertThat(after.sum("vertx_eventbus_handlers")).isLessThan(during.sum("vertx_eventbus_handlers"));
    // Each message is at least a request to its room and a delivery to the edge, and each is acknowledged.
    assertThat(after.sum("vertx_eventbus_sent_total") - before.sum("vertx_eventbus_sent_total"))
        .isGreaterThanOrEqualTo(2 * MESSAGES);
    assertThat(after.sum("vertx_eventbus_processed_total") - before.sum("vertx_eventbus_processed_total"))
        .isGreaterThanOrEqualTo(2 * MESSAGES);
    assertThat(after.has("vertx_eventbus_pending")).isTrue();
    assertThat(after.labelValues("side")).isSubsetOf(Set.of("local", "remote"));
  }

  @Test
  @DisplayName("JVM and process meters are there: memory, GC, threads, processor, uptime, class loading")
  void jvmMeters() {
    assertThat(after.names()).contains("jvm_memory_used_bytes", "jvm_gc_memory_allocated_bytes_total",
        "jvm_threads_live_threads", "process_cpu_usage", "system_cpus", "process_uptime_seconds",
        "jvm_classes_loaded_classes");
    assertThat(after.sum("jvm_memory_used_bytes", Map.of("area", "heap"))).isPositive();
    assertThat(after.sum("process_uptime_seconds")).isPositive();
  }

  @Test
  @DisplayName("promtool accepts the scrape as valid, lint-clean Prometheus text")
  void promtoolAcceptsTheScrape() {
    assumeThat(Promtool.available()).as(Promtool.MISSING).isTrue();
    for (Scrape s : List.of(before, during, after)) {
      Promtool.Result r = Promtool.run(s.text(), "check", "metrics");
      assertThat(r.exitCode()).as(r.output()).isZero();
    }
  }

  @Test
  @DisplayName("a client cannot mint series: 40 invented request methods are all counted under method=\"other\"")
  void requestMethodsAreBounded() {
    assertThat(inventedMethods).isEqualTo(40);
    assertThat(after.labelValues("method")).isSubsetOf("GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH",
        "TRACE", "CONNECT", "other");
    assertThat(after.sum("vertx_http_server_requests_total", Map.of("method", "other", "code", "405")))
        .isEqualTo(40);
  }

  @Test
  @DisplayName("no room id, member id, profile or client address appears anywhere in the text")
  void nothingIdentifying() {
    for (Scrape s : List.of(before, during, after)) {
      assertThat(secrets).allSatisfy(secret -> assertThat(s.text()).doesNotContain(secret));
      assertThat(s.text()).doesNotContain("127.0.0.1").doesNotContain(profile("alice"));
      for (Scrape.Sample sample : s.samples()) {
        assertThat(sample.labels().values()).allSatisfy(v -> assertThat(v).doesNotContainPattern(ROOM_ID_LIKE));
      }
    }
  }

  @Test
  @DisplayName("the chat port serves neither /metrics nor /ops; the management port serves both, /ops under a strict CSP")
  void portsAreSeparate() throws Exception {
    for (String path : List.of("/metrics", "/ops", "/ops/samples", "/ops/ops.js")) {
      assertThat(get(node.httpPort(), path).statusCode()).as("chat port " + path).isEqualTo(404);
    }
    HttpResponse<String> ops = get(node.mgmtPort(), "/ops");
    assertThat(ops.statusCode()).isEqualTo(200);
    String csp = ops.headers().firstValue("Content-Security-Policy").orElse("");
    assertThat(csp).contains("default-src 'none'", "script-src 'self'", "frame-ancestors 'none'").doesNotContain("unsafe");
    assertThat(ops.body()).doesNotContain("<script>").doesNotContain("style=").doesNotContain("<style");
    assertThat(get(node.mgmtPort(), "/ops/vendor/uPlot.iife.min.js").statusCode()).isEqualTo(200);
    assertThat(get(node.mgmtPort(), "/health/live").statusCode()).isEqualTo(200);
    assertThat(get(node.mgmtPort(), "/health/ready").statusCode()).isEqualTo(200);
    JsonObject samples = new JsonObject(get(node.mgmtPort(), "/ops/samples").body());
    assertThat(samples.getJsonArray("nodes")).hasSize(1);
    assertThat(samples.getJsonArray("nodes").getJsonObject(0).getString("node")).isEqualTo(node.nodeId());
  }

  @Test
  @DisplayName("every metric the dashboard and the alert rules use exists in a real scrape")
  void deployFilesUseRealNames() throws IOException {
    Path root = projectRoot();
    Set<String> used = metricNames(root.resolve("deploy/grafana/burnroom.json"), "(?:burnroom|vertx|jvm|process|system)");
    used.addAll(metricNames(root.resolve("deploy/alerts.yml"), "(?:burnroom|vertx|jvm|process|system)"));
    assertThat(used).contains("burnroom_rooms_active", "vertx_eventbus_pending", "burnroom_burn_lateness_seconds_bucket")
        .allSatisfy(name -> assertThat(exported(after, name)).as(name + " in the scrape").isTrue());
  }

  @Test
  @DisplayName("docs/operate.md documents exactly the burnroom_* meters a node exports")
  void docsListEveryBurnroomMeter() throws IOException {
    Set<String> documented = metricNames(projectRoot().resolve("docs/operate.md"), "burnroom");
    // This node is not clustered: it has no cluster maps to count (LocalEntriesTest reads that meter on a cluster).
    Set<String> clusteredOnly = Set.of("burnroom_cluster_map_entries");
    assertThat(documented).filteredOn(name -> !clusteredOnly.contains(name))
        .allSatisfy(name -> assertThat(exported(after, name)).as(name + " in the scrape").isTrue());
    assertThat(after.names()).filteredOn(n -> n.startsWith("burnroom_")).allSatisfy(n ->
        assertThat(documented.stream().anyMatch(d -> n.equals(d) || n.startsWith(d + "_"))).as(n + " documented").isTrue());
  }

  private static Set<String> metricNames(Path file, String prefixes) throws IOException {
    Matcher m = Pattern.compile("\\b(" + prefixes + "_[a-z0-9_]*[a-z0-9])").matcher(Files.readString(file, StandardCharsets.UTF_8));
    Set<String> out = new TreeSet<>();
    while (m.find()) {
      out.add(m.group(1));
    }
    return out;
  }

  /** A histogram or timer is exported as name_bucket, name_sum, ...: its base name counts as exported. */
  private static boolean exported(Scrape s, String name) {
    return Stream.of("", "_bucket", "_sum", "_count", "_max").anyMatch(suffix -> s.has(name + suffix));
  }

  // ---- helpers ----

  public static Path projectRoot() {
    return Paths.get(System.getProperty("burnroom.root", "")).toAbsolutePath();
  }

  private static String profile(String name) {
    return Base64.getEncoder().encodeToString(("opaque-profile-" + name).getBytes(StandardCharsets.UTF_8));
  }

  private JsonObject createRoom(int ttlSeconds) throws Exception {
    HttpResponse<String> r = post("/api/rooms", "{\"ttlSeconds\":" + ttlSeconds + "}");
    assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
    JsonObject room = new JsonObject(r.body());
    secrets.add(room.getString("roomId"));
    secrets.add(room.getString("pin"));
    return room;
  }

  private HttpResponse<String> post(String path, String body) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.httpPort() + path))
        .POST(HttpRequest.BodyPublishers.ofString(body)).header("Content-Type", "application/json").build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> get(int port, String path) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).GET().build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private Scrape scrape() throws Exception {
    HttpResponse<String> r = get(node.mgmtPort(), "/metrics");
    assertThat(r.statusCode()).isEqualTo(200);
    return new Scrape(r.body());
  }
}
