package io.burnroom.edge;

import io.burnroom.cluster.Addresses;
import io.burnroom.metrics.BurnroomMetrics.RateLimit;
import io.burnroom.protocol.Bus;
import io.burnroom.protocol.ClientFrame;
import io.burnroom.protocol.ClientFrameParser;
import io.burnroom.protocol.CloseCodes;
import io.burnroom.protocol.ErrorCode;
import io.burnroom.protocol.ServerFrames;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.http.WebSocketFrame;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;

/**
 * One browser WebSocket on this node: reassembles and size-checks frames before parsing, rate-limits, enforces the
 * join-first rule and the join timeout, and turns client frames into requests to the room's address. Runs only on
 * the edge verticle's event loop. Knows its socket, never room state.
 */
final class SocketSession {
  private enum Phase { AWAITING_JOIN, JOINING, JOINED, CLOSED }

  private static final DeliveryOptions REQUEST = new DeliveryOptions().setSendTimeout(Bus.REQUEST_TIMEOUT_MS);

  private final EdgeVerticle edge;
  private final ServerWebSocket ws;
  private final String roomId;
  private final String source;
  private final String connId;
  private final TokenBucket rate;
  private Buffer partial;
  private boolean partialIsBinary;
  private Phase phase = Phase.AWAITING_JOIN;
  private String memberId;
  private int strikes;
  private int rateViolations;
  private long joinTimer;

  SocketSession(EdgeVerticle edge, ServerWebSocket ws, String roomId, String source, String connId, long now) {
    this.edge = edge;
    this.ws = ws;
    this.roomId = roomId;
    this.source = source;
    this.connId = connId;
    int perSecond = edge.limits().msgsPerSecond();
    this.rate = new TokenBucket(perSecond, Math.max(2.0 * perSecond, 10), now);
  }

  String roomId() { return roomId; }
  String memberId() { return memberId; }
  String connId() { return connId; }
  boolean isJoined() { return phase == Phase.JOINED; }

  void start() {
    ws.frameHandler(this::onFrame);
    ws.closeHandler(v -> onClosed());
    ws.exceptionHandler(e -> { });
    joinTimer = edge.getVertx().setTimer(edge.limits().joinTimeoutMs(), id -> {
      if (phase == Phase.AWAITING_JOIN) {
        closeWith(ErrorCode.JOIN_TIMEOUT);
      }
    });
  }

  // ---- inbound ----

  private void onFrame(WebSocketFrame frame) {
    if (phase == Phase.CLOSED) {
      return;
    }
    if (!(frame.isText() || frame.isBinary() || frame.isContinuation())) {
      return; // ping, pong and close are handled by Vert.x
    }
    if (!frame.isContinuation()) {
      partial = null;
      partialIsBinary = frame.isBinary();
    }
    Buffer data = frame.binaryData();
    int total = (partial == null ? 0 : partial.length()) + data.length();
    if (total > edge.limits().maxFrameChars()) {
      partial = null;
      closeWith(ErrorCode.PAYLOAD_TOO_LARGE);
      return;
    }
    if (!frame.isFinal()) {
      if (partial == null) {
        partial = Buffer.buffer(Math.min(total * 2, edge.limits().maxFrameChars()));
      }
      partial.appendBuffer(data);
      return;
    }
    Buffer whole = partial == null ? data : partial.appendBuffer(data);
    partial = null;
    if (partialIsBinary) {
      strike(ErrorCode.BINARY_FRAME);
      return;
    }
    onText(whole.toString(StandardCharsets.UTF_8));
  }

  private void onText(String text) {
    long now = edge.clock().millis();
    if (!rate.tryTake(now)) {
      edge.metrics().rateLimitedEvent(RateLimit.MESSAGE);
      if (++rateViolations >= 3 * Math.max(10, edge.limits().msgsPerSecond())) {
        closeWith(ErrorCode.RATE_LIMIT_CLOSE);
      } else {
        send(ServerFrames.error(ErrorCode.RATE_LIMITED));
      }
      return;
    }
    ClientFrameParser.Result r = edge.parser().parse(text);
    if (!r.ok()) {
      if (r.error() == ErrorCode.PAYLOAD_TOO_LARGE && text.length() > edge.limits().maxFrameChars()) {
        closeWith(ErrorCode.PAYLOAD_TOO_LARGE);
      } else {
        strike(r.error());
      }
      return;
    }
    ClientFrame f = r.frame();
    if (f instanceof ClientFrame.Ping) {
      send(ServerFrames.pong(now));
      return;
    }
    switch (phase) {
      case AWAITING_JOIN -> {
        if (f instanceof ClientFrame.Join j) {
          join(j);
        } else {
          strike(ErrorCode.NOT_JOINED);
        }
      }
      case JOINING -> send(ServerFrames.error(ErrorCode.NOT_JOINED));
      case JOINED -> {
        if (f instanceof ClientFrame.Msg m) {
          relay(m);
        } else if (f instanceof ClientFrame.Admin a) {
          admin(a);
        } else {
          strike(ErrorCode.ALREADY_JOINED);
        }
      }
      default -> { }
    }
  }

  private void join(ClientFrame.Join j) {
    phase = Phase.JOINING;
    edge.getVertx().cancelTimer(joinTimer);
    edge.getVertx().eventBus().<JsonObject>request(Addresses.room(roomId), Bus.join(edge.nodeId(), connId, source, j), REQUEST)
        .onSuccess(reply -> {
          JsonObject body = reply.body();
          JsonObject joined = new JsonObject(body.getString("frame"));
          if (phase != Phase.JOINING) {
            // The socket closed while the room was seating us: give the seat back to the grace rules.
            edge.getVertx().eventBus().send(Addresses.room(roomId), Bus.leave(joined.getString("memberId"), connId, false));
            return;
          }
          memberId = joined.getString("memberId");
          phase = Phase.JOINED;
          edge.registerMember(this);
          ws.writeTextMessage(body.getString("frame"));
          body.getJsonArray("replay").forEach(frame -> ws.writeTextMessage((String) frame));
        })
        .onFailure(e -> {
          if (phase != Phase.JOINING) {
            return;
          }
          ErrorCode code = Bus.errorOf(e);
          if (Bus.noHandler(e)) {
            // Between a node's death and the room's restore the room has no handler but is still in the directory.
            edge.directory().get(roomId).onComplete(entry -> closeWith(
                entry.succeeded() && entry.result() != null ? ErrorCode.NODE_SHUTTING_DOWN : ErrorCode.ROOM_NOT_FOUND));
          } else if (code.closeCode() != 0) {
            closeWith(code);
          } else {
            closeWith(ErrorCode.PROTOCOL_VIOLATION, code);
          }
        });
  }

  private void relay(ClientFrame.Msg m) {
    edge.getVertx().eventBus().<JsonObject>request(Addresses.room(roomId), Bus.msg(memberId, connId, m), REQUEST)
        .onSuccess(reply -> send(ServerFrames.ack(m.id(), reply.body().getLong("seq"))))
        .onFailure(e -> reportRoomError(Bus.errorOf(e)));
  }

  private void admin(ClientFrame.Admin a) {
    edge.getVertx().eventBus().<JsonObject>request(Addresses.room(roomId), Bus.admin(memberId, connId, source, a), REQUEST)
        .onSuccess(reply -> send(ServerFrames.adminOk(a.op())))
        .onFailure(e -> reportRoomError(Bus.errorOf(e)));
  }

  /** A room answered with an error: report it, and close when the error calls for it. */
  private void reportRoomError(ErrorCode code) {
    if (code.closeCode() != 0) {
      closeWith(code);
    } else {
      send(ServerFrames.error(code));
    }
  }

  private void strike(ErrorCode code) {
    if (++strikes >= edge.limits().strikesBeforeClose()) {
      closeWith(ErrorCode.PROTOCOL_VIOLATION, code);
    } else {
      send(ServerFrames.error(code));
    }
  }

  // ---- outbound ----

  void send(JsonObject frame) {
    write(frame.encode());
  }

  /** Writes a pre-encoded frame. A consumer that cannot keep up is closed instead of growing memory. */
  void write(String frame) {
    if (phase == Phase.CLOSED) {
      return;
    }
    if (ws.writeQueueFull()) {
      closeWith(ErrorCode.RATE_LIMIT_CLOSE);
      return;
    }
    ws.writeTextMessage(frame);
  }

  void closeWith(ErrorCode code) {
    closeWith(code, code);
  }

  /** Sends an {@code error} frame for {@code reported} and closes with {@code closing}'s close code. */
  private void closeWith(ErrorCode closing, ErrorCode reported) {
    if (phase == Phase.CLOSED) {
      return;
    }
    ws.writeTextMessage(ServerFrames.error(reported).encode());
    close(closing.closeCode(), reported.code(), true);
  }

  /** Closes after an optional final frame. {@code reportLeave} is false when the room itself asked for the close. */
  void close(int code, String reason, boolean reportLeave) {
    if (phase == Phase.CLOSED) {
      return;
    }
    boolean wasJoined = phase == Phase.JOINED;
    phase = Phase.CLOSED;
    edge.forget(this);
    if (wasJoined && reportLeave) {
      edge.getVertx().eventBus().send(Addresses.room(roomId), Bus.leave(memberId, connId, false));
    }
    ws.close((short) code, reason);
  }

  private void onClosed() {
    edge.getVertx().cancelTimer(joinTimer);
    if (phase == Phase.CLOSED) {
      edge.forget(this);
      return;
    }
    boolean wasJoined = phase == Phase.JOINED;
    phase = Phase.CLOSED;
    edge.forget(this);
    if (wasJoined) {
      Short code = ws.closeStatusCode();
      boolean intentional = code != null && CloseCodes.isIntentionalLeave(code);
      edge.getVertx().eventBus().send(Addresses.room(roomId), Bus.leave(memberId, connId, intentional));
    }
  }
}
