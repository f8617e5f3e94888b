package io.burnroom.room;

import static org.assertj.core.api.Assertions.assertThat;

import io.burnroom.bus.Addresses;
import io.burnroom.bus.BusCodecs;
import io.burnroom.bus.EdgeEvent;
import io.burnroom.bus.RoomReply;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * A loop's deliveries of one turn leave as one bus message per node, in the order the rooms made them; a close or a
 * drop never overtakes a frame sent before it, and a batch that grows past its byte bound goes out early.
 */
@DisplayName("Deliveries are batched per event-loop turn and node")
class DeliveryBatchTest {
  private Vertx vertx;
  private Context context;
  /** What each node's edge address received, in arrival order: "a:" + a batch's frames, or "a:close" / "a:drop". */
  private final List<String> received = Collections.synchronizedList(new ArrayList<>());

  @BeforeEach
  void start() throws Exception {
    vertx = Vertx.vertx();
    BusCodecs.register(vertx.eventBus());
    for (String node : List.of("a", "b")) {
      vertx.eventBus().<Object>localConsumer(Addresses.edge(node), m -> received.add(node + ":" + describe(m.body())))
          .completion().toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS);
    }
    context = vertx.getOrCreateContext();
  }

  @AfterEach
  void stop() {
    vertx.close();
  }

  @Test
  @DisplayName("one message per node per turn, frames in order; the next turn is a new message")
  void onePerNodePerTurn() throws Exception {
    onLoop(batch -> {
      batch.add("a", deliver("1"));
      batch.add("b", deliver("2"));
      batch.add("a", deliver("3"));
      assertThat(received).as("nothing leaves before the turn's task").isEmpty();
    });
    awaitCount(2);
    assertThat(received).as("each node's edges are their own consumers: no order between nodes")
        .containsExactlyInAnyOrder("a:[1, 3]", "b:[2]");
    onLoop(batch -> batch.add("a", deliver("4")));
    awaitCount(3);
    assertThat(received.get(2)).isEqualTo("a:[4]");
  }

  @Test
  @DisplayName("a close or a drop goes out after the frames held before it, not before them")
  void closeAndDropFollowHeldFrames() throws Exception {
    Member m = new Member("m1", "p", "t", null);
    m.connect("a", "c1");
    onLoop(batch -> {
      FanOut fanOut = new FanOut(vertx.eventBus(), batch, "room", () -> 0);
      fanOut.deliver(List.of(m), "1".getBytes());
      fanOut.close(List.of(m), 4000, "{}");
      fanOut.deliver(List.of(m), "2".getBytes());
      fanOut.drop("a", "m1", "c1");
    });
    awaitCount(4);
    assertThat(received).containsExactly("a:[1]", "a:close", "a:[2]", "a:drop");
  }

  @Test
  @DisplayName("a join reply goes out after the frames held before it, which its replay tail may repeat")
  void joinReplyFollowsHeldFrames() throws Exception {
    Member m = new Member("m1", "p", "t", null);
    m.connect("c", "c1");
    // The room answers on its loop: a frame for the member is batched, then the join reply leaves in the same turn.
    CompletableFuture<Void> roomReady = new CompletableFuture<>();
    context.runOnContext(v -> vertx.eventBus().<String>localConsumer("test.room", req -> {
      FanOut fanOut = new FanOut(vertx.eventBus(), DeliveryBatch.ofThisLoop(vertx.eventBus()), "room", () -> 0);
      fanOut.deliver(List.of(m), "1".getBytes());
      fanOut.replyJoined(req, new RoomReply.Joined("m1", "room", 1, 0, "joined", List.of()));
    }).completion().onComplete(ar -> roomReady.complete(null)));
    roomReady.get(5, TimeUnit.SECONDS);
    // The edge, like a real one, gets deliveries and its join replies on one context, in the order they were sent.
    Context edge = vertx.getOrCreateContext();
    CompletableFuture<Void> edgeReady = new CompletableFuture<>();
    edge.runOnContext(v -> vertx.eventBus().<Object>localConsumer(Addresses.edge("c"),
            d -> received.add("c:" + describe(d.body())))
        .completion().onComplete(ar -> edgeReady.complete(null)));
    edgeReady.get(5, TimeUnit.SECONDS);
    edge.runOnContext(v -> vertx.eventBus().<RoomReply.Joined>request("test.room", "join")
        .onSuccess(reply -> received.add("c:" + reply.body().frame())));
    awaitCount(2);
    assertThat(received).containsExactly("c:[1]", "c:joined");
  }

  @Test
  @DisplayName("a node's share goes out at once when it reaches the byte bound")
  void boundedBatches() throws Exception {
    String big = "x".repeat(DeliveryBatch.MAX_BYTES / 3 + 1);
    onLoop(batch -> {
      for (int i = 0; i < 4; i++) {
        batch.add("a", deliver(big));
      }
    });
    awaitCount(2);
    assertThat(received).as("three big frames pass the bound, the fourth waits for the turn's end")
        .containsExactly("a:[3 big]", "a:[1 big]");
  }

  private static EdgeEvent.Deliver deliver(String frame) {
    return EdgeEvent.Deliver.of("room", List.of("m1"), frame);
  }

  private static String describe(Object body) {
    if (body instanceof EdgeEvent.Deliveries ds) {
      List<String> frames = ds.items().stream().map(EdgeEvent.Deliver::text).toList();
      if (frames.get(0).length() > 100) {
        return "[" + frames.size() + " big]";
      }
      return frames.toString();
    }
    return body instanceof EdgeEvent.Close ? "close" : body instanceof EdgeEvent.Drop ? "drop" : "unexpected " + body;
  }

  /** Runs {@code task} in one turn of the context's loop, with that loop's batch. */
  private void onLoop(Consumer<DeliveryBatch> task) throws Exception {
    CompletableFuture<Void> done = new CompletableFuture<>();
    context.runOnContext(v -> {
      try {
        task.accept(DeliveryBatch.ofThisLoop(vertx.eventBus()));
        done.complete(null);
      } catch (Throwable e) {
        done.completeExceptionally(e);
      }
    });
    done.get(5, TimeUnit.SECONDS);
  }

  private void awaitCount(int n) throws InterruptedException {
    long until = System.currentTimeMillis() + 5_000;
    while (received.size() < n && System.currentTimeMillis() < until) {
      Thread.sleep(5);
    }
    Thread.sleep(50); // and nothing more than expected arrives
  }
}
