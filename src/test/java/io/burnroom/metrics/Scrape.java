package io.burnroom.metrics;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A parsed Prometheus text scrape: enough to sum a metric over the series whose labels match. */
final class Scrape {
  record Sample(String name, Map<String, String> labels, double value) {
  }

  private static final Pattern LINE = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{(.*)})?\\s+(\\S+)(\\s+\\S+)?$");
  private static final Pattern LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\]|\\\\.)*)\"");

  private final String text;
  private final List<Sample> samples = new ArrayList<>();

  Scrape(String text) {
    this.text = text;
    for (String line : text.split("\n")) {
      if (line.isBlank() || line.startsWith("#")) {
        continue;
      }
      Matcher m = LINE.matcher(line.trim());
      if (!m.matches()) {
        throw new AssertionError("not a Prometheus sample line: " + line);
      }
      Map<String, String> labels = new LinkedHashMap<>();
      if (m.group(3) != null) {
        Matcher l = LABEL.matcher(m.group(3));
        while (l.find()) {
          labels.put(l.group(1), l.group(2));
        }
      }
      samples.add(new Sample(m.group(1), labels, Double.parseDouble(m.group(4))));
    }
  }

  String text() {
    return text;
  }

  List<Sample> samples() {
    return samples;
  }

  boolean has(String name) {
    return samples.stream().anyMatch(s -> s.name().equals(name));
  }

  /** Sum over every series of {@code name} whose labels include all of {@code match}. */
  double sum(String name, Map<String, String> match) {
    return samples.stream()
        .filter(s -> s.name().equals(name) && s.labels().entrySet().containsAll(match.entrySet()))
        .mapToDouble(Sample::value).sum();
  }

  double sum(String name) {
    return sum(name, Map.of());
  }

  Optional<Double> value(String name, Map<String, String> labels) {
    return samples.stream().filter(s -> s.name().equals(name) && s.labels().equals(labels))
        .map(Sample::value).findFirst();
  }

  Set<String> labelValues(String label) {
    Set<String> out = new TreeSet<>();
    samples.forEach(s -> {
      if (s.labels().containsKey(label)) {
        out.add(s.labels().get(label));
      }
    });
    return out;
  }

  Set<String> names() {
    Set<String> out = new TreeSet<>();
    samples.forEach(s -> out.add(s.name()));
    return out;
  }
}
