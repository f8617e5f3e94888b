package io.burnroom.edge;

import static org.assertj.core.api.Assertions.assertThat;

import io.burnroom.bus.Addresses;
import io.burnroom.bus.BusCodecs;
import io.burnroom.bus.RoomRequest;
import io.burnroom.cluster.RoomDirectory;
import io.burnroom.wire.AdminOp;
import io.burnroom.wire.ErrorCode;
import io.vertx.core.Vertx;
import java.time.Clock;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * An edge sends a room request again after an attempt that got no answer, while the directory lists the room: the
 * room may be moving. A request that may have arrived is sent again only if the room can apply it twice. Found by
 * chaos/ (seed 27 on c451706): an extend sent during a partition was applied, its answer waited for a slow write, the
 * attempt timed out, and the retry moved the room's expiry a second time.
 */
@DisplayName("RoomClient sends a request again after a timeout only when applying it twice does no harm")
class RoomClientRetryTest {
  private static final String ROOM = "AAAAAAAAAAAAAAAAAAAAAA"; // 22 base64url characters

  @Test
  @DisplayName("an extend that timed out is not sent again: the member is sent to resume (1012)")
  void extendIsNotRetriedAfterATimeout() throws Exception {
    assertThat(deliveriesUntilFailure(new RoomRequest.Admin("m", "c", null, "123456", AdminOp.EXTEND, null, 60, null)))
        .as("deliveries of one extend").isEqualTo(1);
  }

  @Test
  @DisplayName("a lock that timed out is sent again (locking twice is locking once)")
  void lockIsRetried() throws Exception {
    assertThat(deliveriesUntilFailure(new RoomRequest.Admin("m", "c", null, "123456", AdminOp.LOCK, null, 0, null)))
        .as("deliveries of one lock").isGreaterThan(1);
  }

  /** A room that takes every request and never answers; the directory lists it. */
  private static int deliveriesUntilFailure(RoomRequest.Admin request) throws Exception {
    Vertx vertx = Vertx.vertx();
    try {
      BusCodecs.register(vertx.eventBus());
      AtomicInteger delivered = new AtomicInteger();
      vertx.eventBus().consumer(Addresses.room(ROOM), m -> delivered.incrementAndGet()).completion()
          .toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
      RoomDirectory directory = new RoomDirectory(vertx, Clock.systemUTC());
      directory.put(new RoomDirectory.Entry(ROOM, "node", System.currentTimeMillis() + 600_000))
          .toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
      RoomClient client = new RoomClient(vertx, directory, 7_000, () -> true);
      Throwable failure = client.request(ROOM, request).toCompletionStage().toCompletableFuture()
          .handle((r, e) -> e).get(30, TimeUnit.SECONDS);
      assertThat(failure).isInstanceOf(RoomClient.RoomError.class);
      assertThat(RoomClient.codeOf(failure)).isEqualTo(ErrorCode.NODE_SHUTTING_DOWN);
      return delivered.get();
    } finally {
      vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
  }
}
