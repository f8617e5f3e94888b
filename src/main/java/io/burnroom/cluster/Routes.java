package io.burnroom.cluster;

/**
 * This node's cached event-bus routes: where it believes each address's handlers live ({@link RoutingClusterManager}).
 */
public interface Routes {
  /** Nothing cached: one node, no cluster. */
  Routes NONE = address -> { };

  /** Drops the route for {@code address}: the next message to it asks the cluster where its handlers are now. */
  void forget(String address);
}
