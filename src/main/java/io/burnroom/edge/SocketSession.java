package io.burnroom.edge;

import io.burnroom.bus.RoomReply;
import io.burnroom.bus.RoomRequest;
import io.burnroom.metrics.BurnroomMetrics.RateLimit;
import io.burnroom.wire.ClientFrame;
import io.burnroom.wire.ClientFrameParser;
import io.burnroom.wire.CloseCodes;
import io.burnroom.wire.ErrorCode;
import io.burnroom.wire.ServerFrames;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.http.WebSocketFrame;
import io.vertx.core.internal.http.WebSocketInternal;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;

/**
 * One browser WebSocket on this node: reassembles and size-checks frames before parsing, rate-limits, enforces the
 * join-first rule and the join timeout, and turns client frames into requests to the room's address. Runs only on
 * the edge verticle's event loop. Knows its socket, never room state.
 */
final class SocketSession implements Handler<WebSocketFrame>, FlushBatch.Target {
  private enum Phase { AWAITING_JOIN, JOINING, JOINED, CLOSED }

  private final EdgeVerticle edge;
  private final ServerWebSocket ws;
  /** The room id from the URL; after joining, the room's own instance of it, shared by its sockets on this node. */
  private String roomId;
  private final String source;
  private final String connId;
  private final TokenBucket rate;
  /** How far (in bytes) a reader may fall behind beyond Netty's write-queue mark before it is closed. */
  static final long SLOW_CONSUMER_BACKLOG_BYTES = 8L << 20;
  private boolean flushQueued;
  private Buffer partial;
  private boolean partialIsBinary;
  private Phase phase = Phase.AWAITING_JOIN;
  private String memberId;
  /** The highest seq this socket has been given (the join's replay included); see {@link #takeSeq}. */
  private long lastSeq;
  private int strikes;
  private int rateViolations;
  private long joinTimer;
  /**
   * The last room request still running, if any: requests of one socket run one after another, so a retried request
   * never lets a later one overtake it.
   */
  private Future<?> queue;

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
    ws.frameHandler(this); // the session itself, not a lambda per socket: 10,000 idle sockets hold 10,000 of them
    ws.closeHandler(v -> onClosed());
    ws.exceptionHandler(e -> { });
    joinTimer = edge.getVertx().setTimer(edge.limits().joinTimeoutMs(), id -> {
      if (phase == Phase.AWAITING_JOIN) {
        closeWith(ErrorCode.JOIN_TIMEOUT);
      }
    });
  }

  // ---- inbound ----

  @Override
  public void handle(WebSocketFrame frame) {
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
    call(RoomRequest.Join.of(edge.nodeId(), connId, source, j))
        .onSuccess(joined -> {
          String seated = joined.memberId();
          if (phase != Phase.JOINING) {
            // The socket closed while the room was seating us: give the seat back to the grace rules.
            call(new RoomRequest.Leave(seated, connId, false));
            return;
          }
          memberId = seated;
          roomId = joined.roomId();
          lastSeq = joined.seq();
          phase = Phase.JOINED;
          edge.registerMember(this);
          write(joined.frame());
          joined.replay().forEach(this::write);
        })
        .onFailure(e -> {
          if (phase != Phase.JOINING) {
            return;
          }
          ErrorCode code = RoomClient.codeOf(e);
          if (code.closeCode() != 0) {
            closeWith(code);
          } else {
            closeWith(ErrorCode.PROTOCOL_VIOLATION, code);
          }
        });
  }

  private void relay(ClientFrame.Msg m) {
    call(RoomRequest.Relay.of(memberId, connId, m))
        .onSuccess(acked -> write(ServerFrames.ack(m.id(), acked.seq())))
        .onFailure(e -> reportRoomError(RoomClient.codeOf(e)));
  }

  private void admin(ClientFrame.Admin a) {
    if (!edge.allowAdmin(source)) {
      send(ServerFrames.error(ErrorCode.RATE_LIMITED));
      return;
    }
    call(RoomRequest.Admin.of(memberId, connId, source, a))
        .onSuccess(reply -> send(ServerFrames.adminOk(a.op())))
        .onFailure(e -> reportRoomError(RoomClient.codeOf(e)));
  }

  private <R extends RoomReply> Future<R> call(RoomRequest<R> request) {
    Future<R> f = queue == null ? edge.rooms().request(roomId, request)
        : queue.transform(ignored -> edge.rooms().request(roomId, request));
    queue = f;
    // Forget it once done: an idle socket then holds no future (nor the join reply a future would keep).
    f.onComplete(ignored -> {
      if (queue == f) {
        queue = null;
      }
    });
    return f;
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

  /**
   * True when a relayed message with this seq (0: not a message) is new to this socket. A message relayed just
   * before a resume can reach the socket twice, in the join's replay and by its live delivery (found by chaos/,
   * decision 38); the second one is dropped here.
   */
  boolean takeSeq(long seq) {
    if (seq == 0) {
      return true;
    }
    if (seq <= lastSeq) {
      return false;
    }
    lastSeq = seq;
    return true;
  }

  void write(String frame) {
    Frames.encoded(frame, this::write);
  }

  /** Like {@link #write(String)} without the backlog check: the last words to a socket being closed for its backlog. */
  private void writeFinal(String frame) {
    Frames.encoded(frame, this::put);
  }

  /**
   * Writes one text message, already framed by {@link Frames#encode} into a direct buffer that the caller keeps (and
   * releases): a delivery is encoded once for all its recipients on this edge, each socket writes a view of the same
   * bytes, and Netty hands them to the kernel without copying them per socket. The write goes straight into the
   * socket's pipeline and is flushed by the edge's {@link FlushBatch}, so frames for one socket in one turn of the
   * event loop leave in one system call. Every frame of a session goes this way, so they keep their order. A consumer
   * that cannot keep up is closed instead of growing memory.
   */
  void write(ByteBuf message) {
    if (phase == Phase.CLOSED) {
      return;
    }
    // A full write queue alone is normal for a burst on a slow link, so the socket gets a bounded allowance beyond
    // Netty's mark; only a reader that stays behind by more than that is closed. Memory per socket stays bounded.
    if (channel().channel().bytesBeforeWritable() > SLOW_CONSUMER_BACKLOG_BYTES) {
      // Keeps its seat for the resume grace: a slow phone reconnects and gets what it missed from the replay log.
      edge.metrics().rateLimitedEvent(RateLimit.MESSAGE);
      closeWith(ErrorCode.SLOW_CONSUMER);
      return;
    }
    put(message);
  }

  private void put(ByteBuf message) {
    Frames.write(channel(), message);
    edge.flushes().add(this);
  }

  private ChannelHandlerContext channel() {
    return ((WebSocketInternal) ws).channelHandlerContext();
  }

  @Override
  public boolean queueFlush() {
    if (flushQueued) {
      return false;
    }
    flushQueued = true;
    return true;
  }

  @Override
  public void flushQueued() {
    flushQueued = false;
    channel().flush();
  }

  void closeWith(ErrorCode code) {
    closeWith(code, code);
  }

  /** Sends an {@code error} frame for {@code reported} and closes with {@code closing}'s close code. */
  private void closeWith(ErrorCode closing, ErrorCode reported) {
    if (phase == Phase.CLOSED) {
      return;
    }
    writeFinal(ServerFrames.error(reported).encode());
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
      call(new RoomRequest.Leave(memberId, connId, false));
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
      call(new RoomRequest.Leave(memberId, connId, intentional));
    }
  }
}
