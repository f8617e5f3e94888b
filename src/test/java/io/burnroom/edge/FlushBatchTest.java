package io.burnroom.edge;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Flush batching")
class FlushBatchTest {
  /** The event loop's task queue, run by hand. */
  private final Queue<Runnable> loop = new ArrayDeque<>();
  private final FlushBatch batch = new FlushBatch(loop::add);
  private final List<String> flushed = new ArrayList<>();

  private class Socket implements FlushBatch.Target {
    final String name;
    boolean queued;

    Socket(String name) {
      this.name = name;
    }

    @Override
    public boolean queueFlush() {
      if (queued) {
        return false;
      }
      queued = true;
      return true;
    }

    @Override
    public void flushQueued() {
      queued = false;
      flushed.add(name);
    }
  }

  @Test
  @DisplayName("many writes to a few sockets in one turn: one task, one flush per socket, in first-write order")
  void oneFlushPerSocketPerTurn() {
    Socket a = new Socket("a");
    Socket b = new Socket("b");
    for (int i = 0; i < 5; i++) {
      batch.add(a);
      batch.add(b);
    }
    assertThat(loop).hasSize(1);
    assertThat(flushed).isEmpty();
    loop.poll().run();
    assertThat(flushed).containsExactly("a", "b");
    assertThat(a.queued).isFalse();
    assertThat(loop).isEmpty();
  }

  @Test
  @DisplayName("a write after the flush task ran queues a new task, and a write made while flushing waits for it")
  void laterWritesGetTheirOwnFlush() {
    Socket a = new Socket("a");
    Socket b = new Socket("b") {
      @Override
      public void flushQueued() {
        super.flushQueued();
        batch.add(a); // e.g. a failed write closing a socket writes to another
      }
    };
    batch.add(a);
    batch.add(b);
    loop.poll().run();
    assertThat(flushed).containsExactly("a", "b");
    assertThat(loop).as("the write made during the flush has its own task").hasSize(1);
    loop.poll().run();
    assertThat(flushed).containsExactly("a", "b", "a");
    batch.add(b);
    assertThat(loop).hasSize(1);
    loop.poll().run();
    assertThat(flushed).containsExactly("a", "b", "a", "b");
  }
}
