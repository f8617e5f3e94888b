package io.burnroom.room;

import static org.assertj.core.api.Assertions.assertThat;

import io.burnroom.app.BurnroomNode;
import io.burnroom.bus.Addresses;
import io.burnroom.bus.Bus;
import io.burnroom.bus.NodeEvent;
import io.burnroom.support.TestNodes;
import io.burnroom.support.WsClient;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Vert.x keeps the handlers of one address in one array, and removing a handler scans and copies it: with a consumer
 * per room on the node-wide event addresses, every room's undeploy cost a scan of all the node's rooms, under a lock
 * the event loops share. 1,000 rooms burning in one second among 9,000 then held the event loops for seconds and the
 * burns ran up to 2.5 s late (issue 31, bench scenario g). The node's rooms hear those events from the room host.
 * Each edge instance (one per event loop) also hears node-left, for its requests in flight (decision 66): a fixed
 * number per node, not one per room.
 */
@DisplayName("a node's rooms hear node-left and merge events through the room host's one consumer, not one each")
class NodeEventFanInTest {
  private static final int ROOMS = 20;

  @Test
  void oneConsumerPerNodeNotPerRoom() throws Exception {
    try (TestNodes nodes = new TestNodes()) {
      BurnroomNode node = nodes.embedded();
      for (int i = 0; i < ROOMS; i++) {
        nodes.createRoom(node, 600);
      }
      AtomicInteger left = new AtomicInteger();
      AtomicInteger merged = new AtomicInteger();
      node.vertx().eventBus().addInboundInterceptor(ctx -> {
        String address = ctx.message().address();
        if (Addresses.NODE_LEFT.equals(address)) {
          left.incrementAndGet();
        } else if (Addresses.CLUSTER_MERGED.equals(address)) {
          merged.incrementAndGet();
        }
        ctx.next();
      });
      Bus.publish(node.vertx().eventBus(), new NodeEvent.NodeLeft("a-node-that-never-was"));
      Bus.publish(node.vertx().eventBus(), new NodeEvent.ClusterMerged());
      long deadline = System.currentTimeMillis() + 5_000;
      while ((left.get() == 0 || merged.get() == 0) && System.currentTimeMillis() < deadline) {
        Thread.sleep(20);
      }
      // a consumer per room would have its delivery in well under this
      Thread.sleep(500);
      int edges = node.socketsPerEdge().size();
      assertThat(left.get()).as("consumers that got node-left with %d rooms on the node (the room host and %d edges)",
          ROOMS, edges).isEqualTo(1 + edges);
      assertThat(merged.get()).as("consumers that got the merge with %d rooms on the node", ROOMS).isEqualTo(1);
    }
  }

  @Test
  @DisplayName("the rooms still hear node-left: members held by the node that left stop getting the room's ticks")
  void roomsStillHearNodeLeft() throws Exception {
    try (TestNodes nodes = new TestNodes()) {
      BurnroomNode node = nodes.embedded();
      // under a minute left: the room ticks every second to the members it believes connected
      String id = nodes.createRoom(node, 45).getString("roomId");
      try (WsClient m = nodes.ws(node, id)) {
        m.join("cHJvZmlsZQ==");
        m.expect("tick");
        // as if this node had left: the room takes its members for gone and keeps their seats for a resume
        Bus.publish(node.vertx().eventBus(), new NodeEvent.NodeLeft(node.nodeId()));
        Thread.sleep(300);
        m.drain();
        Thread.sleep(2_500);
        assertThat(m.drain()).as("frames after node-left").noneMatch(f -> "tick".equals(f.getString("type")));
      }
    }
  }
}
