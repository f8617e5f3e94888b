package io.burnroom.browser;

import static org.assertj.core.api.Assertions.assertThat;

import io.burnroom.app.BurnroomNode;
import io.burnroom.browser.FrameEditingProxy.Dir;
import io.burnroom.support.TestNodes;
import io.burnroom.support.WsClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The hostile-server proxy of {@link HostileServerIT} itself, with plain WebSocket clients against a real node: it
 * forwards pages and sockets faithfully, knows whose connection is whose, and its rules drop, swap, inject, renumber
 * and hold a close exactly as asked.
 */
@DisplayName("The frame-editing proxy in front of a real node")
class FrameEditingProxyTest {
  private static final String PROFILE = "cHJvZmlsZQ==";
  private static TestNodes nodes;
  private static BurnroomNode node;
  private static FrameEditingProxy proxy;
  private static int portA;
  private static int portB;

  @BeforeAll
  static void start() {
    nodes = new TestNodes();
    node = nodes.embedded();
    proxy = new FrameEditingProxy(node.httpPort());
    portA = port(proxy.listen("a"));
    portB = port(proxy.listen("b"));
  }

  @AfterAll
  static void stop() {
    proxy.close();
    nodes.close();
  }

  @AfterEach
  void clear() {
    proxy.clearRules();
  }

  private static int port(String origin) {
    return Integer.parseInt(origin.substring(origin.lastIndexOf(':') + 1));
  }

  private record Pair(String roomId, String pin, WsClient a, WsClient b, String idA, String idB) {
    /** a sends one message per id (each acknowledged); returns once b has the last. */
    void send(String... ids) {
      for (String id : ids) {
        a.msg(id, "Ym9keQ==");
        a.expect("ack");
      }
      b.expect(f -> ids[ids.length - 1].equals(f.getString("id")), ids[ids.length - 1], 5_000);
    }
  }

  /** A room created through listener a, joined by a then b through their own listeners. */
  private Pair pair() {
    TestNodes.Reply r = nodes.request(HttpMethod.POST, portA, "/api/rooms", new JsonObject().put("ttlSeconds", 60).encode());
    assertThat(r.status()).isEqualTo(201);
    String roomId = r.body().getString("roomId");
    WsClient a = WsClient.connect(nodes.clientVertx(), portA, "/ws/rooms/" + roomId, "http://127.0.0.1:" + portA);
    String idA = a.join(PROFILE).getString("memberId");
    WsClient b = WsClient.connect(nodes.clientVertx(), portB, "/ws/rooms/" + roomId, "http://127.0.0.1:" + portB);
    String idB = b.join(PROFILE).getString("memberId");
    a.expect("member_joined");
    return new Pair(roomId, r.body().getString("pin"), a, b, idA, idB);
  }

  private static List<String> msgIds(List<JsonObject> frames) {
    return frames.stream().filter(f -> "msg".equals(f.getString("type"))).map(f -> f.getString("id")).toList();
  }

  private static List<Integer> msgSeqs(List<JsonObject> frames) {
    return frames.stream().filter(f -> "msg".equals(f.getString("type"))).map(f -> f.getInteger("seq")).toList();
  }

  @Test
  @DisplayName("pages and the API pass through, or get the proxy's own answer; the node's same-origin check holds")
  void forwardsHttpAndSockets() {
    TestNodes.Reply page = nodes.request(HttpMethod.GET, portA, "/", null);
    assertThat(page.status()).isEqualTo(200);
    assertThat(page.body().getString("_text")).contains("data-testid=\"create-room\"");
    assertThat(page.headers()).containsKey("content-security-policy");
    Pair p = pair();
    assertThat(proxy.memberId("a")).isEqualTo(p.idA);
    assertThat(proxy.memberId("b")).isEqualTo(p.idB);
    assertThat(proxy.http()).anyMatch(h -> h.method().equals("POST") && h.status() == 201 && h.body().contains(p.roomId));
    p.a.msg("m1", "Ym9keQ==");
    assertThat(p.b.expect("msg").getString("from")).isEqualTo(p.idA);
    assertThat(proxy.arrived("a", Dir.TO_SERVER)).anyMatch(f -> "m1".equals(f.getString("id")));
    assertThat(proxy.passed("b", Dir.TO_CLIENT)).anyMatch(f -> "m1".equals(f.getString("id")));
    proxy.answer(req -> req.path().equals("/api/rooms/" + p.roomId), 503, new JsonObject().put("error", "made up"));
    TestNodes.Reply own = nodes.request(HttpMethod.GET, portB, "/api/rooms/" + p.roomId, null);
    assertThat(own.status()).isEqualTo(503);
    assertThat(own.body().getString("error")).isEqualTo("made up");
    p.a.close();
    p.b.close();
  }

  @Test
  @DisplayName("drop the 2nd message to b: b gets 1 and 3 with no gap in seq; a replay comes with the next seq")
  void dropRenumberAndReplay() {
    Pair p = pair();
    var rule = proxy.add("drop 2nd", FrameEditingProxy.nth(2, FrameEditingProxy.toClient("b", "msg")
        .and(FrameEditingProxy.roomMsgFrom(p.idA))), FrameEditingProxy.drop());
    p.send("x1", "x2", "x3");
    assertThat(rule.fired()).isEqualTo(1);
    List<JsonObject> got = p.b.received();
    assertThat(msgIds(got)).containsExactly("x1", "x3");
    List<Integer> seqs = msgSeqs(got);
    assertThat(seqs.get(1)).isEqualTo(seqs.get(0) + 1);

    JsonObject first = proxy.passed("b", Dir.TO_CLIENT).stream().filter(f -> "x1".equals(f.getString("id"))).findFirst().orElseThrow();
    proxy.inject("b", first);
    p.a.msg("x4", "Ym9keQ==");
    p.b.expect(f -> "x4".equals(f.getString("id")), "x4", 5_000);
    got = p.b.received();
    assertThat(msgIds(got)).containsExactly("x1", "x3", "x1", "x4");
    assertThat(msgSeqs(got)).isSorted().doesNotHaveDuplicates();
    assertThat(proxy.log()).anyMatch(l -> l.arrived() == null && l.label().equals("b"));
    p.a.close();
    p.b.close();
  }

  @Test
  @DisplayName("swap: the held message follows the next one, and each takes the other's seq")
  void swap() {
    Pair p = pair();
    proxy.add("swap", FrameEditingProxy.toClient("b", "msg").and(FrameEditingProxy.roomMsgFrom(p.idA)),
        FrameEditingProxy.swapWithNext(), 2);
    p.send("s1", "s2", "s3");
    List<JsonObject> got = p.b.received();
    assertThat(msgIds(got)).containsExactly("s2", "s1", "s3");
    assertThat(msgSeqs(got)).isSorted().doesNotHaveDuplicates();
    p.a.close();
    p.b.close();
  }

  @Test
  @DisplayName("a suppressed burned and close 4000 keep b's socket open while a gets both; ticks are rewritten")
  void holdTheBurn() throws InterruptedException {
    Pair p = pair();
    proxy.add("soon", FrameEditingProxy.toClient("b", "tick"),
        FrameEditingProxy.edit(f -> f.put("expiresAt", "soon")));
    proxy.add("no burned", FrameEditingProxy.toClient("b", "burned"), FrameEditingProxy.drop());
    var close = proxy.add("no close", FrameEditingProxy.toClient("b", FrameEditingProxy.CLOSE), FrameEditingProxy.drop());
    p.b.expect(f -> "tick".equals(f.getString("type")) && "soon".equals(f.getValue("expiresAt")), "bogus tick", 5_000);
    p.a.expect(f -> "tick".equals(f.getString("type")) && f.getValue("expiresAt") instanceof Number, "real tick", 5_000);
    p.a.admin(p.pin, "burn");
    p.a.expect("burned");
    assertThat(p.a.awaitClose()).isEqualTo((short) 4000);
    proxy.awaitFired(close, 1, 5_000);
    Thread.sleep(300);
    assertThat(p.b.isClosed()).isFalse();
    assertThat(p.b.received()).noneMatch(f -> "burned".equals(f.getString("type")));
    assertThat(proxy.arrived("b", Dir.TO_CLIENT)).anyMatch(f -> FrameEditingProxy.CLOSE.equals(f.getString("type"))
        && f.getInteger("code") == 4000);
    p.b.close();
  }
}
