package io.burnroom.chaos;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** What grew between two class histograms of one node: the classes whose bytes grew most, for the heap report. */
final class HeapGrowth {
  private HeapGrowth() {}

  /** The {@code n} classes whose live bytes grew most from {@code before} to {@code after}: "+KiB class (+objects)". */
  static String top(Map<String, long[]> before, Map<String, long[]> after, int n) {
    Set<String> names = new HashSet<>(before.keySet());
    names.addAll(after.keySet());
    List<long[]> rows = new ArrayList<>();
    List<String> order = new ArrayList<>(names);
    long total = 0;
    for (int i = 0; i < order.size(); i++) {
      String name = order.get(i);
      long[] b = before.getOrDefault(name, new long[2]);
      long[] a = after.getOrDefault(name, new long[2]);
      total += a[1] - b[1];
      rows.add(new long[] {a[1] - b[1], a[0] - b[0], i});
    }
    rows.sort((x, y) -> Long.compare(y[0], x[0]));
    StringBuilder out = new StringBuilder(String.format("%+.1f KiB in all;", total / 1024.0));
    for (long[] r : rows.subList(0, Math.min(n, rows.size()))) {
      out.append(String.format(" %+.1f KiB %s (%+d)", r[0] / 1024.0, order.get((int) r[2]), r[1]));
    }
    return out.toString();
  }
}
