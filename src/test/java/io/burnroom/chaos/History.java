package io.burnroom.chaos;

import java.util.ArrayList;
import java.util.List;

/**
 * Everything the chaos clients and the fault driver saw, in the order it happened, with wall-clock times (the same
 * clock the nodes use for {@code expiresAt}, since everything runs on one machine). Thread-safe; read by the
 * {@link Checker} after the run. Held in memory only.
 */
public final class History {
  /** What happened. Fields that do not apply to a kind are null (or -1). */
  public enum Kind {
    /** A room was created: {@code value} = expiresAt. */
    CREATE,
    /** A member was seated ({@code joined}); {@code value} = expiresAt in that frame, {@code seq} = 1 on a resume. */
    JOIN,
    /** A member sent a message for the first time ({@code id}); resends are not recorded. */
    SEND,
    /** The sender got {@code ack {id, seq}}. */
    ACK,
    /** A member received {@code msg {from, seq, id}}; {@code peer} = from's member name. */
    DELIVER,
    /** A member saw the room's expiry in a tick, joined or extended frame: {@code value} = expiresAt. */
    EXPIRY,
    /** The creator sent extend; {@code value} = the seconds asked for. */
    EXTEND,
    /** The creator got {@code admin_ok} for extend. */
    EXTEND_OK,
    /** A member got {@code burned}; {@code id} = {@link #EDGE} when its own node sent it (the room did not). */
    BURNED,
    /** A member's socket closed; {@code value} = close code (-1 when the connection just died). */
    CLOSE,
    /** The checker's view of what a 4004 means: the room answered "no such room" to this member. */
    GONE,
    /** A fault began: {@code id} = description. */
    FAULT_START,
    /** A fault ended (node back and ready, link healed): {@code id} = description. */
    FAULT_END,
    /**
     * Nodes that answered {@code /health/ready} with 200 (they see their quorum and serve): {@code value} = how many,
     * {@code seq} = which (bit i for node i + 1). Sampled once a second.
     */
    READY,
    /** Rooms live on all nodes that answered: {@code value} = sum of burnroom_rooms_active, {@code seq} = how many rooms may be alive. */
    SAMPLE,
    /** After the run: {@code member} = node, {@code id} = gauge, {@code value} = its value. */
    END_STATE,
    /**
     * A node's heap in bytes right after a full collection: {@code member} = node, {@code id} = {@link #BASELINE}
     * (before the first room) or {@link #AFTER} (after the end state).
     */
    HEAP
  }

  public static final String BASELINE = "baseline";
  public static final String AFTER = "after";

  /** {@code id} of a {@link Kind#BURNED} its member's node sent on its own clock (decision 56). */
  public static final String EDGE = "edge";

  /** One entry: {@code room} and {@code member} are the harness's own names, never server ids. */
  public record Event(long at, Kind kind, String room, String member, String peer, String id, long seq, long value) {
  }

  private final List<Event> events = new ArrayList<>();

  public synchronized void add(Kind kind, String room, String member, String peer, String id, long seq, long value) {
    events.add(new Event(System.currentTimeMillis(), kind, room, member, peer, id, seq, value));
  }

  public void add(Event e) {
    synchronized (this) {
      events.add(e);
    }
  }

  public void fault(Kind kind, String what) {
    add(kind, null, null, null, what, -1, -1);
  }

  public synchronized List<Event> events() {
    return List.copyOf(events);
  }

  public synchronized int size() {
    return events.size();
  }

  private static final java.util.regex.Pattern LINE = java.util.regex.Pattern.compile(
      "Event\\[at=(-?\\d+), kind=(\\w+), room=(.*?), member=(.*?), peer=(.*?), id=(.*?), seq=(-?\\d+), value=(-?\\d+)]");

  /** Reads back a history written one {@link Event#toString()} a line ({@code --history}), for {@code --check}. */
  public static List<Event> parse(List<String> lines) {
    List<Event> out = new ArrayList<>();
    for (String line : lines) {
      java.util.regex.Matcher m = LINE.matcher(line);
      if (m.matches()) {
        out.add(new Event(Long.parseLong(m.group(1)), Kind.valueOf(m.group(2)), nul(m.group(3)), nul(m.group(4)),
            nul(m.group(5)), nul(m.group(6)), Long.parseLong(m.group(7)), Long.parseLong(m.group(8))));
      }
    }
    return out;
  }

  private static String nul(String s) {
    return "null".equals(s) ? null : s;
  }
}
