package io.burnroom.bus;

/** The room host's answer to a {@link HostRequest.Create}. */
public sealed interface HostReply extends BusMessage {

  record Created(String roomId, String pin, long expiresAt) implements HostReply {
  }
}
