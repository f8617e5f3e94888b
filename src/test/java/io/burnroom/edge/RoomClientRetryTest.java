package io.burnroom.edge;

import static org.assertj.core.api.Assertions.assertThat;

import io.burnroom.bus.Addresses;
import io.burnroom.bus.Bus;
import io.burnroom.bus.BusCodecs;
import io.burnroom.bus.RoomReply;
import io.burnroom.bus.RoomRequest;
import io.burnroom.cluster.RoomDirectory;
import io.burnroom.cluster.Routes;
import io.burnroom.wire.AdminOp;
import io.burnroom.wire.ErrorCode;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.time.Clock;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * An edge sends a room request again after an attempt that got no answer, while the directory lists the room: the
 * room may be moving. A request that may have arrived is sent again only if the room can apply it twice. Found by
 * chaos/ (seed 27 on c451706): an extend sent during a partition was applied, its answer waited for a slow write, the
 * attempt timed out, and the retry moved the room's expiry a second time. When a cluster member leaves, the attempts
 * in flight that may be sent twice go again at once (decision 66).
 */
@DisplayName("RoomClient sends a request again after a timeout only when applying it twice does no harm")
class RoomClientRetryTest {
  private static final String ROOM = "AAAAAAAAAAAAAAAAAAAAAA"; // 22 base64url characters
  private static final RoomRequest.Admin LOCK =
      new RoomRequest.Admin("m", "c", null, "123456", AdminOp.LOCK, null, 0, null);
  private static final RoomRequest.Admin EXTEND =
      new RoomRequest.Admin("m", "c", null, "123456", AdminOp.EXTEND, null, 60, null);

  private Vertx vertx;
  private Context context;
  private final AtomicInteger delivered = new AtomicInteger();
  /** Deliveries from this one on are answered; earlier ones are taken and never answered. */
  private volatile int answerFrom = Integer.MAX_VALUE;

  @BeforeEach
  void start() throws Exception {
    vertx = Vertx.vertx();
    context = vertx.getOrCreateContext();
    BusCodecs.register(vertx.eventBus());
    vertx.eventBus().<RoomRequest.Admin>consumer(Addresses.room(ROOM), m -> {
      if (delivered.incrementAndGet() >= answerFrom) {
        Bus.reply(m, new RoomReply.AdminDone(m.body().op()));
      }
    }).completion().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    new RoomDirectory(vertx, Clock.systemUTC())
        .put(new RoomDirectory.Entry(ROOM, "node", System.currentTimeMillis() + 600_000))
        .toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  @AfterEach
  void stop() throws Exception {
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  @Test
  @DisplayName("an extend that timed out is not sent again: the member is sent to resume (1012)")
  void extendIsNotRetriedAfterATimeout() throws Exception {
    assertThat(codeOf(outcome(EXTEND, 7_000, false))).isEqualTo(ErrorCode.NODE_SHUTTING_DOWN);
    assertThat(delivered.get()).as("deliveries of one extend").isEqualTo(1);
  }

  @Test
  @DisplayName("a lock that timed out is sent again (locking twice is locking once)")
  void lockIsRetried() throws Exception {
    assertThat(codeOf(outcome(LOCK, 7_000, false))).isEqualTo(ErrorCode.NODE_SHUTTING_DOWN);
    assertThat(delivered.get()).as("deliveries of one lock").isGreaterThan(1);
  }

  @Test
  @DisplayName("when a cluster member leaves, a request waiting for an answer is sent again at once")
  void nodeLeftSendsAgainAtOnce() throws Exception {
    answerFrom = 2;
    // A budget shorter than one attempt's timeout: only a resend before that timeout can be answered in time.
    assertThat(outcome(LOCK, 500, true)).isInstanceOf(RoomReply.AdminDone.class);
    assertThat(delivered.get()).isEqualTo(2);
  }

  @Test
  @DisplayName("a member leaving does not send an extend twice")
  void nodeLeftLeavesExtendAlone() throws Exception {
    answerFrom = 2;
    assertThat(codeOf(outcome(EXTEND, 500, true))).isEqualTo(ErrorCode.NODE_SHUTTING_DOWN);
    assertThat(delivered.get()).as("deliveries of one extend").isEqualTo(1);
  }

  @Test
  @DisplayName("without a member leaving, the short budget runs out at the first attempt's timeout")
  void withoutNodeLeftTheTimeoutDecides() throws Exception {
    answerFrom = 2;
    assertThat(codeOf(outcome(LOCK, 500, false))).isEqualTo(ErrorCode.NODE_SHUTTING_DOWN);
    assertThat(delivered.get()).isEqualTo(1);
  }

  /** The request's answer, or its failure; sent on the client's context, where a node's edge sends it. */
  private Object outcome(RoomRequest.Admin request, long budgetMs, boolean nodeLeavesOnDelivery) throws Exception {
    RoomClient client = new RoomClient(vertx, new RoomDirectory(vertx, Clock.systemUTC()), budgetMs, () -> true,
        Routes.NONE);
    Promise<Object> result = Promise.promise();
    context.runOnContext(v -> {
      Future<? extends RoomReply> f = client.request(ROOM, request);
      f.onComplete(ar -> result.complete(ar.succeeded() ? ar.result() : ar.cause()));
      if (nodeLeavesOnDelivery) {
        vertx.setPeriodic(20, id -> {
          if (delivered.get() > 0) {
            vertx.cancelTimer(id);
            client.nodeLeft();
          }
        });
      }
    });
    return result.future().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  private static ErrorCode codeOf(Object outcome) {
    assertThat(outcome).isInstanceOf(RoomClient.RoomError.class);
    return RoomClient.codeOf((Throwable) outcome);
  }
}
