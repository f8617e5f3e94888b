package io.burnroom.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.burnroom.app.BurnroomNode;
import io.burnroom.config.ChunkLimits;
import io.burnroom.metrics.BurnroomMetrics.ChunkPace;
import io.burnroom.metrics.BurnroomMetrics.Limit;
import io.burnroom.support.TestNodes;
import io.burnroom.support.WsClient;
import io.vertx.core.internal.VertxInternal;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Two clustered nodes in one JVM: attachment chunks cross nodes like messages (decision 47)")
class AttachmentClusterTest {
  private static final String PROFILE = "cHJvZmlsZQ==";
  private static final String BODY = "Q".repeat(65_500);
  private static TestNodes nodes;
  private static BurnroomNode a;
  private static BurnroomNode b;

  @BeforeAll
  static void start() {
    nodes = new TestNodes();
    a = nodes.clustered();
    b = nodes.clustered();
  }

  @AfterAll
  static void stop() {
    nodes.close();
  }

  @Test
  @DisplayName("a room on A: chunks from a member on B reach the member on A, in order, and back again as direct chunks")
  void chunksCrossNodes() {
    String roomId = nodes.createRoom(a, 600).getString("roomId");
    try (WsClient onA = nodes.ws(a, roomId); WsClient onB = nodes.ws(b, roomId)) {
      String aId = onA.join(PROFILE).getString("memberId");
      String bId = onB.join(PROFILE).getString("memberId");
      onA.expect("member_joined");
      onB.msg("manifest", "QUJD");
      int chunks = 24;
      onB.chunks("x", chunks, BODY, 4);
      assertThat(onA.expect("msg").getString("id")).as("the manifest before its chunks").isEqualTo("manifest");
      for (int i = 0; i < chunks; i++) {
        JsonObject got = onA.expect("chunk");
        assertThat(got.getString("id")).isEqualTo("x." + i);
        assertThat(got.getString("from")).isEqualTo(bId);
        assertThat(got.getString("body")).isEqualTo(BODY);
      }
      onA.chunk("back.0", "QUJD", bId);
      assertThat(onA.expect("chunk_ack").getString("id")).isEqualTo("back.0");
      JsonObject back = onB.expect("chunk");
      assertThat(back.getString("from")).isEqualTo(aId);
      assertThat(back.getBoolean("direct")).isTrue();
    }
  }

  @Test
  @DisplayName("the other node's edges cannot drain: the room holds the sender's acks instead of queueing chunks for"
      + " them, other rooms' texts keep flowing, and the transfer goes on once the edges take the chunks (decision 50)")
  void stalledNodeHoldsTheSender() throws Exception {
    String roomId = nodes.createRoom(a, 600).getString("roomId");
    String otherRoom = nodes.createRoom(a, 600).getString("roomId");
    try (WsClient sender = nodes.ws(a, roomId); WsClient onB = nodes.ws(b, roomId);
         WsClient t1 = nodes.ws(a, otherRoom); WsClient t2 = nodes.ws(a, otherRoom)) {
      sender.join(PROFILE);
      onB.join(PROFILE);
      sender.expect("member_joined");
      t1.join(PROFILE);
      t2.join(PROFILE);
      t1.expect("member_joined");
      double deliveredBefore = deliveredBytes(a);
      CountDownLatch release = new CountDownLatch(1);
      CountDownLatch resumed = stall(b, release);
      long stallMs = 2_500;
      long end = System.currentTimeMillis() + stallMs;
      int sent = 0;
      int acks = 0;
      int refused = 0;
      int outstanding = 0;
      long textMs = -1;
      while (System.currentTimeMillis() < end) {
        while (outstanding < ChunkLimits.MAX_UNACKED_CHUNKS) {
          sender.chunk("x." + sent++, BODY, null);
          outstanding++;
        }
        if (textMs < 0 && System.currentTimeMillis() > end - stallMs / 2) {
          long t0 = System.currentTimeMillis();
          t1.msg("while-stalled", "QUJD");
          t2.expect(f -> "msg".equals(f.getString("type")), "the other room's text", 1_000);
          textMs = System.currentTimeMillis() - t0;
        }
        JsonObject f = sender.nextNonTick(50);
        if (f == null) {
          continue;
        }
        if ("chunk_ack".equals(f.getString("type"))) {
          acks++;
          outstanding--;
        } else if ("error".equals(f.getString("type"))) {
          assertThat(f.getString("code")).isEqualTo("rate_limited");
          refused++;
          outstanding--;
        }
      }
      double inFlight = a.metrics().registry().get("burnroom_chunk_deliveries_in_flight").gauge().value();
      double delivered = deliveredBytes(a) - deliveredBefore;
      System.out.printf("stall: sent %d, acks %d, refused %d, text %d ms, in flight %.0f, delivered %.0f%n", sent,
          acks, refused, textMs, inFlight, delivered);
      release.countDown();
      assertThat(resumed.await(5, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
      assertThat(acks).as("acks while the other node took nothing: one room's credit toward it, no more")
          .isLessThanOrEqualTo(ChunkLimits.ROOM_DELIVERIES_IN_FLIGHT);
      assertThat(delivered).as("chunk bytes queued for the stalled node: at most the credit's worth")
          .isLessThanOrEqualTo(ChunkLimits.ROOM_DELIVERIES_IN_FLIGHT * (double) BODY.length());
      assertThat(inFlight).isLessThanOrEqualTo(ChunkLimits.ROOM_DELIVERIES_IN_FLIGHT);
      assertThat(refused).as("a chunk held past the hold limit is refused, the socket stays open").isPositive();
      assertThat(textMs).as("another room's text during the stall").isBetween(0L, 1_000L);
      assertThat(a.metrics().chunksPaced(ChunkPace.DELIVERY_CREDIT)).isPositive();
      assertThat(a.metrics().limitedCount(Limit.CHUNK_CREDIT)).isPositive();
      // The edges drain: the chunks held for them arrive in order, credit comes back, the sender goes on.
      for (int i = 0; i < acks; i++) {
        assertThat(onB.expect("chunk").getString("id")).isEqualTo("x." + i);
      }
      JsonObject f;
      while ((f = sender.nextNonTick(200)) != null) {
        if ("chunk_ack".equals(f.getString("type"))) {
          acks++;
        }
      }
      sender.chunk("after", BODY, null);
      sender.expect(g -> "chunk_ack".equals(g.getString("type")) && "after".equals(g.getString("id")),
          "the ack after the stall", 5_000);
      onB.expect(g -> "chunk".equals(g.getString("type")) && "after".equals(g.getString("id")),
          "the chunk after the stall", 5_000);
      long until = System.currentTimeMillis() + 5_000;
      while (a.metrics().registry().get("burnroom_chunk_deliveries_in_flight").gauge().value() > 0
          && System.currentTimeMillis() < until) {
        Thread.sleep(20);
      }
      assertThat(a.metrics().registry().get("burnroom_chunk_deliveries_in_flight").gauge().value())
          .as("every delivery was reported taken").isZero();
    }
  }

  private static double deliveredBytes(BurnroomNode node) {
    return node.metrics().registry().get("burnroom_chunk_delivered_bytes").counter().count();
  }

  /**
   * Blocks every event loop of {@code node} until {@code release}: its edges take nothing off the bus (nor does the
   * bus read anything from the other node). Answers a latch that opens once every loop runs again.
   */
  private static CountDownLatch stall(BurnroomNode node, CountDownLatch release) throws InterruptedException {
    List<io.netty.util.concurrent.EventExecutor> loops = new ArrayList<>();
    ((VertxInternal) node.vertx()).nettyEventLoopGroup().forEach(loops::add);
    CountDownLatch started = new CountDownLatch(loops.size());
    CountDownLatch resumed = new CountDownLatch(loops.size());
    for (io.netty.util.concurrent.EventExecutor loop : loops) {
      loop.execute(() -> {
        started.countDown();
        try {
          release.await();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        resumed.countDown();
      });
    }
    started.await();
    return resumed;
  }
}
