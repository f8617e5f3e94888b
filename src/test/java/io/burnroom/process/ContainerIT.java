package io.burnroom.process;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.burnroom.support.ContainerNode;
import io.burnroom.support.ContainerNode.Podman;
import io.burnroom.support.FreePorts;
import io.burnroom.support.NodeProcess;
import io.burnroom.support.ResilientMember;
import io.burnroom.support.TestNodes;
import io.burnroom.support.WsClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.BooleanSupplier;
import java.util.function.IntSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The container path under real podman: the base image is built from Debian's packages (deploy/jre-base-image.sh,
 * reused while its recipe is unchanged), the image from the Containerfile, and three clustered nodes run as
 * containers with a read-only root and nothing writable at all (no tmpfs, no volume, no /dev/shm) on the host's
 * loopback ports. A room lives its whole life through them while one container is killed and another stopped, and
 * {@code podman diff} of every container is empty at the end.
 *
 * <p>The podman settings this machine needs (runc, cgroupfs, no default ulimits) are {@link Podman#forThisMachine}'s
 * and nobody else's. Rootful podman is required: the test skips, saying so, only when it does not run as root.
 */
@DisplayName("Containers: the image under real podman, read-only with nothing writable")
class ContainerIT {
  private static final String BASE_IMAGE = "localhost/burnroom-jre:17";
  private static final String IMAGE = "localhost/burnroom:it";
  private static final int DETECT_SECONDS = 3;
  private static final Path ROOT = Paths.get(System.getProperty("burnroom.root", ".")).toAbsolutePath();
  private static Podman podman;

  private final String run = UUID.randomUUID().toString().substring(0, 8);
  private final ContainerNode[] nodes = new ContainerNode[3];
  private final List<ResilientMember> people = new ArrayList<>();
  private TestNodes client;

  @BeforeAll
  static void buildImage() throws Exception {
    int uid = (Integer) Files.getAttribute(Paths.get("/proc/self"), "unix:uid");
    if (uid != 0) {
      System.out.println("ContainerIT SKIPPED: rootful podman needs root, and this runs as uid " + uid);
    }
    assumeTrue(uid == 0, "ContainerIT needs root for rootful podman (CI and .ci/run run as root); uid is " + uid);
    for (String tool : List.of("podman", "runc", "mmdebstrap")) {
      assertThat(onPath(tool)).as("%s is not installed: apt-get install podman runc mmdebstrap (.ci/run does)", tool)
          .isTrue();
    }
    podman = Podman.forThisMachine(ROOT.resolve("target/podman/containers.conf"));

    long start = System.nanoTime();
    ProcessBuilder base = new ProcessBuilder(ROOT.resolve("deploy/jre-base-image.sh").toString())
        .redirectErrorStream(true);
    base.environment().putAll(podman.env());
    base.environment().put("PODMAN", podman.commandLine());
    base.environment().put("BASE_IMAGE", BASE_IMAGE);
    Process script = base.start();
    String said = new String(script.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    System.out.print(said);
    assertThat(script.waitFor()).as("deploy/jre-base-image.sh:%n%s", said).isZero();
    long baseMs = (System.nanoTime() - start) / 1_000_000;

    start = System.nanoTime();
    Podman.Result build = podman.exec(List.of("build", "--format", "docker", "--build-arg", "BASE=" + BASE_IMAGE,
        "--tag", IMAGE, "--file", ROOT.resolve("Containerfile").toString(), ROOT.toString()), Duration.ofMinutes(10));
    assertThat(build.exit()).as("podman build:%n%s", build.output()).isZero();
    System.out.printf("ContainerIT: base image ready in %.1f s, node image built in %.1f s%n", baseMs / 1000.0,
        (System.nanoTime() - start) / 1e9);
  }

  @AfterAll
  static void removeImage() {
    if (podman != null) {
      podman.run("rmi", "--force", IMAGE);
    }
  }

  @AfterEach
  void stop() throws Exception {
    people.forEach(ResilientMember::close);
    for (ContainerNode n : nodes) {
      if (n != null) {
        n.close();
      }
    }
    if (client != null) {
      client.close();
    }
  }

  @Test
  @DisplayName("the image: a non-root user, the build's JVM flags, SIGTERM, every variable documented, a health check that follows /health/ready")
  void imageConfiguration() throws IOException {
    Podman.Result inspect = podman.run("image", "inspect", IMAGE);
    assertThat(inspect.exit()).as(inspect.output()).isZero();
    JsonObject image = new JsonArray(inspect.output().substring(inspect.output().indexOf('[')).trim()).getJsonObject(0);
    JsonObject config = image.getJsonObject("Config");
    assertThat(config.getString("User")).isEqualTo("10001:10001");
    assertThat(config.getString("StopSignal")).isIn("SIGTERM", "15");
    List<String> flags = NodeProcess.defaultJvmFlags().stream()
        .map(f -> f.startsWith("-Djava.library.path=") ? "-Djava.library.path=/app/native" : f).toList();
    List<Object> entrypoint = config.getJsonArray("Entrypoint").getList();
    assertThat(entrypoint).as("every flag the build tests nodes with").containsAll(flags)
        .startsWith("java").endsWith("-jar", "/app/burnroom.jar");
    JsonArray health = image.getJsonObject("Healthcheck").getJsonArray("Test");
    assertThat(health.getList()).startsWith("CMD", "bash", "-c");
    assertThat(health.getString(3)).contains("/health/ready");
    assertHealthCheckFollowsReadiness(health.getString(3));

    String readme = Files.readString(ROOT.resolve("README.md"));
    String containerfile = Files.readString(ROOT.resolve("Containerfile"));
    java.util.regex.Matcher variable = java.util.regex.Pattern.compile("(?m)^\\| `(BURNROOM_\\w+)`(?: / `(BURNROOM_\\w+)`)?")
        .matcher(readme);
    int documented = 0;
    while (variable.find()) {
      for (int g = 1; g <= 2; g++) {
        if (variable.group(g) != null) {
          assertThat(containerfile).as("the Containerfile documents %s", variable.group(g)).contains(variable.group(g));
          documented++;
        }
      }
    }
    assertThat(documented).as("variables in README's Configuration table").isGreaterThan(20);
  }

  @Test
  @DisplayName("the evidence can fail: --read-only refuses a write, and podman diff shows one made without it")
  void diffSeesWrites() {
    Podman.Result refused = podman.exec(List.of("run", "--rm", "--read-only", "--read-only-tmpfs=false",
        "--network=host", "--log-driver=none", "--entrypoint=bash", IMAGE, "-c", "echo x > /tmp/probe"),
        Duration.ofMinutes(1));
    assertThat(refused.exit()).isNotZero();
    assertThat(refused.output()).contains("Read-only file system");
    String name = "burnroom-it-" + run + "-writable";
    try {
      Podman.Result wrote = podman.exec(List.of("run", "--name", name, "--network=host", "--log-driver=none",
          "--entrypoint=bash", IMAGE, "-c", "echo x > /tmp/probe"), Duration.ofMinutes(1));
      assertThat(wrote.exit()).as(wrote.output()).isZero();
      assertThat(podman.diff(name)).contains("A /tmp/probe");
    } finally {
      podman.run("rm", "--force", name);
    }
  }

  /** The image's health check command, run in the image against a stand-in that answers 503, then 200. */
  private static void assertHealthCheckFollowsReadiness(String command) {
    io.vertx.core.Vertx vertx = io.vertx.core.Vertx.vertx();
    java.util.concurrent.atomic.AtomicInteger status = new java.util.concurrent.atomic.AtomicInteger(503);
    try {
      int port = TestNodes.await(vertx.createHttpServer()
          .requestHandler(req -> req.response().setStatusCode("/health/ready".equals(req.path()) ? status.get() : 404)
              .end())
          .listen(0, "127.0.0.1"), 10_000).actualPort();
      List<String> check = List.of("run", "--rm", "--read-only", "--read-only-tmpfs=false", "--network=host",
          "--log-driver=none", "--env=BURNROOM_MGMT_PORT=" + port, "--entrypoint=bash", IMAGE, "-c", command);
      assertThat(podman.exec(check, Duration.ofMinutes(1)).exit()).as("unhealthy while /health/ready is 503")
          .isNotZero();
      status.set(200);
      Podman.Result ok = podman.exec(check, Duration.ofMinutes(1));
      assertThat(ok.exit()).as("healthy once /health/ready is 200: %s", ok.output()).isZero();
    } finally {
      vertx.close();
    }
  }

  @Test
  @DisplayName("three read-only containers: a room's whole life, kill -9 of its owner, a SIGTERM handover, a burn, and no file written")
  void clusterOfReadOnlyContainers() {
    client = new TestNodes();
    List<Integer> ports = FreePorts.take(9);
    String members = String.join(",", ports.subList(6, 9).stream().map(p -> "127.0.0.1:" + p).toList());
    String cluster = "containers-" + run;
    for (int i = 0; i < 3; i++) {
      Map<String, String> env = new HashMap<>(TestNodes.baseEnv());
      env.putAll(Map.of("BURNROOM_HTTP_PORT", String.valueOf(ports.get(i)),
          "BURNROOM_MGMT_PORT", String.valueOf(ports.get(3 + i)),
          "BURNROOM_CLUSTER", "true", "BURNROOM_CLUSTER_NAME", cluster, "BURNROOM_CLUSTER_HOST", "127.0.0.1",
          "BURNROOM_CLUSTER_PORT", String.valueOf(ports.get(6 + i)), "BURNROOM_CLUSTER_MEMBERS", members,
          "BURNROOM_FAILURE_DETECT_SECONDS", String.valueOf(DETECT_SECONDS), "BURNROOM_RESUME_GRACE_MS", "60000"));
      String name = "burnroom-it-" + run + "-" + i;
      nodes[i] = ContainerNode.start(podman, name, IMAGE, env);
      assertThat(nodes[i].output()).as("%s runs on epoll, its library read in place", name).contains("transport=epoll");
    }
    for (ContainerNode n : nodes) {
      assertThat(n.healthy()).as("%s: the image's HEALTHCHECK on /health/ready", n.name()).isTrue();
    }

    // The whole life of a room on a healthy cluster: created through one node, joined through the two others.
    String aliceName = "Alice-" + run;
    String bobName = "Bob-" + run;
    JsonObject room = create(0);
    String roomId = room.getString("roomId");
    String pin = room.getString("pin");
    try (WsClient alice = WsClient.connect(client.clientVertx(), nodes[1].httpPort(), roomId);
         WsClient bob = WsClient.connect(client.clientVertx(), nodes[2].httpPort(), roomId)) {
      String aliceId = alice.join(b64(aliceName)).getString("memberId");
      bob.join(b64(bobName));
      assertThat(alice.expect("member_joined").getString("profile")).isEqualTo(b64(bobName));
      alice.msg("m1", b64("hello"));
      assertThat(alice.expect("ack").getString("id")).isEqualTo("m1");
      assertThat(bob.expect("msg").getString("body")).isEqualTo(b64("hello"));
      bob.msgTo("m2", b64("reply"), aliceId);
      assertThat(alice.expect("msg").getString("body")).isEqualTo(b64("reply"));
      alice.admin("WRONGPIN", "lock");
      assertThat(alice.expect("error").getString("code")).isEqualTo("wrong_pin");
      alice.admin(pin, "lock");
      assertThat(alice.expect("admin_ok").getString("op")).isEqualTo("lock");
      assertThat(bob.expect("locked").getBoolean("locked")).isTrue();
      alice.admin(pin, "unlock");
      assertThat(alice.expect("admin_ok").getString("op")).isEqualTo("unlock");
    }

    // Members stay on while the room's owner is killed, then while another node is stopped with SIGTERM.
    JsonObject second = create(1);
    List<ResilientMember> inFirst = membersOf(roomId, "f");
    List<ResilientMember> inSecond = membersOf(second.getString("roomId"), "s");
    List<String> rounds = new ArrayList<>();
    say(rounds, "before", inFirst, inSecond);
    long killedAt = System.currentTimeMillis();
    nodes[0].kill9();
    say(rounds, "during", inFirst, inSecond);
    long back = awaitRoom(roomId, room.getLong("expiresAt"), 1, 2) - killedAt;
    System.out.printf("ContainerIT: the killed owner's room answered again %d ms after kill -9 (detection %d s)%n",
        back, DETECT_SECONDS);
    say(rounds, "after-kill", inFirst, inSecond);
    assertExactlyOnce(inFirst, rounds);
    assertExactlyOnce(inSecond, rounds);

    assertThat(nodes[1].stop()).as("SIGTERM: the node hands its rooms over and exits 0").isZero();
    awaitRoom(second.getString("roomId"), second.getLong("expiresAt"), 2);
    awaitRoom(roomId, room.getLong("expiresAt"), 2);
    say(rounds, "after-stop", inFirst, inSecond);
    assertExactlyOnce(inFirst, rounds);
    assertExactlyOnce(inSecond, rounds);

    // Burn through the last node: every screen burns and the room is gone.
    try (WsClient creator = WsClient.connect(client.clientVertx(), nodes[2].httpPort(), roomId)) {
      creator.join(b64("creator"));
      creator.admin(pin, "burn");
      assertThat(creator.expect("burned")).isNotNull();
    }
    pumpUntil(() -> inFirst.stream().allMatch(ResilientMember::burned), "burned on every member's screen");
    assertThat(client.request(HttpMethod.GET, nodes[2].httpPort(), "/api/rooms/" + roomId, null).status()).isEqualTo(404);
    assertThat(nodes[2].stop()).isZero();

    for (ContainerNode n : nodes) {
      assertThat(n.diff()).as("podman diff %s: what the node wrote into its container", n.name()).isEmpty();
      for (String secret : List.of(roomId, pin, aliceName, bobName, b64(aliceName))) {
        assertThat(n.output()).as("%s printed '%s'", n.name(), secret).doesNotContain(secret);
      }
    }
  }

  private JsonObject create(int node) {
    TestNodes.Reply r = client.request(HttpMethod.POST, nodes[node].httpPort(), "/api/rooms",
        new JsonObject().put("ttlSeconds", 600).encode());
    assertThat(r.status()).as("create through %s: %s", nodes[node].name(), r).isEqualTo(201);
    return r.body();
  }

  /** Two members, on the second and the third node; each moves on to a live node when its own goes. */
  private List<ResilientMember> membersOf(String roomId, String tag) {
    List<IntSupplier> ports = new ArrayList<>();
    for (ContainerNode n : nodes) {
      ports.add(() -> {
        if (!n.up()) {
          throw new IllegalStateException(n.name() + " is down");
        }
        return n.httpPort();
      });
    }
    List<ResilientMember> room = new ArrayList<>();
    for (int i = 1; i <= 2; i++) {
      ResilientMember m = new ResilientMember(client.clientVertx(), roomId, ports, i, tag + i);
      m.connect();
      room.add(m);
      people.add(m);
    }
    return room;
  }

  @SafeVarargs
  private void say(List<String> rounds, String round, List<ResilientMember>... rooms) {
    rounds.add(round);
    for (List<ResilientMember> room : rooms) {
      room.forEach(m -> m.send(round + "-" + m.name(), b64(round)));
    }
  }

  /** Each member got each other member's message of every round exactly once, and none waits for an ack. */
  private void assertExactlyOnce(List<ResilientMember> room, List<String> rounds) {
    pumpUntil(() -> room.stream().allMatch(r -> r.unackedCount() == 0 && room.stream().filter(s -> s != r)
        .allMatch(s -> rounds.stream().allMatch(x -> r.receivedCount(s.memberId(), x + "-" + s.name()) > 0))),
        "every message of " + rounds);
    for (ResilientMember r : room) {
      assertThat(r.received().values()).as("%s received each message once", r.name()).allMatch(n -> n == 1);
    }
  }

  /** Polls until the room answers with its unchanged expiry on every given node; returns when. */
  private long awaitRoom(String roomId, long expiresAt, int... on) {
    pumpUntil(() -> {
      for (int n : on) {
        TestNodes.Reply r = client.request(HttpMethod.GET, nodes[n].httpPort(), "/api/rooms/" + roomId, null);
        if (r.status() != 200 || r.body().getLong("expiresAt") != expiresAt) {
          return false;
        }
      }
      return true;
    }, "room " + roomId + " answering again");
    return System.currentTimeMillis();
  }

  private void pumpUntil(BooleanSupplier done, String what) {
    long deadline = System.currentTimeMillis() + 30_000;
    while (!done.getAsBoolean()) {
      people.forEach(ResilientMember::pump);
      assertThat(System.currentTimeMillis()).as("waiting for %s", what).isLessThan(deadline);
      try {
        Thread.sleep(50);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(e);
      }
    }
    people.forEach(ResilientMember::pump);
  }

  private static String b64(String s) {
    return Base64.getEncoder().encodeToString(s.getBytes(java.nio.charset.StandardCharsets.UTF_8));
  }

  private static boolean onPath(String tool) {
    try {
      return new ProcessBuilder("sh", "-c", "command -v " + tool).start().waitFor() == 0;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }
}
