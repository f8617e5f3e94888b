package io.burnroom.support;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntSupplier;

/**
 * A test member that behaves like the real client across failures: when its socket drops it reconnects to another
 * node, resumes with its token and the last seq it saw, and resends every message not yet acknowledged, with the
 * same id. It counts every message it receives by {@code from/id}, so a test can assert exactly-once delivery.
 * Driven by {@link #pump()} from the test thread; never blocks for long.
 */
public final class ResilientMember {
  private static final String PROFILE = "cHJvZmlsZQ==";

  private final Vertx vertx;
  private final String roomId;
  private final List<IntSupplier> ports;
  private final String name;
  private final Map<String, String> unacked = new LinkedHashMap<>();
  private final Map<String, Integer> received = new HashMap<>();
  private WsClient ws;
  private String memberId;
  private String resumeToken;
  private long lastSeq;
  private int portIndex;
  private int reconnects;
  private boolean burned;
  private long burnedAt;
  private long nextAttempt;

  /** {@code ports} are tried in order, starting at {@code firstPort}; a supplier may throw when its node is gone. */
  public ResilientMember(Vertx vertx, String roomId, List<IntSupplier> ports, int firstPort, String name) {
    this.vertx = vertx;
    this.roomId = roomId;
    this.ports = ports;
    this.portIndex = firstPort;
    this.name = name;
  }

  public void connect() {
    WsClient c = WsClient.connect(vertx, ports.get(portIndex).getAsInt(), roomId);
    JsonObject join = new JsonObject().put("type", "join").put("profile", PROFILE);
    if (resumeToken != null) {
      join.put("resume", resumeToken).put("lastSeq", lastSeq);
    }
    c.send(join);
    JsonObject joined = c.expect(f -> "joined".equals(f.getString("type")) || "error".equals(f.getString("type")),
        "joined", WsClient.WAIT_MS);
    if (!"joined".equals(joined.getString("type"))) {
      c.close();
      throw new IllegalStateException(name + " join refused: " + joined);
    }
    if (memberId != null && !memberId.equals(joined.getString("memberId"))) {
      throw new AssertionError(name + " resumed as a different member: " + joined);
    }
    memberId = joined.getString("memberId");
    resumeToken = joined.getString("resumeToken");
    ws = c;
    unacked.forEach((id, body) -> ws.msg(id, body));
  }

  public void send(String id, String body) {
    unacked.put(id, body);
    if (ws != null && !ws.isClosed()) {
      ws.msg(id, body);
    }
  }

  /** Handles what arrived; reconnects (with a short back-off) when the socket is gone and the room has not burned. */
  public void pump() {
    if (ws != null) {
      for (JsonObject f : ws.drain()) {
        switch (String.valueOf(f.getString("type"))) {
          case "msg" -> {
            received.merge(f.getString("from") + "/" + f.getString("id"), 1, Integer::sum);
            lastSeq = Math.max(lastSeq, f.getLong("seq"));
          }
          case "ack" -> unacked.remove(f.getString("id"));
          case "burned" -> {
            burned = true;
            burnedAt = System.currentTimeMillis();
          }
          default -> { }
        }
      }
    }
    if (burned || (ws != null && !ws.isClosed()) || System.currentTimeMillis() < nextAttempt) {
      return;
    }
    if (ws != null) {
      ws.close();
      ws = null;
    }
    try {
      connect();
      reconnects++;
    } catch (RuntimeException e) {
      portIndex = (portIndex + 1) % ports.size();
      nextAttempt = System.currentTimeMillis() + 200;
    }
  }

  public String name() { return name; }
  public String memberId() { return memberId; }
  public int unackedCount() { return unacked.size(); }
  public int reconnects() { return reconnects; }
  public boolean burned() { return burned; }
  public long burnedAt() { return burnedAt; }
  public boolean connected() { return ws != null && !ws.isClosed(); }

  /** How often a message from {@code from} with {@code id} arrived (0 = never). */
  public int receivedCount(String from, String id) {
    return received.getOrDefault(from + "/" + id, 0);
  }

  public Map<String, Integer> received() {
    return Map.copyOf(received);
  }

  public void close() {
    if (ws != null) {
      ws.close();
    }
  }
}
