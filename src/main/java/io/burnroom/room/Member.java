package io.burnroom.room;

/**
 * One seat in a room. The connection fields ({@code node}, {@code connId}) say where the member's socket is right now;
 * they are null while the member is disconnected and within its resume grace.
 */
public final class Member {
  final String memberId;
  final String profile;
  final String resumeToken;
  final DedupeWindow dedupe;
  String node;
  String connId;
  long disconnectedAt;

  Member(String memberId, String profile, String resumeToken, DedupeWindow dedupe) {
    this.memberId = memberId;
    this.profile = profile;
    this.resumeToken = resumeToken;
    this.dedupe = dedupe;
  }

  public String memberId() { return memberId; }
  public String profile() { return profile; }
  public String resumeToken() { return resumeToken; }
  public String node() { return node; }
  public String connId() { return connId; }
  public boolean connected() { return node != null; }

  void connect(String node, String connId) {
    this.node = node;
    this.connId = connId;
    this.disconnectedAt = 0;
  }

  void disconnect(long now) {
    this.node = null;
    this.connId = null;
    this.disconnectedAt = now;
  }
}
