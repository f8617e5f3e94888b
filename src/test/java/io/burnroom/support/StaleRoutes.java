package io.burnroom.support;

import io.burnroom.app.BurnroomNode;
import io.vertx.core.spi.cluster.RegistrationInfo;
import io.vertx.core.spi.cluster.RegistrationListener;
import io.vertx.core.spi.cluster.RegistrationUpdateEvent;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import java.lang.reflect.Field;
import java.util.List;

/**
 * Makes a node's event-bus route wrong the way a missed Hazelcast event does: the listener Vert.x's selector is fed
 * through (the cluster manager's own, reached by reflection: nothing public hands it out) is told {@code address}
 * lives on {@code nodeId} alone, whatever the shared map says.
 */
public final class StaleRoutes {
  private StaleRoutes() {
  }

  public static RegistrationListener listener(BurnroomNode node) {
    try {
      Field f = HazelcastClusterManager.class.getDeclaredField("registrationListener");
      f.setAccessible(true);
      return (RegistrationListener) f.get(node.routes());
    } catch (ReflectiveOperationException e) {
      throw new AssertionError("the cluster manager's registration listener", e);
    }
  }

  public static void missUpdate(BurnroomNode node, String address, String nodeId) {
    listener(node).registrationsUpdated(new RegistrationUpdateEvent(address,
        List.of(new RegistrationInfo(nodeId, 0, false))));
  }
}
