package io.burnroom.room;

import io.burnroom.cluster.Addresses;
import io.burnroom.protocol.Bus;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.json.JsonArray;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/** Node-level fan-out: groups recipients by the node holding their socket and sends one message per node. */
final class FanOut {
  private final EventBus bus;
  private final String roomId;

  FanOut(EventBus bus, String roomId) {
    this.bus = bus;
    this.roomId = roomId;
  }

  void deliver(Collection<Member> recipients, String frame) {
    deliver(recipients, frame.getBytes(StandardCharsets.UTF_8));
  }

  /** {@code utf8}: a frame already encoded (a relayed message's, which the replay log needed encoded too). */
  void deliver(Collection<Member> recipients, byte[] utf8) {
    send(recipients, ids -> new Bus.Deliver(roomId, ids, utf8));
  }

  void close(Collection<Member> recipients, int code, String frame) {
    send(recipients, ids -> Bus.close(roomId, new JsonArray(ids), code, frame));
  }

  void drop(String node, String memberId, String connId) {
    bus.publish(Addresses.edge(node), Bus.drop(roomId, memberId, connId));
  }

  private void send(Collection<Member> recipients, Function<List<String>, Object> message) {
    if (recipients.isEmpty()) {
      return;
    }
    Map<String, List<String>> byNode = new HashMap<>(4);
    for (Member m : recipients) {
      if (m.node != null) {
        byNode.computeIfAbsent(m.node, n -> new ArrayList<>()).add(m.memberId);
      }
    }
    byNode.forEach((node, ids) -> bus.publish(Addresses.edge(node), message.apply(ids)));
  }
}
