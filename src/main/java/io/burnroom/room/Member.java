package io.burnroom.room;

import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Set;

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

  /** Who gets a frame from {@code sender}: {@code target} alone when set, else every other connected member. */
  static List<Member> recipients(Collection<Member> members, Member sender, Member target) {
    if (target != null) {
      return target.connected() ? List.of(target) : List.of();
    }
    List<Member> recipients = new ArrayList<>(members.size());
    for (Member m : members) {
      if (m != sender && m.connected()) {
        recipients.add(m);
      }
    }
    return recipients;
  }

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

  /** This seat in the room's snapshot, with the newest {@code dedupe} client ids. */
  JsonObject toSnapshot(int dedupeIds) {
    return new JsonObject().put("memberId", memberId).put("profile", profile).put("resumeToken", resumeToken)
        .put("node", node).put("connId", connId).put("disconnectedAt", disconnectedAt)
        .put("dedupe", dedupe.toJson(dedupeIds));
  }

  /**
   * A seat read back from a snapshot. A member whose socket was on a node that is no longer live starts its resume
   * grace at {@code now}; one on a live node stays connected.
   */
  static Member fromSnapshot(JsonObject j, long now, Set<String> liveNodes) {
    Member m = new Member(j.getString("memberId"), j.getString("profile"), j.getString("resumeToken"),
        DedupeWindow.fromJson(j.getJsonObject("dedupe"), DedupeWindow.DEFAULT_SIZE));
    String node = j.getString("node");
    if (node != null && liveNodes.contains(node)) {
      m.connect(node, j.getString("connId"));
    } else if (node != null) {
      m.disconnect(now);
    } else {
      m.disconnect(j.getLong("disconnectedAt", now));
    }
    return m;
  }
}
