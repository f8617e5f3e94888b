package io.burnroom.bus;

/** The node's own cluster news for its rooms and room host, published locally only. */
public sealed interface NodeEvent extends BusMessage {

  /** A cluster member disappeared; {@code nodeId} is its Vert.x node id. At {@link Addresses#NODE_LEFT}. */
  record NodeLeft(String nodeId) implements NodeEvent {
  }

  /** A member joined or came back; {@code nodeId} is its Vert.x node id. At {@link Addresses#NODE_JOINED}. */
  record NodeJoined(String nodeId) implements NodeEvent {
  }

  /** Hazelcast merged this node's side back after a split: rooms check they are still the owner. */
  record ClusterMerged() implements NodeEvent {
  }
}
