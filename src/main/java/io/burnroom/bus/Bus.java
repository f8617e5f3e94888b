package io.burnroom.bus;

import io.burnroom.wire.ClientFrame;
import io.burnroom.wire.ErrorCode;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The node-to-node vocabulary: requests an edge sends to a room ({@code op}), and deliveries a room sends to an
 * edge ({@code kind}). Room failures travel as {@link ReplyException}s whose message is an {@link ErrorCode} name.
 *
 * <p>The two messages on the chat hot path, a relayed message ({@link Relay}, answered with its seq as a
 * {@code Long}) and deliveries ({@link Deliveries} of {@link Deliver}), are immutable records with their own codec
 * ({@link BusCodecs}): handed over by reference inside a node and written as length-prefixed UTF-8 between nodes,
 * instead of a {@code JsonObject} that the bus copies for every local consumer and Jackson encodes and parses between
 * nodes. The rare ones (join, admin, leave, close, drop) stay JSON.
 */
public final class Bus {
  public static final long REQUEST_TIMEOUT_MS = 5_000;

  // edge → room
  public static final String OP = "op";
  public static final String JOIN = "join";
  public static final String ADMIN = "admin";
  public static final String LEAVE = "leave";
  public static final String INFO = "info";

  // edge or room → this node's room host ({@link Addresses#ROOM_HOST})
  public static final String HOST_CREATE = "create";
  public static final String HOST_GONE = "gone";

  // room → edge
  public static final String KIND = "kind";
  public static final String CLOSE = "close";
  public static final String DROP = "drop";

  private Bus() {
  }

  public static JsonObject join(String node, String connId, String source, ClientFrame.Join j) {
    return new JsonObject().put(OP, JOIN).put("node", node).put("connId", connId).put("source", source)
        .put("profile", j.profile()).put("resume", j.resume()).put("lastSeq", j.lastSeq()).put("token", j.token());
  }

  /** A member's message for its room; the room answers with the message's seq (a {@code Long}). */
  public record Relay(String memberId, String connId, String id, String body, String to) {
    public static Relay of(String memberId, String connId, ClientFrame.Msg m) {
      return new Relay(memberId, connId, m.id(), m.body(), m.to());
    }
  }

  /**
   * One frame for one node: write {@code frame}, the UTF-8 bytes of a server text frame, to each listed member's
   * socket there; it travels in a {@link Deliveries}. The room encodes a frame once; the bytes cross the cluster as
   * they are and every edge of a node copies the same array into its socket buffers, so nobody may change it after
   * construction. {@code seq} is a relayed message's seq (0 for other frames): a socket is never written a seq it
   * already has.
   */
  public record Deliver(String roomId, List<String> to, byte[] frame, long seq) {
    public Deliver {
      to = List.copyOf(to); // shared by reference among a node's edges: must not change under them
    }

    /** A frame without a seq (0): every socket it is addressed to gets it. */
    public static Deliver of(String roomId, List<String> to, String frame) {
      return new Deliver(roomId, to, frame.getBytes(StandardCharsets.UTF_8), 0);
    }

    /** The frame as text (tests and diagnostics; the hot path never decodes it). */
    public String text() {
      return new String(frame, StandardCharsets.UTF_8);
    }
  }

  /**
   * The deliveries one event loop's rooms made for one node in one turn of the loop, in the order they were made:
   * one bus message instead of one per frame (the room package's {@code DeliveryBatch}).
   */
  public record Deliveries(List<Deliver> items) {
    public Deliveries {
      items = List.copyOf(items); // shared by reference among a node's edges, like each Deliver
    }
  }

  public static JsonObject admin(String memberId, String connId, String source, ClientFrame.Admin a) {
    return new JsonObject().put(OP, ADMIN).put("memberId", memberId).put("connId", connId).put("source", source)
        .put("pin", a.pin()).put("adminOp", a.op().name()).put("target", a.target()).put("seconds", a.seconds())
        .put("joinHash", a.joinHash());
  }

  public static JsonObject leave(String memberId, String connId, boolean intentional) {
    return new JsonObject().put(OP, LEAVE).put("memberId", memberId).put("connId", connId).put("intentional", intentional);
  }

  public static JsonObject info() {
    return new JsonObject().put(OP, INFO);
  }

  /** Write {@code frame} (optional) and then close each listed member's socket with {@code code}. */
  public static JsonObject close(String roomId, JsonArray to, int code, String frame) {
    return new JsonObject().put(KIND, CLOSE).put("roomId", roomId).put("to", to).put("code", code).put("frame", frame);
  }

  /** Quietly close one superseded connection of a member that resumed elsewhere. */
  public static JsonObject drop(String roomId, String memberId, String connId) {
    return new JsonObject().put(KIND, DROP).put("roomId", roomId).put("memberId", memberId).put("connId", connId);
  }

  /** The error a failed room request stands for. "No handler" means there is no such room (or it burned). */
  public static ErrorCode errorOf(Throwable t) {
    if (t instanceof ReplyException re) {
      if (re.failureType() == ReplyFailure.NO_HANDLERS) {
        return ErrorCode.ROOM_NOT_FOUND;
      }
      if (re.failureType() == ReplyFailure.RECIPIENT_FAILURE) {
        return ErrorCode.byName(re.getMessage());
      }
      return ErrorCode.NODE_SHUTTING_DOWN;
    }
    return ErrorCode.INTERNAL;
  }
}
