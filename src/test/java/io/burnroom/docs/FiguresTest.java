package io.burnroom.docs;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Measured figures live on docs/figures.md and in docs/journal/, nowhere else: the README, decisions and the other
 * docs link to the figures page, so a figure is updated in one place. Limits and defaults are settings, not figures,
 * and are not looked for.
 */
@DisplayName("Measured figures appear only on docs/figures.md and in the journal")
class FiguresTest {
  private static final Path FIGURES = Path.of("docs", "figures.md");
  /** Table columns of the figures page that hold measured values (not targets, bounds or test names). */
  private static final Set<String> VALUE_COLUMNS = Set.of("run 1 / run 2", "value", "violations");
  private static final Pattern NUMBER_GROUP =
      Pattern.compile("\\d[\\d,]*(?:\\.\\d+)?(?:\\s?[–/]\\s?\\d[\\d,]*(?:\\.\\d+)?)*");
  /** Two measured ratios as a range or a run pair, "0.95–1.14×" or "0.77× / 0.58×": only a measurement looks so. */
  private static final Pattern RATIO_PAIR = Pattern.compile("\\d\\.\\d+×?(?:–|\\s/\\s)\\d\\.\\d+\\s?×");

  /** Every page a reader meets before the figures page: all Markdown outside docs/journal/ and the figures page. */
  private static List<Path> otherDocs() throws IOException {
    List<Path> docs = new ArrayList<>(List.of(Path.of("README.md"), Path.of("CONTRIBUTING.md"),
        Path.of("bench", "README.md")));
    try (Stream<Path> files = Files.list(Path.of("docs"))) {
      files.filter(p -> p.toString().endsWith(".md") && !p.equals(FIGURES)).sorted().forEach(docs::add);
    }
    return docs;
  }

  /** The distinctive values of the figures page's tables: pairs, ranges and decimals, not lone whole numbers. */
  static Set<String> figureValues(String page) {
    Set<String> values = new LinkedHashSet<>();
    List<String> header = null;
    for (String line : page.split("\n")) {
      if (!line.startsWith("|")) {
        header = null;
        continue;
      }
      if (line.startsWith("|---")) {
        continue;
      }
      List<String> cells = cells(line);
      if (header == null) {
        header = cells;
        continue;
      }
      for (int i = 0; i < Math.min(header.size(), cells.size()); i++) {
        if (VALUE_COLUMNS.contains(header.get(i))) {
          Matcher m = NUMBER_GROUP.matcher(cells.get(i));
          while (m.find()) {
            if (distinctive(m.group().trim())) {
              values.add(m.group().trim());
            }
          }
        }
      }
    }
    return values;
  }

  private static List<String> cells(String row) {
    String inner = row.strip();
    inner = inner.substring(1, inner.endsWith("|") ? inner.length() - 1 : inner.length());
    List<String> cells = new ArrayList<>();
    for (String c : inner.split("\\|")) {
      cells.add(c.strip());
    }
    return cells;
  }

  /**
   * A pair or range with a two-digit part, or a decimal of three digits or more: a lone whole number (a count of rooms,
   * a status code) says too little to tell a copied figure from a setting.
   */
  private static boolean distinctive(String value) {
    if (value.matches(".*[–/].*")) {
      return value.matches(".*\\d\\d.*");
    }
    return value.contains(".") && value.replace(".", "").replace(",", "").length() >= 3;
  }

  /** Where {@code value} stands as a whole number in {@code text} (not inside a longer number or a version). */
  private static boolean mentions(String text, String value) {
    return Pattern.compile("(?<![\\d.,])" + Pattern.quote(value) + "(?![\\d,]|\\.\\d)").matcher(text).find();
  }

  @Test
  @DisplayName("the figures page has values to look for")
  void figuresPageHasValues() throws IOException {
    Set<String> values = figureValues(Files.readString(FIGURES));
    assertThat(values).as("values read from the tables of docs/figures.md").hasSizeGreaterThan(20)
        .contains("15.38 / 15.19");
  }

  @Test
  @DisplayName("no other doc repeats a value of the figures page or quotes a measured ratio pair")
  void noFigureOutsideItsPage() throws IOException {
    Set<String> values = figureValues(Files.readString(FIGURES));
    List<String> found = new ArrayList<>();
    for (Path doc : otherDocs()) {
      String text = Files.readString(doc);
      values.stream().filter(v -> mentions(text, v)).forEach(v -> found.add(doc + ": " + v));
      Matcher ratio = RATIO_PAIR.matcher(text);
      while (ratio.find()) {
        found.add(doc + ": " + ratio.group());
      }
    }
    assertThat(found).as("figures outside docs/figures.md and docs/journal/: link the figures page instead").isEmpty();
  }

  @Test
  @DisplayName("the check can fail: a figure copied into a page is found")
  void copiedFigureIsFound() throws IOException {
    Set<String> values = figureValues(Files.readString(FIGURES));
    String copied = "One node relays 0.95–1.14× the bare relay; heap per idle socket 15.38 / 15.19 KiB.";
    assertThat(values.stream().anyMatch(v -> mentions(copied, v))).isTrue();
    assertThat(RATIO_PAIR.matcher(copied).find()).isTrue();
    assertThat(mentions("version 115.38 / 15.190", "15.38 / 15.19")).isFalse();
  }

  @Test
  @DisplayName("every journal entry is listed in the journal's index, and every link of the index exists")
  void journalIndexIsComplete() throws IOException {
    Path journal = Path.of("docs", "journal");
    String index = Files.readString(journal.resolve("README.md"));
    try (Stream<Path> files = Files.list(journal)) {
      files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".md") && !n.equals("README.md"))
          .forEach(n -> assertThat(index).as("docs/journal/README.md lists %s", n).contains("(" + n + ")"));
    }
    Matcher link = Pattern.compile("\\]\\(([^)#]+\\.md)").matcher(index);
    while (link.find()) {
      assertThat(journal.resolve(link.group(1)).normalize()).as("link %s", link.group(1)).exists();
    }
  }
}
