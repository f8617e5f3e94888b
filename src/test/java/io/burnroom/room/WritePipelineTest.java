package io.burnroom.room;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Write-then-effect with several batches in flight: an effect never leaves before its own write and every earlier
 * one has landed, writes do not wait for each other unless they touch the same key, and the pipeline reports idle
 * only when everything is out.
 */
@DisplayName("Room writes are pipelined, effects released in order")
class WritePipelineTest {
  /** Every write the pipeline started, in order, each with the promise the test completes by hand. */
  private final List<Write> started = new ArrayList<>();
  private final List<String> effects = new ArrayList<>();
  private final WritePipeline pipeline = new WritePipeline(new WritePipeline.Store() {
    @Override
    public Future<Void> saveSnapshot() {
      return start("snapshot", Map.of());
    }

    @Override
    public Future<Void> saveFrames(Map<Integer, String> writes) {
      return start("frames", writes);
    }
  });

  private record Write(String kind, Map<Integer, String> writes, Promise<Void> done) { }

  private Future<Void> start(String kind, Map<Integer, String> writes) {
    Write w = new Write(kind, new HashMap<>(writes), Promise.promise());
    started.add(w);
    return w.done().future();
  }

  private void relay(String name, int slot) {
    pipeline.add(() -> effects.add(name), Map.of(slot, name), false);
  }

  @Test
  @DisplayName("each change writes at once; a later write that lands first still waits for the earlier effect")
  void writesOverlapEffectsKeepOrder() {
    relay("m1", 1);
    relay("m2", 2);
    relay("m3", 3);
    assertThat(started).as("three writes in flight, none waiting for another").hasSize(3);
    assertThat(pipeline.inFlight()).isEqualTo(3);

    started.get(2).done().complete();
    started.get(1).done().complete();
    assertThat(effects).as("m2 and m3 landed but m1 has not: nothing may leave").isEmpty();

    started.get(0).done().complete();
    assertThat(effects).containsExactly("m1", "m2", "m3");
    assertThat(pipeline.whenIdle().isComplete()).isTrue();
  }

  @Test
  @DisplayName("a slot written again while its first write is in flight goes in the next batch, with the newest record")
  void sameSlotWaitsForItsEarlierWrite() {
    relay("m1", 5);
    relay("m2", 5);
    relay("m3", 5);
    assertThat(started).as("one write per slot in flight").hasSize(1);

    started.get(0).done().complete();
    assertThat(effects).containsExactly("m1");
    assertThat(started).hasSize(2);
    assertThat(started.get(1).writes()).as("m2 and m3 coalesced; the newer record wins the slot")
        .containsExactly(Map.entry(5, "m3"));

    started.get(1).done().complete();
    assertThat(effects).containsExactly("m1", "m2", "m3");
  }

  @Test
  @DisplayName("the snapshot has one write in flight; frames pass it, but their effects wait behind it")
  void oneSnapshotWriteInFlight() {
    pipeline.add(() -> effects.add("join"), Map.of(), true);
    pipeline.add(() -> effects.add("lock"), Map.of(), true);
    relay("m1", 1);
    assertThat(started).extracting(Write::kind).as("the second snapshot waits; the frame does not pass the batch "
        + "queued before it").containsExactly("snapshot");

    started.get(0).done().complete();
    assertThat(effects).containsExactly("join");
    assertThat(started).extracting(Write::kind).as("lock's snapshot and m1's frame in one batch")
        .containsExactly("snapshot", "snapshot", "frames");

    started.get(2).done().complete();
    assertThat(effects).as("the batch's snapshot has not landed").containsExactly("join");
    started.get(1).done().complete();
    assertThat(effects).containsExactly("join", "lock", "m1");
  }

  @Test
  @DisplayName("beyond the in-flight bound changes coalesce into one batch")
  void boundedInFlight() {
    for (int i = 0; i < WritePipeline.MAX_IN_FLIGHT + 3; i++) {
      relay("m" + i, i);
    }
    assertThat(started).hasSize(WritePipeline.MAX_IN_FLIGHT);

    started.get(0).done().complete();
    assertThat(started).hasSize(WritePipeline.MAX_IN_FLIGHT + 1);
    assertThat(started.get(WritePipeline.MAX_IN_FLIGHT).writes()).as("the three held changes in one write")
        .hasSize(3);
  }

  @Test
  @DisplayName("a failed write still releases its effects (availability over durability), in order")
  void failedWriteReleases() {
    relay("m1", 1);
    relay("m2", 2);
    started.get(1).done().complete();
    started.get(0).done().fail("map unavailable");
    assertThat(effects).containsExactly("m1", "m2");
  }

  @Test
  @DisplayName("idle only when nothing waits or is in flight; an effect's own change keeps the order")
  void idleAndReentry() {
    relay("m1", 1);
    Future<Void> idle = pipeline.whenIdle();
    pipeline.add(() -> {
      effects.add("m2");
      relay("m3", 3);
    }, Map.of(2, "m2"), false);
    relay("m4", 4);

    started.get(1).done().complete();
    started.get(2).done().complete();
    started.get(0).done().complete();
    assertThat(effects).as("m3 is asked for by m2's effect, after m4").containsExactly("m1", "m2", "m4");
    assertThat(idle.isComplete()).as("m3 is still in flight").isFalse();

    started.get(3).done().complete();
    assertThat(effects).containsExactly("m1", "m2", "m4", "m3");
    assertThat(idle.isComplete()).isTrue();
  }
}
