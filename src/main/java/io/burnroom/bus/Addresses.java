package io.burnroom.bus;

/** Every event-bus address Burnroom uses, in one place. Room addresses contain room ids: never log or label them. */
public final class Addresses {
  private static final String ROOM = "burnroom.room.";
  private static final String EDGE = "burnroom.edge.";

  /** The room's own verticle, wherever in the cluster it lives. */
  public static String room(String roomId) {
    return ROOM + roomId;
  }

  /** One node's edge: receives deliveries for the sockets it holds. */
  public static String edge(String nodeId) {
    return EDGE + nodeId;
  }

  /** This node's room host (local only): creates, restores and removes room deployments. */
  public static final String ROOM_HOST = "burnroom.host";

  /** Local broadcast when a cluster member disappears ({@link NodeEvent.NodeLeft}). */
  public static final String NODE_LEFT = "burnroom.node-left";
  /** Local broadcast when a member joins or comes back ({@link NodeEvent.NodeJoined}). */
  public static final String NODE_JOINED = "burnroom.node-joined";
  /** Local only: Hazelcast merged this node's side back after a split ({@link NodeEvent.ClusterMerged}). */
  public static final String CLUSTER_MERGED = "burnroom.cluster-merged";

  private Addresses() {
  }
}
