package io.burnroom.chaos;

import io.vertx.core.Vertx;
import io.vertx.core.http.WebSocketClient;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/** One room of a chaos run: its server id (never printed), its members, and which server member id is whose. */
final class ChaosRoom {
  private final String name;
  private final String roomId;
  private final String pin;
  private final long expiresAt;
  private final String lbHost;
  private final int lbPort;
  private final List<ChaosMember> members = new ArrayList<>();
  private final Map<String, String> names = new ConcurrentHashMap<>();
  private final AtomicInteger finished = new AtomicInteger();
  private volatile boolean talking = true;
  private volatile long latestExpiry;

  ChaosRoom(String name, String roomId, String pin, long expiresAt, String lbHost, int lbPort) {
    this.name = name;
    this.roomId = roomId;
    this.pin = pin;
    this.expiresAt = expiresAt;
    this.lbHost = lbHost;
    this.lbPort = lbPort;
    this.latestExpiry = expiresAt;
  }

  void addMembers(int count, Vertx vertx, WebSocketClient client, History history, long seed) {
    for (int i = 0; i < count; i++) {
      members.add(new ChaosMember(this, name + "m" + i, vertx, client, history, seed * 31 + i));
    }
    members.forEach(ChaosMember::start);
  }

  String name() { return name; }
  String roomId() { return roomId; }
  String pin() { return pin; }
  long expiresAt() { return expiresAt; }
  String lbHost() { return lbHost; }
  int lbPort() { return lbPort; }
  boolean talking() { return talking; }
  List<ChaosMember> members() { return members; }

  /** Members stop sending new messages (they still resend what is unacknowledged). */
  void quiet() {
    talking = false;
  }

  /** The latest expiresAt any member saw (an extend moves it). */
  long latestExpiry() { return latestExpiry; }

  void sawExpiry(long at) {
    latestExpiry = Math.max(latestExpiry, at);
  }

  void seat(String memberId, String memberName) {
    names.put(memberId, memberName);
  }

  String memberName(String memberId) {
    return names.getOrDefault(memberId, "?" + Integer.toHexString(memberId.hashCode()));
  }

  void memberDone() {
    finished.incrementAndGet();
  }

  boolean done() {
    return finished.get() >= members.size();
  }

  void abandon() {
    members.forEach(ChaosMember::abandon);
  }
}
