package io.burnroom.edge;

import io.burnroom.bus.Addresses;
import io.burnroom.bus.Bus;
import io.burnroom.bus.RoomReply;
import io.burnroom.bus.RoomRequest;
import io.burnroom.cluster.RoomDirectory;
import io.burnroom.cluster.Routes;
import io.burnroom.wire.Base64Text;
import io.burnroom.wire.ErrorCode;
import io.vertx.core.AsyncResult;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.BooleanSupplier;

/**
 * How an edge talks to a room. A request that finds nobody at the room's address, times out, or reaches a room that
 * is handing over is retried while the directory still lists the room: that is the window in which a room moves to
 * another node (failover or graceful shutdown). Once the directory forgets the room, it is gone (404 / 4004).
 *
 * <p>Before each retry the node's cached route to the room is dropped, and when a cluster member leaves, the attempts
 * in flight that may be sent twice are sent again at once rather than at their timeout (decision 66).
 */
final class RoomClient implements RoomRequests {
  static final long ATTEMPT_TIMEOUT_MS = 3_000;
  static final long RETRY_DELAY_MS = 200;
  private static final int ROOM_ID_CHARS = 22;

  /** A room request's final outcome as a stable error code. */
  static final class RoomError extends RuntimeException {
    final ErrorCode code;

    RoomError(ErrorCode code) {
      super(code.name(), null, false, false);
      this.code = code;
    }
  }

  private final Vertx vertx;
  private final RoomDirectory directory;
  private final long retryBudgetMs;
  private final BooleanSupplier serving;
  private final Routes routes;
  private final DeliveryOptions options = new DeliveryOptions().setSendTimeout(ATTEMPT_TIMEOUT_MS);
  /** Attempts in flight that may be sent twice; touched on the edge's event loop only. */
  private final Set<Promise<?>> inFlight = new LinkedHashSet<>();

  RoomClient(Vertx vertx, RoomDirectory directory, long retryBudgetMs, BooleanSupplier serving, Routes routes) {
    this.serving = serving;
    this.vertx = vertx;
    this.directory = directory;
    this.retryBudgetMs = retryBudgetMs;
    this.routes = routes;
  }

  /**
   * A cluster member left: an attempt in flight may be waiting for a node that will never answer, and would find out
   * only at its timeout (3 s), by which time its room may have been restored elsewhere (found by chaos/: messages
   * sent into a cut-off owner's last seconds were acknowledged after their room burned). Each one that may be sent
   * twice is abandoned and sent again now, through a route read afresh; the room's dedupe answers a message it
   * already has with the same acknowledgement.
   */
  void nodeLeft() {
    List<Promise<?>> abandoned = new ArrayList<>(inFlight);
    inFlight.clear(); // before failing them: their retries add attempts of their own
    abandoned.forEach(p -> p.tryFail(new ReplyException(ReplyFailure.TIMEOUT, "a node left")));
  }

  /** The answer's type is the request's. */
  @Override
  public <R extends RoomReply> Future<R> request(String roomId, RoomRequest<R> body) {
    return request(roomId, body, () -> true);
  }

  @Override
  public <R extends RoomReply> Future<R> request(String roomId, RoomRequest<R> body, BooleanSupplier wanted) {
    if (!isRoomId(roomId)) {
      return Future.failedFuture(new RoomError(ErrorCode.ROOM_NOT_FOUND)); // never put client text on the bus
    }
    if (!serving.getAsBoolean()) {
      // This node lacks its cluster's quorum (decision 48): the member reconnects (1012) and lands on the other side.
      return Future.failedFuture(new RoomError(ErrorCode.NODE_SHUTTING_DOWN));
    }
    // Each attempt is bounded, but the directory look-up between attempts is a Hazelcast call, which can wait for
    // partition migration (a killed node restarting) or a merge for much longer; meanwhile the socket's queue stalls
    // and its member gets neither an ack nor an error (found by chaos/). So the whole request is bounded too, and the
    // member is sent to reconnect (1012).
    Promise<R> result = Promise.promise();
    long timer = vertx.setTimer(retryBudgetMs + ATTEMPT_TIMEOUT_MS,
        id -> result.tryFail(new RoomError(ErrorCode.NODE_SHUTTING_DOWN)));
    this.attempt(roomId, body, System.currentTimeMillis() + retryBudgetMs, wanted).onComplete(ar -> {
      vertx.cancelTimer(timer);
      settle(result, ar);
    });
    return result.future();
  }

  private <R extends RoomReply> Future<R> attempt(String roomId, RoomRequest<R> body, long deadline,
                                                  BooleanSupplier wanted) {
    return send(roomId, body)
        .recover(e -> {
          if (!retryable(e)) {
            return Future.failedFuture(new RoomError(Bus.errorOf(e)));
          }
          if (!body.idempotent() && Bus.mayHaveArrived(e)) {
            // It may have been applied, its answer stuck behind a slow write (found by chaos/: an extend sent during
            // a partition, retried after the 3 s timeout, moved the expiry twice). The member resumes and sees.
            return Future.failedFuture(new RoomError(ErrorCode.NODE_SHUTTING_DOWN));
          }
          if (System.currentTimeMillis() >= deadline || !serving.getAsBoolean() || !wanted.getAsBoolean()) {
            return Future.failedFuture(new RoomError(ErrorCode.NODE_SHUTTING_DOWN));
          }
          // The route this node holds may be wrong (an update it missed while paused or cut off): a room on a live
          // node that no longer has it is never answered, so every retry along it would time out (found by chaos/:
          // resumes unanswered for 10 s while their room served the others).
          routes.forget(Addresses.room(roomId));
          // A look-up that fails (a partition still owned by a paused or dead node, a migration) says nothing about
          // the room: it is asked again until the deadline. Only an answer without the room is "not found" (4004),
          // which the client takes as the end of its room (found by chaos/: a room created during a pause was
          // reported gone to its members for four seconds).
          return directory.get(roomId).transform(found -> found.succeeded() && found.result() == null
              ? Future.failedFuture(new RoomError(ErrorCode.ROOM_NOT_FOUND))
              : delay().compose(v -> attempt(roomId, body, deadline, wanted)));
        });
  }

  private <R extends RoomReply> Future<R> send(String roomId, RoomRequest<R> body) {
    Future<R> sent = Bus.request(vertx.eventBus(), roomId, body, options);
    if (!body.idempotent()) {
      return sent;
    }
    Promise<R> attempt = Promise.promise();
    inFlight.add(attempt);
    sent.onComplete(ar -> {
      inFlight.remove(attempt);
      settle(attempt, ar);
    });
    return attempt.future();
  }

  /** Completes {@code p} with {@code ar} unless something (a timer, a member leaving) settled it first. */
  private static <T> void settle(Promise<T> p, AsyncResult<T> ar) {
    if (ar.succeeded()) {
      p.tryComplete(ar.result());
    } else {
      p.tryFail(ar.cause());
    }
  }

  private Future<Void> delay() {
    Promise<Void> p = Promise.promise();
    vertx.setTimer(RETRY_DELAY_MS, id -> p.complete());
    return p.future();
  }

  /** Room ids are 22 base64url characters; anything else is answered like a room that does not exist. */
  static boolean isRoomId(String id) {
    return id != null && id.length() == ROOM_ID_CHARS && Base64Text.isId(id, ROOM_ID_CHARS);
  }

  static boolean retryable(Throwable e) {
    return Bus.mayHaveMoved(e); // no handlers, timeout, the owner's connection failed, or a hand-over
  }

  static ErrorCode codeOf(Throwable e) {
    return e instanceof RoomError re ? re.code : ErrorCode.INTERNAL;
  }
}
