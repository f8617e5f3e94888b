package io.burnroom.edge;

import static org.assertj.core.api.Assertions.assertThat;

import io.burnroom.app.BurnroomNode;
import io.burnroom.support.TestNodes;
import io.burnroom.support.WsClient;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * A node runs one edge per core on one shared port. Sockets spread over the instances, members held by different
 * instances of one node talk to each other through the room, and the node-wide socket cap counts all instances.
 */
@DisplayName("Edge instances share a port, a socket cap and the rooms")
class EdgeInstancesTest {
  private static final String PROFILE = "cHJvZmlsZQ==";

  @Test
  void socketsSpreadAndMembersOnDifferentInstancesTalk() {
    try (TestNodes nodes = new TestNodes()) {
      BurnroomNode node = nodes.embedded(Map.of("BURNROOM_MAX_SOCKETS_PER_NODE", "8"));
      String roomId = nodes.createRoom(node, 600).getString("roomId");
      List<WsClient> members = new ArrayList<>();
      try {
        for (int i = 0; i < 8; i++) {
          WsClient c = nodes.ws(node, roomId);
          c.join(PROFILE);
          members.add(c);
        }
        List<Integer> perEdge = node.socketsPerEdge();
        assertThat(perEdge.stream().mapToInt(Integer::intValue).sum()).isEqualTo(8);
        if (perEdge.size() > 1) {
          assertThat(perEdge).as("connections spread over the edge instances").allMatch(n -> n > 0);
        }
        members.get(0).msg("hello", "QUFB");
        for (WsClient other : members.subList(1, 8)) {
          assertThat(other.expect("msg").getString("id")).isEqualTo("hello");
        }
        TestNodes.Reply full = nodes.request(io.vertx.core.http.HttpMethod.GET, node.httpPort(),
            "/api/rooms/" + roomId, null);
        assertThat(full.body().getInteger("members")).isEqualTo(8);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> nodes.ws(node, roomId))
            .as("the ninth socket exceeds the node's cap, whichever instance it lands on").hasMessageContaining("503");
      } finally {
        members.forEach(WsClient::close);
      }
    }
  }
}
