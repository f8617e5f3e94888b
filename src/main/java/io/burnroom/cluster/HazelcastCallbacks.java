package io.burnroom.cluster;

import com.hazelcast.internal.util.ConcurrencyUtil;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Where Hazelcast runs the completion callbacks of its async operations: vertx-hazelcast completes every cluster-map
 * operation (directory, snapshots, event-bus subscriptions) through one and hands the result to the caller's event
 * loop from there. Relayed frames no longer pass here ({@link SnapshotStore} completes them on the room's loop).
 *
 * <p>Hazelcast copies {@code CompletableFuture}'s rule: the common fork-join pool when its parallelism is above 1,
 * otherwise <em>a new thread per callback</em>. The common pool's parallelism is cores − 1, so on a 2-core machine
 * (this project's CI kind, and many small servers) a loaded two-node cluster started and killed a thread per replicated
 * frame, much of its CPU in the kernel (decision 19). A cached pool keeps the same guarantee
 * (a callback never waits behind a blocked one: a busy pool grows) but reuses idle threads.
 */
public final class HazelcastCallbacks {
  private static final long IDLE_SECONDS = 30;
  private static final ExecutorService POOL = cachedDaemonPool();

  private HazelcastCallbacks() {
  }

  /** Installs the pool as Hazelcast's default async executor; the same for every node of this JVM. Idempotent. */
  public static void install() {
    ConcurrencyUtil.setDefaultAsyncExecutor(POOL);
  }

  static Executor executor() {
    return POOL;
  }

  /** Callbacks run on the pool so far (tests check which completions pass here). */
  static long tasksRun() {
    return ((ThreadPoolExecutor) POOL).getCompletedTaskCount();
  }

  private static ExecutorService cachedDaemonPool() {
    AtomicInteger n = new AtomicInteger();
    return new ThreadPoolExecutor(0, Integer.MAX_VALUE, IDLE_SECONDS, TimeUnit.SECONDS, new SynchronousQueue<>(), r -> {
      Thread t = new Thread(r, "burnroom-hz-callback-" + n.incrementAndGet());
      t.setDaemon(true); // like the threads Hazelcast would have started: never keeps the JVM alive
      return t;
    });
  }
}
