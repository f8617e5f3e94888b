package io.burnroom.cluster;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.util.function.Supplier;

/**
 * Cluster map results go back to the context that asked. The maps' futures ({@code getAsyncMap}) are bound to the
 * context that created them at start-up, and Vert.x runs a future's callbacks on the future's own context: a room
 * or a socket session that composed on them continued on another event loop. Found by chaos/: after a retried
 * request (a directory look-up between attempts) a session seated its member from the wrong loop while the room's
 * next delivery for that member ran on the right one, found no seat and was dropped, so an acknowledged message never
 * reached that member.
 */
final class OnCaller {
  private OnCaller() {
  }

  /** Runs {@code op} and completes its result on the calling context (as it is when there is none). */
  static <T> Future<T> run(Supplier<Future<T>> op) {
    Context caller = Vertx.currentContext();
    Future<T> result = op.get();
    if (caller == null) {
      return result;
    }
    Promise<T> p = Promise.promise();
    result.onComplete(ar -> {
      if (Vertx.currentContext() == caller) {
        complete(p, ar.succeeded(), ar.result(), ar.cause());
      } else {
        caller.runOnContext(v -> complete(p, ar.succeeded(), ar.result(), ar.cause()));
      }
    });
    return p.future();
  }

  private static <T> void complete(Promise<T> p, boolean ok, T value, Throwable cause) {
    if (ok) {
      p.complete(value);
    } else {
      p.fail(cause);
    }
  }
}
