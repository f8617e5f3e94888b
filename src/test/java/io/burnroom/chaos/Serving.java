package io.burnroom.chaos;

import io.burnroom.chaos.History.Event;
import io.burnroom.chaos.History.Kind;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.LongFunction;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * When some node served, from the harness's readiness samples ({@link Kind#READY}, once a second): a node is ready
 * while it sees its cluster's quorum (decision 48), so a stretch in which no node is ready is one in which nothing can
 * be acknowledged anywhere, by design. One fault never causes one (the other two nodes keep each other); two that
 * overlap can, e.g. a partition that begins while a paused node has not merged back yet. The checker uses this twice:
 * rule 2 does not count such stretches against the time a room had to acknowledge a message, and rule 8 fails any
 * such stretch while at most one node is under a fault.
 */
final class Serving {
  private static final Pattern NODE = Pattern.compile("\\bnode(\\d+)\\b");

  /** Sample times and how many nodes were ready at each, in time order. */
  private final long[] at;
  private final long[] ready;

  Serving(List<Event> events) {
    List<Event> samples = events.stream().filter(e -> e.kind() == Kind.READY).toList();
    at = samples.stream().mapToLong(Event::at).toArray();
    ready = samples.stream().mapToLong(Event::value).toArray();
  }

  /** How long within [from, to] no node was ready (each sample stands until the next one). */
  long noneReadyMs(long from, long to) {
    long sum = 0;
    for (int i = 0; i + 1 < at.length; i++) {
      if (ready[i] == 0) {
        sum += Math.max(0, Math.min(to, at[i + 1]) - Math.max(from, at[i]));
      }
    }
    return sum;
  }

  /** Stretches of samples in which no node was ready: [first sample, next ready sample) each. */
  List<long[]> stretches() {
    List<long[]> out = new ArrayList<>();
    for (int i = 0; i < at.length; i++) {
      if (ready[i] != 0) {
        continue;
      }
      int j = i;
      while (j + 1 < at.length && ready[j + 1] == 0) {
        j++;
      }
      out.add(new long[] {at[i], j + 1 < at.length ? at[j + 1] : at[j]});
      i = j;
    }
    return out;
  }

  /**
   * The nodes under a fault at {@code t}: {@code windows} maps each fault (its description names its node, as in
   * "PAUSE node1 #3"; slow links name none) to the time it counts as active.
   */
  static Set<String> nodesUnderFault(long t, Map<String, long[]> windows) {
    Set<String> nodes = new TreeSet<>();
    windows.forEach((what, w) -> {
      Matcher m = NODE.matcher(what);
      if (t >= w[0] && t <= w[1] && m.find()) {
        nodes.add("node" + m.group(1));
      }
    });
    return nodes;
  }

  /** Rule 8's finding for each stretch with no node ready while fewer than two nodes were under a fault. */
  List<String> unexplained(Map<String, long[]> windows, LongFunction<String> time) {
    List<String> out = new ArrayList<>();
    for (long[] s : stretches()) {
      Set<String> faulted = new TreeSet<>(nodesUnderFault(s[0], windows));
      faulted.addAll(nodesUnderFault(s[1], windows));
      if (faulted.size() < 2) {
        out.add(String.format("no node ready from t=%s to t=%s with %s under a fault", time.apply(s[0]),
            time.apply(s[1]), faulted.isEmpty() ? "no node" : "only " + faulted.iterator().next()));
      }
    }
    return out;
  }

  /** A line for the report: how long no node served, and when. */
  String summary(LongFunction<String> time) {
    if (at.length == 0) {
      return "not sampled";
    }
    List<long[]> s = stretches();
    long total = s.stream().mapToLong(x -> x[1] - x[0]).sum();
    String when = s.stream().map(x -> time.apply(x[0]) + "-" + time.apply(x[1])).collect(Collectors.joining(", "));
    return String.format("no node ready for %.1f s in %d stretch%s%s", total / 1000.0, s.size(),
        s.size() == 1 ? "" : "es", s.isEmpty() ? "" : " (" + when + ")");
  }
}
