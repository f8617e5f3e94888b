package io.burnroom.process;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.burnroom.support.FreePorts;
import io.burnroom.support.NodeProcess;
import io.burnroom.support.TestNodes;
import io.burnroom.support.WsClient;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The operator's path, end to end: {@code deploy/cluster.sh} starts three real nodes and a real haproxy; a room is
 * created, joined, used and burned only through the load balancer (round robin, no stickiness), so members land on
 * different nodes; {@code cluster.sh stop} then leaves no process behind.
 */
@DisplayName("Deployment: deploy/cluster.sh with haproxy in front")
class DeployIT {
  private static final Path SCRIPT = Paths.get("deploy", "cluster.sh").toAbsolutePath();
  private static final Path UNIT = Paths.get("deploy", "burnroom.service").toAbsolutePath();
  private static final int MEMBERS = 6;

  private final List<Integer> ports = FreePorts.take(10);
  private final int lbPort = ports.get(0);
  private final List<Integer> chatPorts = ports.subList(1, 4);
  private final List<Integer> mgmtPorts = ports.subList(4, 7);
  private final List<Integer> hzPorts = ports.subList(7, 10);
  private Vertx vertx;
  private HttpClient http;
  private Process script;
  private Output output;

  @BeforeEach
  void setUp() {
    vertx = Vertx.vertx();
    http = TestNodes.httpClient(vertx);
  }

  @AfterEach
  void tearDown() throws Exception {
    if (script != null && script.isAlive()) {
      run(List.of("bash", SCRIPT.toString(), "stop"), env());
      if (!script.waitFor(60, TimeUnit.SECONDS)) {
        script.descendants().forEach(ProcessHandle::destroyForcibly);
        script.destroyForcibly();
      }
    }
    vertx.close();
  }

  @Test
  @DisplayName("one command starts 3 nodes behind haproxy; members spread over all nodes talk and burn through the LB; stop leaves nothing running")
  void clusterBehindHaproxy() throws Exception {
    assumeTrue(onPath("haproxy"), "haproxy is not installed (apt-get install -y haproxy): cannot test the real LB");
    assumeTrue(onPath("curl"), "curl is not installed: cluster.sh needs it to wait for readiness");

    long t0 = System.currentTimeMillis();
    ProcessBuilder pb = new ProcessBuilder("bash", SCRIPT.toString()).redirectErrorStream(true);
    pb.environment().putAll(env());
    script = pb.start();
    script.getOutputStream().close();
    output = new Output(script.getInputStream());
    output.await("Burnroom cluster ready: http://127.0.0.1:" + lbPort, 240_000, script);
    System.out.printf("DeployIT: cluster ready through haproxy after %d ms%n", System.currentTimeMillis() - t0);

    List<ProcessHandle> everything = script.descendants().toList();
    List<ProcessHandle> javas = everything.stream().filter(h -> command(h).endsWith("/java")).toList();
    List<ProcessHandle> haproxy = everything.stream().filter(h -> command(h).endsWith("haproxy")).toList();
    assertThat(javas).as("three node JVMs").hasSize(3);
    assertThat(haproxy).as("one haproxy").hasSize(1);
    for (ProcessHandle j : javas) {
      List<String> args = Arrays.asList(j.info().arguments().orElse(new String[0]));
      assertThat(args).as("a node runs with every JVM flag the build tests with (pom.xml)")
          .containsAll(NodeProcess.defaultJvmFlags());
    }

    String aliceName = "Alice-" + UUID.randomUUID();
    JsonObject created = request(HttpMethod.POST, lbPort, "/api/rooms", new JsonObject().put("ttlSeconds", 600).encode());
    assertThat(created.getInteger("_status")).isEqualTo(201);
    String roomId = created.getString("roomId");
    String pin = created.getString("pin");

    List<WsClient> members = new ArrayList<>();
    try {
      for (int i = 0; i < MEMBERS; i++) {
        WsClient c = WsClient.connect(vertx, lbPort, roomId);
        members.add(c);
        c.join(b64(i == 0 ? aliceName : "member-" + i));
      }
      Map<Integer, Integer> perNode = new HashMap<>();
      for (int i = 0; i < 3; i++) {
        perNode.put(chatPorts.get(i), gauge(mgmtPorts.get(i), "burnroom_members_connected"));
      }
      System.out.println("DeployIT: members per node (by chat port) " + perNode);
      assertThat(perNode.values()).as("round robin spread the members over every node").allMatch(n -> n >= 1);
      assertThat(perNode.values().stream().mapToInt(Integer::intValue).sum()).isEqualTo(MEMBERS);

      for (int i = 0; i < MEMBERS; i++) {
        members.get(i).msg("m" + i, b64("hello from " + i));
      }
      for (int r = 0; r < MEMBERS; r++) {
        int me = r;
        List<String> others = java.util.stream.IntStream.range(0, MEMBERS).filter(i -> i != me)
            .mapToObj(i -> "m" + i).toList();
        WsClient m = members.get(r);
        awaitFrames(m, f -> "ack".equals(f.getString("type")) && ("m" + me).equals(f.getString("id")), 1, "own ack");
        awaitFrames(m, f -> "msg".equals(f.getString("type")), others.size(), "messages from the others");
        assertThat(m.received().stream().filter(f -> "msg".equals(f.getString("type"))).map(f -> f.getString("id")))
            .as("member %d got every other member's message exactly once, across nodes", r)
            .containsExactlyInAnyOrderElementsOf(others);
      }

      // PIN lockout is per client, not per load balancer: haproxy tells the nodes each client's address
      // (X-Forwarded-For, replacing whatever the client claimed; here the attacker pretends to be the creator).
      String attackerIp = "127.0.0.9";
      Map<String, String> forged = Map.of("X-Forwarded-For", "127.0.0.1");
      try (WsClient attacker = WsClient.connectFrom(vertx, attackerIp, "127.0.0.1", lbPort, "/ws/rooms/" + roomId, forged)) {
        attacker.join(b64("attacker"));
        for (String wrong : List.of("WRONG111", "WRONG222", "WRONG333")) {
          attacker.admin(wrong, "lock");
        }
        assertThat(attacker.expect(f -> "error".equals(f.getString("type")) && "pin_lockout".equals(f.getString("code")),
            "pin_lockout", WsClient.WAIT_MS)).isNotNull();
        assertThat(attacker.awaitClose()).isEqualTo((short) 4029);
      }
      try (WsClient again = WsClient.connectFrom(vertx, attackerIp, "127.0.0.1", lbPort, "/ws/rooms/" + roomId, Map.of())) {
        again.join(b64("attacker again"));
        again.admin(pin, "lock");
        assertThat(again.expect("error").getString("code"))
            .as("the locked-out client stays locked out on whichever node it lands").isEqualTo("pin_lockout");
      }
      members.get(0).admin(pin, "lock");
      assertThat(members.get(0).expect("admin_ok").getString("op"))
          .as("the creator, another client behind the same LB, is not locked out").isEqualTo("lock");

      members.get(0).admin(pin, "burn");
      for (WsClient m : members) {
        assertThat(m.expect("burned")).isNotNull();
        assertThat(m.awaitClose()).isEqualTo((short) 4000);
      }
    } finally {
      members.forEach(WsClient::close);
    }
    for (int i = 0; i < 3; i++) {
      assertThat(request(HttpMethod.GET, lbPort, "/api/rooms/" + roomId, null).getInteger("_status"))
          .as("after the burn every node (round robin) answers 404").isEqualTo(404);
    }
    assertThat(output.text()).as("the cluster's output names no room, PIN or member")
        .doesNotContain(roomId).doesNotContain(pin).doesNotContain(b64(aliceName));

    long stopAt = System.currentTimeMillis();
    Result stop = run(List.of("bash", SCRIPT.toString(), "stop"), env());
    assertThat(stop.code()).as("cluster.sh stop: %s", stop.output()).isZero();
    assertThat(script.waitFor(60, TimeUnit.SECONDS)).as("the supervisor exits").isTrue();
    for (ProcessHandle h : everything) {
      h.onExit().get(10, TimeUnit.SECONDS);
      assertThat(h.isAlive()).as("%s is gone", command(h)).isFalse();
    }
    System.out.printf("DeployIT: stopped everything in %d ms%n", System.currentTimeMillis() - stopAt);
    assertThat(listening(lbPort)).as("nothing listens on the LB port any more").isFalse();
    for (int p : chatPorts) {
      assertThat(listening(p)).as("nothing listens on chat port %d any more", p).isFalse();
    }
    assertThat(output.text()).contains("[cluster] stopped");
  }

  @Test
  @DisplayName("cluster.sh refuses to start, with a clear message and a nonzero exit, when haproxy or the jar is missing")
  void missingPieces() throws Exception {
    Map<String, String> noHaproxy = env();
    noHaproxy.put("HAPROXY", "/nonexistent/haproxy");
    Result r1 = run(List.of("bash", SCRIPT.toString()), noHaproxy);
    assertThat(r1.code()).isNotZero();
    assertThat(r1.output()).contains("haproxy not found");

    Map<String, String> noJar = env();
    noJar.put("BURNROOM_JAR", "/nonexistent/burnroom.jar");
    noJar.put("HAPROXY", "true"); // any binary passes the haproxy check, so this run is about the jar alone
    Result r2 = run(List.of("bash", SCRIPT.toString()), noJar);
    assertThat(r2.code()).isNotZero();
    assertThat(r2.output()).contains("jar not found").contains("mvn -B package");

    Result r3 = run(List.of("bash", SCRIPT.toString(), "stop"), env());
    assertThat(r3.code()).as("stop without a running cluster").isNotZero();
    assertThat(r3.output()).contains("no cluster");
  }

  @Test
  @DisplayName("the systemd unit runs the jar with every JVM flag the build tests with, and with its hardening in place")
  void systemdUnit() throws IOException {
    String unit = Files.readString(UNIT);
    String execStart = Arrays.stream(unit.replace("\\\n", " ").split("\n"))
        .filter(l -> l.startsWith("ExecStart=")).findFirst().orElseThrow();
    // every flag of the build's, with the native library where the unit's install steps put it
    List<String> flags = NodeProcess.defaultJvmFlags().stream()
        .map(f -> f.startsWith("-Djava.library.path=") ? "-Djava.library.path=/opt/burnroom/native" : f).toList();
    assertThat(Arrays.asList(execStart.split("\\s+"))).containsAll(flags).contains("-Djava.library.path=/opt/burnroom/native");
    assertThat(execStart).doesNotContain("HeapDumpOnOutOfMemoryError");
    assertThat(unit).contains("DynamicUser=yes", "ProtectSystem=strict", "ProtectHome=yes", "PrivateTmp=yes",
        "NoNewPrivileges=yes", "SuccessExitStatus=143", "EnvironmentFile=", "LimitCORE=0");
  }

  // ---- helpers ----

  private Map<String, String> env() {
    Map<String, String> env = new HashMap<>();
    env.put("LB_PORT", String.valueOf(lbPort));
    env.put("CHAT_PORTS", join(chatPorts));
    env.put("MGMT_PORTS", join(mgmtPorts));
    env.put("HAZELCAST_PORTS", join(hzPorts));
    env.put("CLUSTER_NAME", "deploy-it-" + UUID.randomUUID());
    env.put("BURNROOM_JAR", NodeProcess.defaultJar().toString());
    env.put("JAVA", Paths.get(System.getProperty("java.home"), "bin", "java").toString());
    env.put("BURNROOM_ROOMS_PER_MINUTE_PER_SOURCE", "100000");
    env.put("BURNROOM_MSGS_PER_SECOND_PER_CONNECTION", "100000");
    return env;
  }

  private static void awaitFrames(WsClient c, java.util.function.Predicate<JsonObject> p, int count, String what)
      throws InterruptedException {
    long deadline = System.currentTimeMillis() + WsClient.WAIT_MS;
    while (c.received().stream().filter(p).count() < count) {
      if (System.currentTimeMillis() > deadline) {
        throw new AssertionError("no " + what + " within " + WsClient.WAIT_MS + " ms; got " + c.received());
      }
      Thread.sleep(20);
    }
  }

  private static String join(List<Integer> ports) {
    return ports.stream().map(String::valueOf).collect(Collectors.joining(" "));
  }

  private static String b64(String s) {
    return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
  }

  private static String command(ProcessHandle h) {
    return h.info().command().orElse("");
  }

  private static boolean onPath(String binary) {
    return Arrays.stream(System.getenv().getOrDefault("PATH", "").split(":"))
        .anyMatch(d -> Files.isExecutable(Paths.get(d, binary)));
  }

  private static boolean listening(int port) {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress("127.0.0.1", port), 500);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  private int gauge(int mgmtPort, String name) {
    String text = request(HttpMethod.GET, mgmtPort, "/metrics", null).getString("_text");
    return text.lines().filter(l -> l.startsWith(name + " ")).findFirst()
        .map(l -> (int) Double.parseDouble(l.substring(name.length() + 1).trim()))
        .orElseThrow(() -> new AssertionError(name + " missing from /metrics on " + mgmtPort));
  }

  private JsonObject request(HttpMethod method, int port, String path, String body) {
    try {
      return http.request(new RequestOptions().setMethod(method).setHost("127.0.0.1").setPort(port).setURI(path))
          .compose(req -> body == null ? req.send() : req.send(Buffer.buffer(body)))
          .compose(res -> res.body().map(b -> {
            JsonObject j = b.length() > 0 && b.getByte(0) == '{' ? new JsonObject(b) : new JsonObject();
            return j.put("_status", res.statusCode()).put("_text", b.toString());
          }))
          .toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private record Result(int code, String output) {
  }

  private static Result run(List<String> command, Map<String, String> env) throws Exception {
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
    pb.environment().putAll(env);
    Process p = pb.start();
    p.getOutputStream().close();
    byte[] out = p.getInputStream().readAllBytes();
    if (!p.waitFor(90, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError(command + " did not finish");
    }
    return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
  }

  /** The script's combined output, kept in memory. */
  private static final class Output {
    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();

    Output(InputStream in) {
      Thread t = new Thread(() -> {
        byte[] buf = new byte[8192];
        try (in) {
          int n;
          while ((n = in.read(buf)) >= 0) {
            synchronized (bytes) {
              bytes.write(buf, 0, n);
            }
          }
        } catch (IOException ignored) {
          // the script went away
        }
      }, "cluster-sh-output");
      t.setDaemon(true);
      t.start();
    }

    String text() {
      synchronized (bytes) {
        return bytes.toString(StandardCharsets.UTF_8);
      }
    }

    void await(String line, long ms, Process p) throws InterruptedException {
      long deadline = System.currentTimeMillis() + ms;
      while (!text().contains(line)) {
        if (!p.isAlive()) {
          throw new AssertionError("cluster.sh exited (" + p.exitValue() + ") before it was ready:\n" + text());
        }
        if (System.currentTimeMillis() > deadline) {
          throw new AssertionError("cluster.sh not ready within " + ms + " ms:\n" + text());
        }
        Thread.sleep(100);
      }
    }
  }
}
