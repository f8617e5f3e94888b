package io.burnroom.room;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;

/**
 * PIN brute-force rules. Per source: {@link #MAX_FAILURES} wrong PINs within {@link #WINDOW_MS} lock that source out
 * of admin for {@link #LOCKOUT_MS}. Per room: at most {@link #MAX_ROOM_FAILURES} wrong PINs within the window from all
 * sources together; past that every admin attempt is refused unchecked until the oldest failure ages out, so an
 * attacker with many addresses (on any number of nodes: the room has one owner) still gets only that many guesses per
 * window. Sources are pseudonyms (salted hashes of addresses), never raw IPs. Pure: time is passed in. The counts
 * travel in the room snapshot, so a failover does not reset them.
 */
public final class PinGuard {
  public static final int MAX_FAILURES = 3;
  public static final long WINDOW_MS = 10 * 60_000;
  public static final long LOCKOUT_MS = 10 * 60_000;
  /**
   * Wrong PINs per room per window, all sources together. A PIN has 31^8 (about 8.5e11) values, so even 144 windows
   * of a 24-hour room give an attacker odds of about 1 in 6e8.
   */
  public static final int MAX_ROOM_FAILURES = 10;

  /** LOCKED_OUT: this source is locked out; ROOM_LOCKED_OUT: the room's shared budget of wrong PINs is spent. */
  public enum Verdict { ALLOWED, LOCKED_OUT, ROOM_LOCKED_OUT }

  private final Map<String, Deque<Long>> failures = new HashMap<>();
  private final Map<String, Long> lockedUntil = new HashMap<>();
  /** The most recent wrong PINs in this room (at most {@link #MAX_ROOM_FAILURES}, within the window). */
  private final Deque<Long> roomFailures = new ArrayDeque<>();

  public Verdict check(String source, long now) {
    Long until = lockedUntil.get(source);
    if (until != null && now < until) {
      return Verdict.LOCKED_OUT;
    }
    return roomFailuresWithin(now) >= MAX_ROOM_FAILURES ? Verdict.ROOM_LOCKED_OUT : Verdict.ALLOWED;
  }

  /** Records a wrong PIN; answers LOCKED_OUT or ROOM_LOCKED_OUT when this failure starts a lockout. */
  public Verdict recordFailure(String source, long now) {
    roomFailuresWithin(now);
    roomFailures.addLast(now);
    while (roomFailures.size() > MAX_ROOM_FAILURES) {
      roomFailures.removeFirst();
    }
    Verdict sourceVerdict = recordSourceFailure(source, now);
    if (sourceVerdict != Verdict.ALLOWED) {
      return sourceVerdict;
    }
    return roomFailures.size() >= MAX_ROOM_FAILURES ? Verdict.ROOM_LOCKED_OUT : Verdict.ALLOWED;
  }

  private int roomFailuresWithin(long now) {
    while (!roomFailures.isEmpty() && roomFailures.peekFirst() <= now - WINDOW_MS) {
      roomFailures.removeFirst();
    }
    return roomFailures.size();
  }

  private Verdict recordSourceFailure(String source, long now) {
    Deque<Long> times = failures.computeIfAbsent(source, s -> new ArrayDeque<>());
    times.addLast(now);
    while (!times.isEmpty() && times.peekFirst() <= now - WINDOW_MS) {
      times.removeFirst();
    }
    if (times.size() >= MAX_FAILURES) {
      failures.remove(source);
      lockedUntil.put(source, now + LOCKOUT_MS);
      return Verdict.LOCKED_OUT;
    }
    return Verdict.ALLOWED;
  }

  /** Forgets entries that no longer matter, so the guard stays small. */
  public void prune(long now) {
    roomFailuresWithin(now);
    lockedUntil.values().removeIf(until -> until <= now);
    for (Iterator<Deque<Long>> it = failures.values().iterator(); it.hasNext(); ) {
      Deque<Long> times = it.next();
      times.removeIf(t -> t <= now - WINDOW_MS);
      if (times.isEmpty()) {
        it.remove();
      }
    }
  }

  public JsonObject toJson() {
    JsonObject f = new JsonObject();
    failures.forEach((k, v) -> f.put(k, new JsonArray(v.stream().map(Object.class::cast).toList())));
    JsonObject l = new JsonObject();
    lockedUntil.forEach(l::put);
    return new JsonObject().put("failures", f).put("lockedUntil", l)
        .put("room", new JsonArray(roomFailures.stream().map(Object.class::cast).toList()));
  }

  public static PinGuard fromJson(JsonObject json) {
    PinGuard g = new PinGuard();
    JsonObject f = json.getJsonObject("failures", new JsonObject());
    for (String k : f.fieldNames()) {
      Deque<Long> times = new ArrayDeque<>();
      f.getJsonArray(k).forEach(t -> times.add(((Number) t).longValue()));
      g.failures.put(k, times);
    }
    JsonObject l = json.getJsonObject("lockedUntil", new JsonObject());
    for (String k : l.fieldNames()) {
      g.lockedUntil.put(k, l.getLong(k));
    }
    json.getJsonArray("room", new JsonArray()).forEach(t -> g.roomFailures.add(((Number) t).longValue()));
    return g;
  }
}
