package io.burnroom.room;

import io.vertx.core.json.JsonObject;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Remembers the seq given to a member's recent client ids, so a resend after reconnect is acknowledged with the
 * original seq instead of being relayed twice. Bounded: the oldest ids fall out first.
 */
public final class DedupeWindow {
  public static final int DEFAULT_SIZE = 1024;

  private final int size;
  /** Created on the first message: most members of a room only read, and each idle socket should cost little. */
  private LinkedHashMap<String, Long> seen;

  public DedupeWindow(int size) {
    this.size = size;
  }

  /** The seq already given to {@code clientId}, or -1 when it is new. */
  public long seqOf(String clientId) {
    Long s = seen == null ? null : seen.get(clientId);
    return s == null ? -1 : s;
  }

  public void remember(String clientId, long seq) {
    if (seen == null) {
      seen = new LinkedHashMap<>(16, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Long> eldest) {
          return size() > DedupeWindow.this.size;
        }
      };
    }
    seen.put(clientId, seq);
  }

  public int size() {
    return seen == null ? 0 : seen.size();
  }

  public JsonObject toJson() {
    return toJson(Integer.MAX_VALUE);
  }

  /** The newest {@code limit} ids: a client only ever resends what was not yet acknowledged, a short tail. */
  public JsonObject toJson(int limit) {
    JsonObject j = new JsonObject();
    if (seen == null) {
      return j;
    }
    int skip = Math.max(0, seen.size() - limit);
    for (Map.Entry<String, Long> e : seen.entrySet()) {
      if (skip-- > 0) {
        continue;
      }
      j.put(e.getKey(), e.getValue());
    }
    return j;
  }

  public static DedupeWindow fromJson(JsonObject json, int size) {
    DedupeWindow w = new DedupeWindow(size);
    for (String k : json.fieldNames()) {
      w.remember(k, json.getLong(k));
    }
    return w;
  }
}
