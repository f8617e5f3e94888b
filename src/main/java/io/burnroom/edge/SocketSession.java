package io.burnroom.edge;

import io.burnroom.bus.RoomReply;
import io.burnroom.bus.RoomRequest;
import io.burnroom.metrics.BurnroomMetrics.ChunkPace;
import io.burnroom.metrics.BurnroomMetrics.Limit;
import io.burnroom.wire.ClientFrame;
import io.burnroom.wire.ClientFrameParser;
import io.burnroom.wire.CloseCodes;
import io.burnroom.wire.ErrorCode;
import io.burnroom.wire.ServerFrames;
import io.netty.buffer.ByteBuf;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.WebSocketFrame;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;

/**
 * One browser WebSocket on this node: reassembles and size-checks frames before parsing, rate-limits, enforces the
 * join-first rule and the join timeout, and turns client frames into requests to the room's address. Runs only on
 * the edge verticle's event loop. Knows its socket, never room state; everything else it works with comes in a
 * {@link SessionContext}, so it is tested on its own (SocketSessionTest).
 */
final class SocketSession implements Handler<WebSocketFrame>, FlushBatch.Target {
  private enum Phase { AWAITING_JOIN, JOINING, JOINED, CLOSED }

  private final SessionContext ctx;
  private final SessionSocket socket;
  /** The room id from the URL; after joining, the room's own instance of it, shared by its sockets on this node. */
  private String roomId;
  private final String source;
  private final String connId;
  private final TokenBucket rate;
  private final ChunkWindow chunks;
  /** How far (in bytes) a reader may fall behind beyond Netty's write-queue mark before it is closed. */
  static final long SLOW_CONSUMER_BACKLOG_BYTES = 8L << 20;
  private boolean flushQueued;
  private Buffer partial;
  private boolean partialIsBinary;
  private Phase phase = Phase.AWAITING_JOIN;
  private String memberId;
  /** The highest seq this socket has been given (the join's replay included); see {@link #takeSeq}. */
  private long lastSeq;
  private long expiresAt; // the room's latest expiry told to this edge (0: not joined); never moves back (decision 56)
  private int strikes;
  private int rateViolations;
  private long joinTimer;
  private final SerialRequests requests;

  SocketSession(SessionContext ctx, SessionSocket socket, String roomId, String source, String connId) {
    this.ctx = ctx;
    this.socket = socket;
    this.roomId = roomId;
    this.source = source;
    this.connId = connId;
    int perSecond = ctx.limits().msgsPerSecond();
    this.rate = new TokenBucket(perSecond, Math.max(2.0 * perSecond, 10), ctx.clock().millis());
    this.chunks = new ChunkWindow(ctx.chunks(), ctx.clock().millis());
    this.requests = new SerialRequests(ctx.rooms(), roomId);
  }

  String roomId() { return roomId; }
  String memberId() { return memberId; }
  String connId() { return connId; }
  boolean isJoined() { return phase == Phase.JOINED; }
  long expiresAt() { return expiresAt; }
  void expiresAt(long at) { expiresAt = Math.max(expiresAt, at); }

  /** Starts the join timeout; the socket's frames come to {@link #handle}, its close to {@link #onClosed}. */
  void start() {
    joinTimer = ctx.timers().setTimer(ctx.limits().joinTimeoutMs(), id -> {
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
    if (total > ctx.limits().maxFrameChars()) {
      partial = null;
      closeWith(ErrorCode.PAYLOAD_TOO_LARGE);
      return;
    }
    if (!frame.isFinal()) {
      if (partial == null) {
        partial = Buffer.buffer(Math.min(total * 2, ctx.limits().maxFrameChars()));
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
    long now = ctx.clock().millis();
    // only a seated member's chunks skip the frame rate: before that they are paced like any frame
    if (phase == Phase.JOINED && ChunkWindow.isChunk(text) ? chunks.full() : !rate.tryTake(now)) {
      rateLimited();
      return;
    }
    ClientFrameParser.Result r = ctx.parser().parse(text);
    if (!r.ok()) {
      if (r.error() == ErrorCode.PAYLOAD_TOO_LARGE && text.length() > ctx.limits().maxFrameChars()) {
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
        } else if (f instanceof ClientFrame.Chunk c) {
          chunk(c, text.length(), now);
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
    ctx.timers().cancelTimer(joinTimer);
    // Not tried again once the socket closed: a resume still retrying for a closed socket could land after the
    // member's next socket joined and take the seat from it (found by chaos/).
    requests.call(RoomRequest.Join.of(ctx.nodeId(), connId, source, j), () -> phase == Phase.JOINING)
        .onSuccess(joined -> {
          String seated = joined.memberId();
          if (phase != Phase.JOINING) {
            // The socket closed while the room was seating us: give the seat back to the grace rules.
            requests.call(new RoomRequest.Leave(seated, connId, false), () -> true);
            return;
          }
          memberId = seated;
          roomId = joined.roomId();
          lastSeq = joined.seq();
          expiresAt = joined.expiresAt();
          phase = Phase.JOINED;
          ctx.sockets().seated(this);
          write(joined.frame());
          joined.replay().forEach(this::write);
        })
        .onFailure(e -> {
          if (phase != Phase.JOINING) {
            return;
          }
          ErrorCode code = RoomClient.codeOf(e);
          if (code == ErrorCode.ROOM_FULL) {
            ctx.metrics().limited(Limit.ROOM_FULL);
          }
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

  /** Relays a chunk at once; its ack waits until the connection's and the room's byte budgets are out of debt. */
  private void chunk(ClientFrame.Chunk c, int frameBytes, long now) {
    long ackNotBefore = chunks.admit(frameBytes, now);
    if (ackNotBefore < 0) {
      rateLimited();
      return;
    }
    if (ackNotBefore > now) {
      ctx.metrics().chunkPaced(ChunkPace.CONNECTION_BUDGET);
    }
    call(RoomRequest.Chunk.of(memberId, connId, c))
        .onSuccess(acked -> {
          long wait = Math.max(acked.waitMs(), ackNotBefore - ctx.clock().millis());
          if (wait <= 0) {
            chunkAcked(c.id());
          } else {
            ctx.timers().setTimer(wait, t -> chunkAcked(c.id()));
          }
        })
        .onFailure(e -> {
          chunks.release();
          reportRoomError(RoomClient.codeOf(e));
        });
  }

  private void chunkAcked(String id) {
    chunks.release();
    write(ServerFrames.chunkAck(id));
  }

  /** A frame over this connection's rates: dropped with an error, and a sustained flood closes the socket (4029). */
  private void rateLimited() {
    ctx.metrics().limited(Limit.FLOOD);
    if (++rateViolations >= 3 * Math.max(10, ctx.limits().msgsPerSecond())) {
      closeWith(ErrorCode.RATE_LIMIT_CLOSE);
    } else {
      send(ServerFrames.error(ErrorCode.RATE_LIMITED));
    }
  }

  private void admin(ClientFrame.Admin a) {
    if (ctx.admin().take(source) > 0) { // right and wrong PINs alike
      send(ServerFrames.error(ErrorCode.RATE_LIMITED));
      return;
    }
    call(RoomRequest.Admin.of(memberId, connId, source, a))
        .onSuccess(reply -> send(ServerFrames.adminOk(a.op())))
        .onFailure(e -> reportRoomError(RoomClient.codeOf(e)));
  }

  /** Sent only while the socket is open: a queued relay sent after it closed overtook the client's resends (chaos/). */
  private <R extends RoomReply> Future<R> call(RoomRequest<R> request) {
    return requests.call(request, () -> phase != Phase.CLOSED);
  }

  /** A room answered with an error: report it, and close when the error calls for it. */
  private void reportRoomError(ErrorCode code) {
    if (code == ErrorCode.NOT_JOINED && phase == Phase.JOINED) {
      // The room no longer seats this joined socket (another socket's late resume took the seat): an error frame would
      // leave it open, unseated and deaf (chaos/). Sent to resume (1012), it gets its seat and what it missed back.
      closeWith(ErrorCode.NODE_SHUTTING_DOWN);
      return;
    }
    if (code.closeCode() != 0) {
      closeWith(code);
    } else {
      send(ServerFrames.error(code));
    }
  }

  private void strike(ErrorCode code) {
    if (++strikes >= ctx.limits().strikesBeforeClose()) {
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
    if (socket.backlogBytes() > SLOW_CONSUMER_BACKLOG_BYTES) {
      // Keeps its seat for the resume grace: a slow phone reconnects and gets what it missed from the replay log.
      ctx.metrics().limited(Limit.SLOW_CONSUMER);
      closeWith(ErrorCode.SLOW_CONSUMER);
      return;
    }
    put(message);
  }

  private void put(ByteBuf message) {
    socket.write(message);
    ctx.flushes().add(this);
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
    socket.flush();
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
    ctx.sockets().forget(this);
    if (wasJoined && reportLeave) {
      requests.call(new RoomRequest.Leave(memberId, connId, false), () -> true);
    }
    socket.close((short) code, reason);
  }

  /** The socket closed, by either side; {@code peerCode} is the close code the client sent, if any. */
  void onClosed(Short peerCode) {
    ctx.timers().cancelTimer(joinTimer);
    if (phase == Phase.CLOSED) {
      ctx.sockets().forget(this);
      return;
    }
    boolean wasJoined = phase == Phase.JOINED;
    phase = Phase.CLOSED;
    ctx.sockets().forget(this);
    if (wasJoined) {
      boolean intentional = peerCode != null && CloseCodes.isIntentionalLeave(peerCode);
      requests.call(new RoomRequest.Leave(memberId, connId, intentional), () -> true);
    }
  }
}
