package io.burnroom.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import com.hazelcast.config.Config;
import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import io.burnroom.config.AppConfig;
import io.burnroom.support.FreePorts;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * A peer whose kernel accepts connections but whose process says nothing (SIGSTOP, a frozen container, a long GC
 * pause) must not cost a node an IO thread. Found by chaos/: during a peer's pause, the survivors reconnected to it
 * (their merge search); Hazelcast's unified-protocol encoder waits for the peer's protocol bytes by answering "clean"
 * with packets still queued, so the output thread re-ran that connection in a loop, never went back to its selector,
 * and a connection to the other survivor it also served stopped writing: heartbeats held until the pause ended, both
 * survivors without their quorum, sometimes split from each other (seed 26: a room unreachable until it expired).
 */
@DisplayName("A silent peer (TCP accepted, nothing said) costs no busy IO thread")
class SilentPeerTest {
  /** Hazelcast's output threads must stay mostly idle while a join to the silent peer is pending. */
  private static final long MAX_OUTPUT_CPU_MS = 800;
  private static final long WINDOW_MS = 3_000;

  @Test
  @DisplayName("a member whose join list names a silent peer keeps its output threads idle")
  void outputThreadsStayIdle() throws Exception {
    List<Integer> ports = FreePorts.take(2);
    try (ServerSocket silent = new ServerSocket()) {
      // The backlog completes every TCP handshake; nobody ever reads or writes, like a stopped process.
      silent.bind(new InetSocketAddress("127.0.0.1", ports.get(1)), 50);
      AppConfig app = AppConfig.from(Map.of("BURNROOM_CLUSTER", "true", "BURNROOM_CLUSTER_HOST", "127.0.0.1",
          "BURNROOM_CLUSTER_PORT", String.valueOf(ports.get(0)), "BURNROOM_CLUSTER_NAME", "silent-" + ports.get(0),
          "BURNROOM_CLUSTER_MEMBERS", "127.0.0.1:" + ports.get(0) + ",127.0.0.1:" + ports.get(1)));
      Config config = ClusterConfig.hazelcast(app);
      // The member starts once its join gives up on the silent peer: after this, not Hazelcast's 300 s.
      config.setProperty("hazelcast.max.join.seconds", "8");
      CompletableFuture<HazelcastInstance> started = CompletableFuture.supplyAsync(
          () -> Hazelcast.newHazelcastInstance(config));
      try {
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        Thread.sleep(2_000); // the joiner has connected to the silent peer and queued its first packets
        long before = outputCpuMs(threads);
        Thread.sleep(WINDOW_MS);
        long spent = outputCpuMs(threads) - before;
        System.out.printf("silent peer: Hazelcast output threads used %d ms of CPU in %d ms%n", spent, WINDOW_MS);
        assertThat(spent).as("CPU of Hazelcast's IO output threads in %d ms", WINDOW_MS)
            .isLessThan(MAX_OUTPUT_CPU_MS);
      } finally {
        started.handle((hz, e) -> null).get(60, TimeUnit.SECONDS);
        Hazelcast.shutdownAll();
      }
    }
  }

  private static long outputCpuMs(ThreadMXBean threads) {
    long total = 0;
    for (ThreadInfo t : threads.dumpAllThreads(false, false)) {
      if (t.getThreadName().contains(".IO.thread-out-")) {
        long ns = threads.getThreadCpuTime(t.getThreadId());
        total += Math.max(0, ns);
      }
    }
    return TimeUnit.NANOSECONDS.toMillis(total);
  }
}
