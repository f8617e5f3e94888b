package io.burnroom.process;

import static org.assertj.core.api.Assertions.assertThat;

import io.burnroom.support.FreePorts;
import io.burnroom.support.NodeProcess;
import io.burnroom.support.TestNodes;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The Kubernetes discovery that deploy/kubernetes/ configures ({@code BURNROOM_CLUSTER_DISCOVERY=kubernetes} with a
 * headless Service's name), loaded by real node processes. Here the name is {@code localhost}, which resolves to
 * 127.0.0.1 as a headless Service resolves to its pods' addresses; both nodes get the very same settings, as the pods
 * of one Deployment do, and the second takes the next port on the shared loopback address.
 */
@DisplayName("Kubernetes discovery with real node processes")
class KubernetesDiscoveryIT {
  private final TestNodes client = new TestNodes();
  private NodeProcess a;
  private NodeProcess b;

  @AfterEach
  void stop() throws Exception {
    for (NodeProcess n : new NodeProcess[] {a, b}) {
      if (n != null) {
        n.kill9();
      }
    }
    client.close();
  }

  private NodeProcess start(String name, Map<String, String> env) {
    return NodeProcess.builder().name(name).env(env).start();
  }

  @Test
  @DisplayName("two nodes that only know a DNS name find each other: both ready, one room seen through both")
  void nodesFindEachOtherThroughDns() {
    Map<String, String> env = Map.of("BURNROOM_CLUSTER", "true",
        "BURNROOM_CLUSTER_NAME", "k8s-" + UUID.randomUUID(),
        "BURNROOM_CLUSTER_HOST", "127.0.0.1",
        "BURNROOM_CLUSTER_PORT", String.valueOf(FreePorts.take(1).get(0)),
        "BURNROOM_CLUSTER_DISCOVERY", "kubernetes",
        "BURNROOM_CLUSTER_SERVICE_DNS", "localhost",
        "BURNROOM_FAILURE_DETECT_SECONDS", "3");
    a = start("k8s-a", env);
    b = start("k8s-b", env);
    assertThat(a.mode()).isEqualTo("clustered");
    assertThat(b.mode()).isEqualTo("clustered");
    for (NodeProcess n : new NodeProcess[] {a, b}) {
      assertThat(client.request(HttpMethod.GET, n.mgmtPort(), "/health/ready", null).status())
          .as("%s is ready", n.name()).isEqualTo(200);
    }

    JsonObject room = new JsonObject(client.request(HttpMethod.POST, a.httpPort(), "/api/rooms",
        new JsonObject().put("ttlSeconds", 600).encode()).body().encode());
    String roomId = room.getString("roomId");
    assertThat(roomId).isNotBlank();
    // One cluster or two: a node that found no peer has its own empty room directory and answers 404.
    assertThat(client.request(HttpMethod.GET, b.httpPort(), "/api/rooms/" + roomId, null).status())
        .as("the room created on the first node is known to the second").isEqualTo(200);
    assertThat(a.output() + b.output()).as("no DNS failure reported").doesNotContain("DNS lookup");
  }
}
