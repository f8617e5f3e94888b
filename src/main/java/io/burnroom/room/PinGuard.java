package io.burnroom.room;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;

/**
 * PIN brute-force rule: {@code maxFailures} wrong PINs within {@code window} from one source lock that source out of
 * admin for {@code lockout}. Sources are pseudonyms (salted hashes of addresses), never raw IPs. Pure: time is passed in.
 */
public final class PinGuard {
  public static final int MAX_FAILURES = 3;
  public static final long WINDOW_MS = 10 * 60_000;
  public static final long LOCKOUT_MS = 10 * 60_000;

  public enum Verdict { ALLOWED, LOCKED_OUT }

  private final Map<String, Deque<Long>> failures = new HashMap<>();
  private final Map<String, Long> lockedUntil = new HashMap<>();

  public Verdict check(String source, long now) {
    Long until = lockedUntil.get(source);
    if (until != null && now < until) {
      return Verdict.LOCKED_OUT;
    }
    return Verdict.ALLOWED;
  }

  /** Records a wrong PIN; answers LOCKED_OUT when this failure starts a lockout. */
  public Verdict recordFailure(String source, long now) {
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
    return new JsonObject().put("failures", f).put("lockedUntil", l);
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
    return g;
  }
}
