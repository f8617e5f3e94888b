package io.burnroom.process;

import static org.assertj.core.api.Assertions.assertThat;

import io.burnroom.support.FreePorts;
import io.burnroom.support.NodeProcess;
import io.burnroom.support.ResilientMember;
import io.burnroom.support.TestNodes;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.IntSupplier;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Three real nodes as separate processes. A node dies ({@code kill -9}) or leaves (SIGTERM, rolling restart) while
 * members on every node keep talking; rooms come back on survivors from their replicated snapshots.
 */
@DisplayName("Failover with real node processes")
class FailoverIT {
  private static final int DETECT_SECONDS = 3;

  private final String cluster = "failover-" + UUID.randomUUID();
  private final List<Integer> clusterPorts = FreePorts.take(3);
  private final String members = String.join(",", clusterPorts.stream().map(p -> "127.0.0.1:" + p).toList());
  private final NodeProcess[] nodes = new NodeProcess[3];
  private Vertx vertx;
  private HttpClient http;
  private final List<ResilientMember> people = new ArrayList<>();

  @BeforeEach
  void start() throws Exception {
    vertx = Vertx.vertx();
    http = TestNodes.httpClient(vertx);
    nodes[0] = startNode(0);
    nodes[1] = startNode(1);
    nodes[2] = startNode(2);
  }

  @AfterEach
  void stop() {
    people.forEach(ResilientMember::close);
    for (NodeProcess n : nodes) {
      if (n != null) {
        n.kill9();
      }
    }
    vertx.close();
  }

  private NodeProcess startNode(int i) {
    return NodeProcess.builder().name("node" + i)
        .clustered(cluster, clusterPorts.get(i), members)
        .env(Map.of("BURNROOM_FAILURE_DETECT_SECONDS", String.valueOf(DETECT_SECONDS), "BURNROOM_RESUME_GRACE_MS", "60000"))
        .start();
  }

  private IntSupplier port(int i) {
    return () -> {
      if (nodes[i] == null || !nodes[i].isAlive()) {
        throw new IllegalStateException("node" + i + " is down");
      }
      return nodes[i].httpPort();
    };
  }

  private JsonObject createRoom(int node, int ttl) {
    return request(HttpMethod.POST, nodes[node].httpPort(), "/api/rooms", new JsonObject().put("ttlSeconds", ttl).encode());
  }

  private JsonObject request(HttpMethod method, int port, String path, String body) {
    try {
      return http.request(new RequestOptions().setMethod(method).setHost("127.0.0.1").setPort(port).setURI(path))
          .compose(req -> body == null ? req.send() : req.send(body))
          .compose(res -> res.body().map(b -> new JsonObject(b).put("_status", res.statusCode())))
          .toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /** Three members of one room, one per node. */
  private List<ResilientMember> membersOf(String roomId, String tag) {
    List<ResilientMember> room = new ArrayList<>();
    List<IntSupplier> ports = List.of(port(0), port(1), port(2));
    for (int i = 0; i < 3; i++) {
      ResilientMember m = new ResilientMember(vertx, roomId, ports, i, tag + i);
      m.connect();
      room.add(m);
      people.add(m);
    }
    return room;
  }

  private void pumpUntil(BooleanSupplier done, long ms, String what) {
    long deadline = System.currentTimeMillis() + ms;
    while (!done.getAsBoolean()) {
      people.forEach(ResilientMember::pump);
      if (System.currentTimeMillis() > deadline) {
        throw new AssertionError("timed out waiting for " + what);
      }
      sleep(20);
    }
  }

  private void say(List<ResilientMember> room, String round) {
    for (ResilientMember m : room) {
      m.send(round + "-" + m.name(), "AAAA");
    }
  }

  /** Every member got every other member's messages of every round exactly once, and nobody waits for an ack. */
  private void assertExactlyOnce(List<ResilientMember> room, List<String> rounds) {
    pumpUntil(() -> room.stream().allMatch(m -> m.unackedCount() == 0) && room.stream().allMatch(r ->
        room.stream().filter(s -> s != r).allMatch(s -> rounds.stream().allMatch(
            round -> r.receivedCount(s.memberId(), round + "-" + s.name()) >= 1))), 30_000, "all messages");
    people.forEach(ResilientMember::pump);
    for (ResilientMember r : room) {
      for (ResilientMember s : room) {
        if (s == r) {
          continue;
        }
        for (String round : rounds) {
          assertThat(r.receivedCount(s.memberId(), round + "-" + s.name()))
              .as("%s received %s from %s", r.name(), round, s.name()).isEqualTo(1);
        }
      }
      assertThat(r.received().values()).as("no duplicates at %s", r.name()).allMatch(n -> n == 1);
    }
  }

  /** Polls GET on the given nodes until all answer 200 with the expected expiry; returns how long that took. */
  private long awaitRoomEverywhere(String roomId, long expiresAt, long since, int... on) {
    long deadline = System.currentTimeMillis() + 30_000;
    while (true) {
      boolean all = true;
      for (int n : on) {
        JsonObject g = request(HttpMethod.GET, nodes[n].httpPort(), "/api/rooms/" + roomId, null);
        all &= g.getInteger("_status") == 200 && g.getLong("expiresAt") == expiresAt;
      }
      if (all) {
        return System.currentTimeMillis() - since;
      }
      if (System.currentTimeMillis() > deadline) {
        throw new AssertionError("room " + roomId + " did not come back");
      }
      sleep(100);
    }
  }

  @Test
  @DisplayName("kill -9 of the owner: rooms answer on every survivor within detection + 2 s, messages arrive exactly once, expiry still burns on time")
  void killOwner() {
    JsonObject short1 = createRoom(0, 20);
    JsonObject long1 = createRoom(0, 600);
    JsonObject other = createRoom(1, 600);
    List<ResilientMember> r1 = membersOf(short1.getString("roomId"), "s");
    List<ResilientMember> r2 = membersOf(long1.getString("roomId"), "l");
    List<ResilientMember> r3 = membersOf(other.getString("roomId"), "o");
    List<List<ResilientMember>> rooms = List.of(r1, r2, r3);

    rooms.forEach(r -> say(r, "before"));
    pumpUntil(() -> people.stream().allMatch(m -> m.unackedCount() == 0), 10_000, "acks before the kill");

    // A burst right before the kill: the owner dies with frame writes (several per room, pipelined) in flight, some
    // landed and acknowledged, some not. Each must still reach everyone exactly once.
    List<String> burst = IntStream.range(0, 10).mapToObj(i -> "burst" + i).toList();
    burst.forEach(round -> rooms.forEach(r -> say(r, round)));
    long killedAt = System.currentTimeMillis();
    nodes[0].kill9();
    rooms.forEach(r -> say(r, "during"));

    long back1 = awaitRoomEverywhere(short1.getString("roomId"), short1.getLong("expiresAt"), killedAt, 1, 2);
    long back2 = awaitRoomEverywhere(long1.getString("roomId"), long1.getLong("expiresAt"), killedAt, 1, 2);
    System.out.printf("failover: rooms answered again %d ms and %d ms after kill -9 (detection %d s)%n",
        back1, back2, DETECT_SECONDS);
    assertThat(Math.max(back1, back2)).isLessThanOrEqualTo(DETECT_SECONDS * 1000L + 2_000);

    rooms.forEach(r -> say(r, "after"));
    List<String> rounds = new ArrayList<>(List.of("before"));
    rounds.addAll(burst);
    rounds.addAll(List.of("during", "after"));
    for (List<ResilientMember> r : rooms) {
      assertExactlyOnce(r, rounds);
    }
    assertThat(r1.get(0).reconnects()).as("the member on the dead node reconnected").isGreaterThanOrEqualTo(1);
    assertThat(r1.get(1).reconnects()).as("members on survivors resumed once, so the restored room could resend what "
        + "the dead owner may not have delivered").isGreaterThanOrEqualTo(1);

    pumpUntil(() -> r1.stream().allMatch(ResilientMember::burned), 30_000, "expiry burn after failover");
    List<Long> lateness = r1.stream().map(m -> m.burnedAt() - short1.getLong("expiresAt")).toList();
    System.out.println("burn lateness after failover (ms): " + lateness);
    assertThat(lateness).as("P2: ±100 ms even after a failover").allSatisfy(l -> assertThat(l).isBetween(-5L, 100L));
  }

  @Test
  @DisplayName("SIGSTOP of the owner past detection: its room answers on the survivors within detection + 5 s, whole")
  void pausedOwner() throws Exception {
    JsonObject room = createRoom(0, 600);
    String id = room.getString("roomId");
    // Members on the survivors only: a member on the paused node would only wait for it.
    List<ResilientMember> r = new ArrayList<>();
    for (int i = 1; i < 3; i++) {
      ResilientMember m = new ResilientMember(vertx, id, List.of(port(1), port(2)), i - 1, "p" + i);
      m.connect();
      r.add(m);
      people.add(m);
    }
    say(r, "before");
    pumpUntil(() -> r.stream().allMatch(m -> m.unackedCount() == 0), 10_000, "acks before the pause");
    long pausedAt = System.currentTimeMillis();
    nodes[0].pause();
    try {
      say(r, "during");
      pumpUntil(() -> r.stream().allMatch(m -> m.unackedCount() == 0), 30_000, "acks while the owner is paused");
      long back = System.currentTimeMillis() - pausedAt;
      System.out.printf("pause: the paused owner's room acknowledged again %d ms after SIGSTOP (detection %d s)%n",
          back, DETECT_SECONDS);
      // Detection counts from the last heartbeat (one a second), then the restore and the member's next resend: 3.4–
      // 4.9 s in 11 runs of 13 here, 7.3 s in two. The survivors splitting from each other too (one Hazelcast IO
      // thread pair, decision 58) made it 11.5–13.2 s, and 8.9–9.2 s with two pairs.
      assertThat(back).as("the survivors' warnings:%n%s%n%s", warnings(nodes[1]), warnings(nodes[2]))
          .isLessThanOrEqualTo(DETECT_SECONDS * 1000L + 5_000);
    } finally {
      nodes[0].resume();
    }
    say(r, "after");
    assertExactlyOnce(r, List.of("before", "during", "after"));
  }

  private static String warnings(NodeProcess node) {
    return node.output().lines().filter(l -> l.startsWith("WARNING"))
        .map(l -> l.length() > 300 ? l.substring(0, 300) : l).collect(java.util.stream.Collectors.joining("\n"));
  }

  @Test
  @DisplayName("SIGTERM of the owner hands rooms over; then a rolling restart of all three nodes keeps the conversation whole")
  void gracefulAndRolling() {
    JsonObject room = createRoom(0, 600);
    String id = room.getString("roomId");
    List<ResilientMember> r = membersOf(id, "m");
    List<String> rounds = new ArrayList<>();
    say(r, "start");
    rounds.add("start");
    for (int i = 0; i < 3; i++) {
      long stoppedAt = System.currentTimeMillis();
      assertThat(nodes[i].stop(Duration.ofSeconds(30))).as("node%d exits cleanly on SIGTERM", i).isZero();
      say(r, "without" + i);
      rounds.add("without" + i);
      int survivor = (i + 1) % 3;
      long back = awaitRoomEverywhere(id, room.getLong("expiresAt"), stoppedAt, survivor, (i + 2) % 3);
      System.out.printf("SIGTERM node%d: room answered again %d ms later%n", i, back);
      nodes[i] = startNode(i);
      say(r, "back" + i);
      rounds.add("back" + i);
      assertExactlyOnce(r, rounds);
    }
    assertThat(request(HttpMethod.GET, nodes[0].httpPort(), "/api/rooms/" + id, null).getLong("expiresAt"))
        .as("the countdown never moved").isEqualTo(room.getLong("expiresAt"));
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
