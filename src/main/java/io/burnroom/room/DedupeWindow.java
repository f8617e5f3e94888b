package io.burnroom.room;

import io.vertx.core.json.JsonObject;

/**
 * Remembers the seq given to a member's recent client ids, so a resend after reconnect is acknowledged with the
 * original seq instead of being relayed twice. Bounded: the oldest ids fall out first.
 *
 * <p>Kept in flat arrays rather than a map of objects: every relayed message adds an id that lives for the next
 * {@link #DEFAULT_SIZE} messages of its sender, far longer than a young-generation cycle, so a map entry, a boxed
 * seq and the id string per message were copied from survivor space to survivor space at every collection and
 * then died in the old generation (decision 20). Ids of up to
 * {@value #PACKED_CHARS} ASCII characters (what the web client makes) are packed exactly into two longs; any other
 * id keeps its string. The arrays are created on the first message and grow with use: an idle member costs nothing.
 */
public final class DedupeWindow {
  public static final int DEFAULT_SIZE = 1024;
  /** Characters of 7 bits that fit two longs (9 in each, 63 bits): the exact packed form of short ASCII ids. */
  static final int PACKED_CHARS = 18;
  private static final int FIRST_CAPACITY = 16;
  /** Marks an id that does not pack: {@code hi} of a packed id never has its sign bit set. */
  private static final long UNPACKED = -1L;

  private final int size;
  /** Ring of remembered ids, oldest at {@code first}: the packed id (or a hash and {@link #UNPACKED}) and its seq. */
  private long[] lo;
  private long[] hi;
  private long[] seqs;
  /** The id itself where it does not pack; created with the first such id. */
  private String[] strings;
  /** Hash chains over the ring: {@code buckets[h]} and {@code next[slot]} hold 1 + slot, 0 ends a chain. */
  private int[] buckets;
  private int[] next;
  private int first;
  private int count;

  public DedupeWindow(int size) {
    this.size = size;
  }

  /** The seq already given to {@code clientId}, or -1 when it is new. */
  public long seqOf(String clientId) {
    if (count == 0) {
      return -1;
    }
    boolean packed = packs(clientId);
    int slot = find(clientId, lo(clientId, packed), hi(clientId, packed));
    return slot < 0 ? -1 : seqs[slot];
  }

  public void remember(String clientId, long seq) {
    if (size <= 0) {
      return;
    }
    boolean packed = packs(clientId);
    long l = lo(clientId, packed);
    long h = hi(clientId, packed);
    if (count > 0) {
      int known = find(clientId, l, h);
      if (known >= 0) {
        seqs[known] = seq;
        return;
      }
    }
    if (lo == null || (count == lo.length && lo.length < size)) {
      grow();
    }
    if (count == size) {
      evictOldest();
    }
    int slot = (first + count) % lo.length;
    lo[slot] = l;
    hi[slot] = h;
    seqs[slot] = seq;
    if (h == UNPACKED) {
      if (strings == null) {
        strings = new String[lo.length];
      }
      strings[slot] = clientId;
    } else if (strings != null) {
      strings[slot] = null;
    }
    link(slot);
    count++;
  }

  public int size() {
    return count;
  }

  public JsonObject toJson() {
    return toJson(Integer.MAX_VALUE);
  }

  /** The newest {@code limit} ids: a client only ever resends what was not yet acknowledged, a short tail. */
  public JsonObject toJson(int limit) {
    JsonObject j = new JsonObject();
    for (int i = Math.max(0, count - limit); i < count; i++) {
      int slot = (first + i) % lo.length;
      j.put(idAt(slot), seqs[slot]);
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

  // ---- the ring and its hash chains ----

  private int find(String clientId, long l, long h) {
    int slot = buckets[bucket(l, h)] - 1;
    while (slot >= 0) {
      if (lo[slot] == l && hi[slot] == h && (h != UNPACKED || clientId.equals(strings[slot]))) {
        return slot;
      }
      slot = next[slot] - 1;
    }
    return -1;
  }

  /** Puts {@code slot} at the head of its chain: chains run newest to oldest. */
  private void link(int slot) {
    int b = bucket(lo[slot], hi[slot]);
    next[slot] = buckets[b];
    buckets[b] = slot + 1;
  }

  /** Drops the oldest id. Being the oldest, it is the last of its chain. */
  private void evictOldest() {
    int slot = first;
    int b = bucket(lo[slot], hi[slot]);
    if (buckets[b] == slot + 1) {
      buckets[b] = 0;
    } else {
      int at = buckets[b] - 1;
      while (next[at] != slot + 1) {
        at = next[at] - 1;
      }
      next[at] = 0;
    }
    if (strings != null) {
      strings[slot] = null;
    }
    first = (first + 1) % lo.length;
    count--;
  }

  /** Doubles the ring (up to {@code size}), keeping the order, and rebuilds the chains. */
  private void grow() {
    int capacity = lo == null ? Math.min(size, FIRST_CAPACITY) : Math.min(size, lo.length * 2);
    long[] l = new long[capacity];
    long[] h = new long[capacity];
    long[] s = new long[capacity];
    String[] str = strings == null ? null : new String[capacity];
    for (int i = 0; i < count; i++) {
      int from = (first + i) % lo.length;
      l[i] = lo[from];
      h[i] = hi[from];
      s[i] = seqs[from];
      if (str != null) {
        str[i] = strings[from];
      }
    }
    lo = l;
    hi = h;
    seqs = s;
    strings = str;
    first = 0;
    buckets = new int[Integer.highestOneBit(Math.max(1, capacity - 1)) << 2];
    next = new int[capacity];
    for (int i = 0; i < count; i++) {
      link(i);
    }
  }

  private int bucket(long l, long h) {
    long x = (l ^ (h * 0x9E3779B97F4A7C15L)) * 0xBF58476D1CE4E5B9L;
    return (int) (x >>> 40) & (buckets.length - 1);
  }

  // ---- the packed form: up to 18 characters in 1..127, 7 bits each, zero-padded ----

  private static boolean packs(String id) {
    if (id.length() > PACKED_CHARS) {
      return false;
    }
    for (int i = 0; i < id.length(); i++) {
      char c = id.charAt(i);
      if (c == 0 || c > 127) {
        return false;
      }
    }
    return true;
  }

  private static long lo(String id, boolean packed) {
    return packed ? pack(id, 0) : id.hashCode();
  }

  private static long hi(String id, boolean packed) {
    return packed ? pack(id, 9) : UNPACKED;
  }

  private static long pack(String id, int from) {
    long v = 0;
    for (int i = from; i < Math.min(id.length(), from + 9); i++) {
      v |= (long) id.charAt(i) << (7 * (i - from));
    }
    return v;
  }

  private String idAt(int slot) {
    if (hi[slot] == UNPACKED) {
      return strings[slot];
    }
    StringBuilder b = new StringBuilder(PACKED_CHARS);
    for (long half : new long[] {lo[slot], hi[slot]}) {
      for (int i = 0; i < 9; i++) {
        char c = (char) ((half >>> (7 * i)) & 0x7f);
        if (c == 0) {
          return b.toString();
        }
        b.append(c);
      }
    }
    return b.toString();
  }
}
