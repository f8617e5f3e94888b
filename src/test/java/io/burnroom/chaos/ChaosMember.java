package io.burnroom.chaos;

import io.burnroom.chaos.History.Kind;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonObject;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;

/**
 * One member of a chaos room, behaving like the browser client across failures: it joins through the load balancer,
 * and when its socket drops it reconnects (to whichever node haproxy picks), resumes with its token and the last seq
 * it saw, and resends every message not yet acknowledged, with the same id, until it is. Everything it sends and
 * receives goes into the {@link History}. Runs on its own Vert.x context and never blocks.
 */
final class ChaosMember {
  private static final String PROFILE = "cHJvZmlsZQ==";
  private static final long RESEND_AFTER_MS = 5_000;

  private final ChaosRoom room;
  private final String name;
  private final Vertx vertx;
  private final Context context;
  private final WebSocketClient client;
  private final History history;
  private final Random random;
  private final Map<String, String> unacked = new LinkedHashMap<>();
  private WebSocket ws;
  /** True once the current socket has its {@code joined}: like the browser client, nothing is sent before it. */
  private boolean joined;
  private String resumeToken;
  private String memberId;
  private long lastSeq;
  private int sent;
  private boolean done;
  private boolean joinedOnce;
  private long lastResend;
  private long expiresAt;
  private long sendTimer = -1;

  ChaosMember(ChaosRoom room, String name, Vertx vertx, WebSocketClient client, History history, long seed) {
    this.room = room;
    this.name = name;
    this.vertx = vertx;
    this.context = vertx.getOrCreateContext();
    this.client = client;
    this.history = history;
    this.random = new Random(seed);
    this.expiresAt = room.expiresAt();
  }

  String name() { return name; }

  void start() {
    context.runOnContext(v -> connect());
  }

  /** Sends {@code extend} with the PIN (the creator only); recorded, answered by {@code admin_ok}. */
  void extend(String pin, int seconds) {
    context.runOnContext(v -> {
      if (ws != null && !done) {
        history.add(Kind.EXTEND, room.name(), name, null, null, -1, seconds);
        ws.writeTextMessage(new JsonObject().put("type", "admin").put("pin", pin).put("op", "extend")
            .put("seconds", seconds).encode());
      }
    });
  }

  boolean done() {
    return done;
  }

  /** Stops at the end of a run even if the room never told this member it burned. */
  void abandon() {
    context.runOnContext(v -> {
      done = true;
      if (ws != null) {
        ws.close();
      }
    });
  }

  private void connect() {
    if (done) {
      return;
    }
    WebSocketConnectOptions o = new WebSocketConnectOptions().setHost(room.lbHost()).setPort(room.lbPort())
        .setURI("/ws/rooms/" + room.roomId()).setTimeout(5_000);
    client.connect(o).onComplete(ar -> {
      if (ar.failed()) {
        retry();
        return;
      }
      WebSocket s = ar.result();
      if (done) {
        s.close();
        return;
      }
      ws = s;
      joined = false;
      s.textMessageHandler(t -> onFrame(s, new JsonObject(t)));
      s.closeHandler(v -> onClose(s, s.closeStatusCode()));
      s.exceptionHandler(e -> { });
      JsonObject join = new JsonObject().put("type", "join").put("profile", PROFILE);
      if (resumeToken != null) {
        join.put("resume", resumeToken).put("lastSeq", lastSeq);
      }
      s.writeTextMessage(join.encode());
    });
  }

  private void retry() {
    if (!done) {
      vertx.setTimer(100 + random.nextInt(200), t -> connect());
    }
  }

  private void onFrame(WebSocket s, JsonObject f) {
    if (s != ws) {
      return;
    }
    switch (String.valueOf(f.getString("type"))) {
      case "joined" -> onJoined(f);
      case "msg" -> {
        long seq = f.getLong("seq");
        history.add(Kind.DELIVER, room.name(), name, room.memberName(f.getString("from")), f.getString("id"), seq, -1);
        lastSeq = Math.max(lastSeq, seq);
      }
      case "ack" -> {
        if (unacked.remove(f.getString("id")) != null) {
          history.add(Kind.ACK, room.name(), name, null, f.getString("id"), f.getLong("seq"), -1);
        }
      }
      case "tick", "extended" -> sawExpiry(f.getLong("expiresAt"));
      case "admin_ok" -> history.add(Kind.EXTEND_OK, room.name(), name, null, null, -1, -1);
      case "burned" -> {
        history.add(Kind.BURNED, room.name(), name, null, f.getBoolean("edge", false) ? History.EDGE : null, -1, -1);
        finish();
      }
      default -> { }
    }
  }

  private void onJoined(JsonObject f) {
    String id = f.getString("memberId");
    boolean resumed = memberId != null;
    if (resumed && !memberId.equals(id)) {
      // The room did not know the token any more and seated a new member: recorded, the checker reports it.
      history.add(Kind.JOIN, room.name(), name, null, "reseated", 0, f.getLong("expiresAt"));
    }
    memberId = id;
    joined = true;
    room.seat(id, name);
    resumeToken = f.getString("resumeToken");
    history.add(Kind.JOIN, room.name(), name, null, id, resumed ? 1 : 0, f.getLong("expiresAt"));
    sawExpiry(f.getLong("expiresAt"));
    unacked.forEach((mid, body) -> ws.writeTextMessage(msg(mid, body)));
    lastResend = System.currentTimeMillis();
    if (!joinedOnce) {
      joinedOnce = true;
      scheduleSend();
    }
  }

  private void sawExpiry(long at) {
    expiresAt = at;
    room.sawExpiry(at);
    history.add(Kind.EXPIRY, room.name(), name, null, null, -1, at);
  }

  private void scheduleSend() {
    sendTimer = vertx.setTimer(300 + random.nextInt(900), t -> {
      if (done) {
        return;
      }
      long now = System.currentTimeMillis();
      if (room.talking() && now < expiresAt - 500) {
        String id = name + "-" + (++sent);
        String body = java.util.Base64.getEncoder().encodeToString(id.getBytes());
        unacked.put(id, body);
        history.add(Kind.SEND, room.name(), name, null, id, -1, -1);
        // Before its joined a (re)connected socket sends nothing: the resends of older messages follow the joined,
        // and a new one sent ahead of them would overtake them (the browser client's sendFrame waits the same way).
        if (ws != null && joined) {
          ws.writeTextMessage(msg(id, body));
        }
      }
      if (ws != null && joined && !unacked.isEmpty() && now - lastResend > RESEND_AFTER_MS) {
        // Resend until acknowledged, even on a socket that looks alive.
        lastResend = now;
        unacked.forEach((mid, b) -> ws.writeTextMessage(msg(mid, b)));
      }
      scheduleSend();
    });
  }

  private static String msg(String id, String body) {
    return new JsonObject().put("type", "msg").put("id", id).put("body", body).encode();
  }

  private void onClose(WebSocket s, Short code) {
    if (s != ws) {
      return;
    }
    ws = null;
    joined = false;
    int c = code == null ? -1 : code;
    history.add(Kind.CLOSE, room.name(), name, null, null, -1, c);
    if (done) {
      return;
    }
    if (c == 4000) {
      history.add(Kind.BURNED, room.name(), name, null, "close", -1, -1);
      finish();
    } else if (c == 4004) {
      history.add(Kind.GONE, room.name(), name, null, null, -1, expiresAt);
      if (System.currentTimeMillis() >= expiresAt) {
        finish();
      } else {
        retry();
      }
    } else {
      retry();
    }
  }

  private void finish() {
    done = true;
    if (sendTimer >= 0) {
      vertx.cancelTimer(sendTimer);
    }
    if (ws != null) {
      ws.close();
    }
    room.memberDone();
  }
}
