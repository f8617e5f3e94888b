package io.burnroom.chaos;

import io.burnroom.chaos.History.Event;
import io.burnroom.chaos.History.Kind;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * Reads a chaos run's {@link History} afterwards and states, room by room, whether Burnroom kept its promises. The
 * rules (docs/reliability.md has the reasons):
 * <ol>
 *   <li><b>exactly-once</b>: a message the sender saw acknowledged reaches every other member seated before it was
 *   sent exactly once, unless the room burned within {@code detect + 2 s} of the acknowledgement and that member was
 *   not connected to hear it (it learned of the burn by a 4004, or from its own node because the room could not reach
 *   it, decision 56). During a split (a partition or a pause past
 *   detection, until the halves have merged) both halves serve the room: a message acknowledged then may be lost
 *   (the losing copy's history is not carried over, decision 12), and one sent then may reach a member twice (once
 *   per copy); both are counted, not failed. Never: a message nobody sent, or from another sender.</li>
 *   <li><b>acknowledged</b>: every message sent more than {@code detect + 2 s} before the room's expiry is acknowledged
 *   (the client resends until it is); time in which no node was ready (no side had a quorum, {@link Serving}) does not
 *   count toward those seconds.</li>
 *   <li><b>order</b>: each member receives each sender's messages in the order they were sent, with rising seq.</li>
 *   <li><b>expiry</b>: every expiresAt a member sees is the creation's, or, after the creator sent extend, the
 *   extended one; nothing else ever moves it.</li>
 *   <li><b>burn</b>: every member learns of the burn no earlier than expiresAt − 20 ms and at most 100 ms after it
 *   when no fault is active then, at most {@code detect + 1 s} after it when one is; no member is ever told that its
 *   room does not exist (4004) before the room's last expiresAt − 20 ms (the client takes that as the end of the
 *   room; the harness resumes, so the rule must say it).</li>
 *   <li><b>one copy</b>: outside a partition or a pause (and the merge after it) the nodes together never run more
 *   room verticles than there can be live rooms.</li>
 *   <li><b>nothing left</b>: after the run every node reports no room, member or map entry, and its heap, after a
 *   full collection, holds no object of a class it keeps one of per room, seat or socket
 *   ({@link ChaosCluster#PER_ROOM_CLASSES}).</li>
 *   <li><b>a side serves</b>: no stretch without a ready node while fewer than two nodes are under a fault.</li>
 *   <li><b>heap</b>: each node's heap right after a full collection after the run is within 5 % of its baseline, taken
 *   the same way after the warm-up lap (a restarted node against the baseline of the node it replaced; decision 69).</li>
 * </ol>
 */
public final class Checker {
  /** Grace after a fault ends during which it still counts as active (a restarted node joining moves partitions). */
  private final long settleMs;
  private final long detectMs;
  /** How long after a partition heals its halves may still both serve (the merge). */
  private final long mergeMs;
  /**
   * The nodes run with a quorum ({@code BURNROOM_CLUSTER_SIZE}, decision 48): only the side of a split that sees a
   * majority serves, so a split excuses nothing in exactly-once and order (one copy still: the losing side's room
   * verticles live on, silent, until the merge).
   */
  private final boolean quorum;

  public Checker(long detectMs, long settleMs, long mergeMs) {
    this(detectMs, settleMs, mergeMs, false);
  }

  public Checker(long detectMs, long settleMs, long mergeMs, boolean quorum) {
    this.detectMs = detectMs;
    this.settleMs = settleMs;
    this.mergeMs = mergeMs;
    this.quorum = quorum;
  }

  /** One broken rule, with enough detail to find it in the history. */
  public record Violation(String rule, String room, String detail) {
    @Override
    public String toString() {
      return rule + (room == null ? "" : " " + room) + ": " + detail;
    }
  }

  /** The verdict: every violation, and per-room and per-rule counts. */
  public record Verdict(List<Violation> violations, Map<String, String> rooms, Map<String, Integer> checked,
                        List<Long> calmLateness, List<Long> faultLateness) {
    public boolean passed() {
      return violations.isEmpty();
    }

    public String report() {
      StringBuilder b = new StringBuilder();
      rooms.forEach((room, line) -> b.append("  ").append(room).append(": ").append(line).append('\n'));
      b.append("rules checked: ").append(checked).append('\n');
      b.append("burn lateness, no fault active (ms): ").append(stats(calmLateness)).append('\n');
      b.append("burn lateness, fault active (ms): ").append(stats(faultLateness)).append('\n');
      Map<String, Long> byRule = violations.stream().collect(Collectors.groupingBy(Violation::rule,
          TreeMap::new, Collectors.counting()));
      b.append("violations: ").append(violations.size()).append(' ').append(byRule).append('\n');
      if (!violations.isEmpty()) {
        // Every rule and room that failed, then at most 5 of each such pair: one room's long outage no longer hides
        // the others behind a fixed count.
        Map<String, List<Violation>> byPair = violations.stream().collect(Collectors.groupingBy(
            v -> v.rule() + (v.room() == null ? "" : " " + v.room()), TreeMap::new, Collectors.toList()));
        b.append("by rule and room: ");
        byPair.forEach((k, vs) -> b.append(k).append('=').append(vs.size()).append("; "));
        b.append('\n');
        byPair.values().forEach(vs -> vs.stream().limit(5).forEach(v -> b.append("  ").append(v).append('\n')));
      }
      b.append("VERDICT: ").append(passed() ? "PASS" : "FAIL").append('\n');
      return b.toString();
    }

    private static String stats(List<Long> xs) {
      if (xs.isEmpty()) {
        return "none";
      }
      List<Long> s = xs.stream().sorted().toList();
      return String.format("n=%d min=%d p50=%d max=%d", s.size(), s.get(0), s.get(s.size() / 2), s.get(s.size() - 1));
    }
  }

  private record Window(long from, long to, String what) {
    boolean covers(long t) {
      return t >= from && t <= to;
    }
  }

  private long t0;
  private Serving serving;

  private String t(long at) {
    return String.format("%.1fs", (at - t0) / 1000.0);
  }

  public Verdict check(List<Event> events) {
    t0 = events.isEmpty() ? 0 : events.get(0).at();
    List<Violation> out = new ArrayList<>();
    Map<String, Integer> checked = new TreeMap<>();
    List<Window> faults = new ArrayList<>();
    List<Window> partitions = new ArrayList<>();
    List<Window> splits = new ArrayList<>();
    Map<String, Long> open = new HashMap<>();
    for (Event e : events) {
      if (e.kind() == Kind.FAULT_START) {
        open.put(e.id(), e.at());
      } else if (e.kind() == Kind.FAULT_END) {
        Long from = open.remove(e.id());
        if (from != null) {
          faults.add(new Window(from, e.at() + settleMs, e.id()));
          if (e.id().startsWith("PARTITION")) {
            partitions.add(new Window(from, e.at() + mergeMs, e.id()));
          }
          if (e.id().startsWith("PARTITION") || e.id().startsWith("PAUSE")) {
            // A node paused past failure detection comes back as a half of a split cluster, like a partition.
            splits.add(new Window(from, e.at() + mergeMs, e.id()));
          }
        }
      }
    }
    open.forEach((what, from) -> faults.add(new Window(from, Long.MAX_VALUE, what)));
    serving = new Serving(events);
    Map<String, long[]> nodeFaults = new HashMap<>();
    faults.forEach(w -> nodeFaults.put(w.what(), new long[] {w.from(), w.to()}));
    splits.forEach(w -> nodeFaults.put(w.what(), new long[] {w.from(), w.to()})); // a split lasts until the merge

    Map<String, List<Event>> byRoom = new LinkedHashMap<>();
    for (Event e : events) {
      if (e.room() != null) {
        byRoom.computeIfAbsent(e.room(), k -> new ArrayList<>()).add(e);
      }
    }
    List<Long> calm = new ArrayList<>();
    List<Long> faulty = new ArrayList<>();
    Map<String, String> summary = new LinkedHashMap<>();
    for (Map.Entry<String, List<Event>> r : byRoom.entrySet()) {
      // With a quorum no split excuses a lost, doubled or reordered message.
      summary.put(r.getKey(), checkRoom(r.getKey(), r.getValue(), faults, quorum ? List.of() : splits, out, checked,
          calm, faulty));
    }

    for (Event e : events) {
      if (e.kind() == Kind.SAMPLE) {
        bump(checked, "one copy");
        boolean split = splits.stream().anyMatch(w -> w.covers(e.at()));
        if (!split && e.value() > e.seq()) {
          out.add(new Violation("one copy", null, String.format("at t=%s: %d room verticles for at most %d live rooms",
              t(e.at()), e.value(), e.seq())));
        }
      } else if (e.kind() == Kind.END_STATE) {
        bump(checked, "nothing left");
        if (e.value() != 0) {
          out.add(new Violation("nothing left", null, e.member() + " " + e.id() + " = " + e.value()));
        }
      }
    }
    bump(checked, "a side serves");
    serving.unexplained(nodeFaults, this::t).forEach(d -> out.add(new Violation("a side serves", null, d)));
    summary.put("serving", serving.summary(this::t));
    String heap = checkHeap(events, checked, out);
    if (!heap.isEmpty()) {
      summary.put("heap", heap);
    }
    return new Verdict(out, summary, checked, calm, faulty);
  }

  private String checkRoom(String room, List<Event> es, List<Window> faults, List<Window> partitions,
                           List<Violation> out, Map<String, Integer> checked, List<Long> calm, List<Long> faulty) {
    long created = es.stream().filter(e -> e.kind() == Kind.CREATE).mapToLong(Event::value).findFirst().orElse(-1);
    Map<String, Long> firstJoin = new HashMap<>();
    Map<String, Long> sendAt = new HashMap<>();
    Map<String, Long> ackAt = new HashMap<>();
    Map<String, String> senderOf = new HashMap<>();
    Map<String, Map<String, Integer>> got = new HashMap<>();
    Map<String, Long> burnedAt = new HashMap<>();
    Set<String> burnedByEdge = new java.util.HashSet<>();
    Map<String, Long> goneAt = new HashMap<>();
    Map<String, Long> firstGone = new HashMap<>();
    Set<Long> expiries = new TreeSet<>();
    long firstExtend = Long.MAX_VALUE;
    int extends_ = 0;
    Map<String, Map<String, Integer>> lastIndex = new HashMap<>();
    Map<String, Long> lastSeq = new HashMap<>();
    for (Event e : es) {
      switch (e.kind()) {
        case JOIN -> {
          firstJoin.putIfAbsent(e.member(), e.at());
          if ("reseated".equals(e.id())) {
            out.add(new Violation("exactly-once", room, e.member() + " lost its seat on resume at " + e.at()));
          }
        }
        case SEND -> {
          sendAt.put(e.id(), e.at());
          senderOf.put(e.id(), e.member());
        }
        case ACK -> ackAt.putIfAbsent(e.id(), e.at());
        case DELIVER -> {
          got.computeIfAbsent(e.member(), k -> new HashMap<>()).merge(e.id(), 1, Integer::sum);
          bump(checked, "order");
          if (!senderOf.containsKey(e.id())) {
            out.add(new Violation("exactly-once", room, e.member() + " got " + e.id() + " that nobody sent"));
            continue;
          }
          if (!senderOf.get(e.id()).equals(e.peer())) {
            out.add(new Violation("exactly-once", room, e.member() + " got " + e.id() + " from " + e.peer()));
          }
          int idx = index(e.id());
          Map<String, Integer> last = lastIndex.computeIfAbsent(e.member(), k -> new HashMap<>());
          Integer prev = last.put(senderOf.get(e.id()), idx);
          boolean split = partitions.stream().anyMatch(w -> w.covers(e.at()));
          if (prev != null && prev >= idx && !split) {
            out.add(new Violation("order", room, String.format("%s got %s after #%d of that sender (t=%s)", e.member(),
                e.id(), prev, t(e.at()))));
          }
          Long ps = lastSeq.put(e.member(), e.seq());
          if (ps != null && ps >= e.seq() && !split) {
            out.add(new Violation("order", room, String.format("%s got seq %d after seq %d (t=%s)", e.member(), e.seq(),
                ps, t(e.at()))));
          }
        }
        case EXPIRY -> {
          bump(checked, "expiry");
          expiries.add(e.value());
        }
        case EXTEND -> {
          firstExtend = Math.min(firstExtend, e.at());
          extends_++;
        }
        case BURNED -> {
          if (burnedAt.putIfAbsent(e.member(), e.at()) == null && History.EDGE.equals(e.id())) {
            burnedByEdge.add(e.member());
          }
        }
        case GONE -> {
          if (e.at() >= e.value()) {
            goneAt.putIfAbsent(e.member(), e.at());
          }
          firstGone.putIfAbsent(e.member(), e.at());
        }
        default -> { }
      }
    }
    // expiry: the creation's value, and at most one more per extend, never earlier than the creation's.
    long finalExpiry = expiries.isEmpty() ? created : ((TreeSet<Long>) expiries).last();
    Set<Long> moved = new TreeSet<>(expiries);
    moved.remove(created);
    if (moved.size() > extends_ || moved.stream().anyMatch(x -> x < created)) {
      out.add(new Violation("expiry", room, "created with " + created + ", seen " + expiries + " after " + extends_
          + " extend(s)"));
    }
    long extendedAt = firstExtend;
    if (es.stream().anyMatch(e -> e.kind() == Kind.EXPIRY && e.at() < extendedAt && e.value() != created)) {
      out.add(new Violation("expiry", room, "moved before any extend"));
    }

    // burn: everyone learns of it, on time.
    boolean faultAtExpiry = faults.stream().anyMatch(w -> w.covers(finalExpiry));
    long limit = faultAtExpiry ? detectMs + 1000 : 100;
    long worst = Long.MIN_VALUE;
    for (String m : firstJoin.keySet()) {
      bump(checked, "burn");
      Long at = burnedAt.containsKey(m) ? burnedAt.get(m) : goneAt.get(m);
      if (at == null) {
        out.add(new Violation("burn", room, m + " never learned that the room burned"));
        continue;
      }
      long late = at - finalExpiry;
      worst = Math.max(worst, late);
      (faultAtExpiry ? faulty : calm).add(late);
      if (late < -20 || late > limit) {
        out.add(new Violation("burn", room, String.format("%s learned of the burn %+d ms from expiresAt (%s%s; limit %d ms)",
            m, late, burnedAt.containsKey(m) ? "burned" : "4004", faultAtExpiry ? ", fault active" : "", limit)));
      }
    }
    firstGone.forEach((m, at) -> {
      if (at < finalExpiry - 20) {
        out.add(new Violation("burn", room, String.format("%s was told 4004 (no such room) %d ms before expiresAt",
            m, finalExpiry - at)));
      }
    });

    // exactly-once and acknowledged
    long burnTime = finalExpiry;
    int acked = 0;
    for (Map.Entry<String, Long> s : sendAt.entrySet()) {
      String id = s.getKey();
      String sender = senderOf.get(id);
      Long ack = ackAt.get(id);
      bump(checked, "acknowledged");
      if (ack == null) {
        if (s.getValue() < burnTime - detectMs - 2000 - serving.noneReadyMs(s.getValue(), burnTime)) {
          out.add(new Violation("acknowledged", room, id + " sent at t=" + t(s.getValue()) + " never acknowledged"));
        }
      } else {
        acked++;
      }
      boolean inSplit = ack != null && partitions.stream().anyMatch(w -> w.covers(ack));
      for (String r : firstJoin.keySet()) {
        if (r.equals(sender)) {
          continue;
        }
        int n = got.getOrDefault(r, Map.of()).getOrDefault(id, 0);
        if (n > 1) {
          long sent = s.getValue();
          if (partitions.stream().anyMatch(w -> w.covers(sent))) {
            // Each half's copy of the room relayed it, under its own seq: the member heard both.
            bump(checked, "doubled in a split (allowed)");
          } else {
            out.add(new Violation("exactly-once", room, r + " got " + id + " " + n + " times"));
          }
        }
        if (ack == null || firstJoin.get(r) > s.getValue()) {
          continue;
        }
        bump(checked, "exactly-once");
        // A member burned by its own node (the room could not reach it, decision 56) heard no more from the room than
        // one that learned of the burn by a 4004.
        boolean heardBurn = burnedAt.containsKey(r) && !burnedByEdge.contains(r);
        boolean excused = inSplit || (!heardBurn && ack >= burnTime - detectMs - 2000);
        if (n == 0 && inSplit) {
          bump(checked, "lost in a split (allowed)");
        }
        if (n == 0 && !excused) {
          out.add(new Violation("exactly-once", room, String.format("%s never got %s (acked at t=%s, %d ms before expiry)",
              r, id, t(ack), burnTime - ack)));
        }
      }
    }
    return String.format("%d members, %d sent, %d acked, expiry %s%s, worst burn lateness %s ms", firstJoin.size(),
        sendAt.size(), acked, finalExpiry == created ? "unchanged" : "extended", faultAtExpiry ? " (fault active)" : "",
        worst == Long.MIN_VALUE ? "-" : String.valueOf(worst));
  }

  /** The bound for each node's heap after the run, against its baseline. */
  static final double HEAP_TOLERANCE = 0.05;

  private static String checkHeap(List<Event> events, Map<String, Integer> checked, List<Violation> out) {
    Map<String, Long> baseline = new TreeMap<>();
    Map<String, Long> after = new TreeMap<>();
    for (Event e : events) {
      if (e.kind() == Kind.HEAP) {
        (History.BASELINE.equals(e.id()) ? baseline : after).put(e.member(), e.value());
      }
    }
    List<String> line = new ArrayList<>();
    baseline.forEach((node, base) -> {
      bump(checked, "heap");
      Long end = after.get(node);
      if (end == null) {
        line.add(node + " no figure after the run");
        out.add(new Violation("heap", null, node + " did not answer after the run"));
        return;
      }
      double grew = (end - base) / (double) base;
      String figure = String.format("%s %.1f → %.1f MiB (%+.1f %%)", node, base / 1048576.0, end / 1048576.0,
          grew * 100);
      line.add(figure);
      if (grew > HEAP_TOLERANCE) {
        out.add(new Violation("heap", null, figure + ", more than 5 % above its baseline"));
      }
    });
    return line.isEmpty() ? "" : String.join(", ", line) + " (after a full collection)";
  }

  private static int index(String id) {
    return Integer.parseInt(id.substring(id.lastIndexOf('-') + 1));
  }

  private static void bump(Map<String, Integer> checked, String rule) {
    checked.merge(rule, 1, Integer::sum);
  }
}
