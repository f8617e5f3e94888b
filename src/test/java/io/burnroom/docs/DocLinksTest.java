package io.burnroom.docs;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** The docs link each other instead of repeating themselves, so a link to a file that is gone is a lost page. */
@DisplayName("Every relative link in the Markdown docs points at a file that exists")
class DocLinksTest {
  private static final Pattern LINK = Pattern.compile("\\]\\(([^)\\s]+)\\)");

  private static List<Path> markdown() throws IOException {
    List<Path> docs = new ArrayList<>(List.of(Path.of("README.md"), Path.of("CONTRIBUTING.md"),
        Path.of("bench", "README.md")));
    for (Path dir : List.of(Path.of("docs"), Path.of("docs", "journal"))) {
      try (Stream<Path> files = Files.list(dir)) {
        files.filter(p -> p.toString().endsWith(".md")).sorted().forEach(docs::add);
      }
    }
    return docs;
  }

  static List<String> brokenLinks(Path doc, String text) {
    List<String> broken = new ArrayList<>();
    Matcher m = LINK.matcher(text);
    while (m.find()) {
      String target = m.group(1);
      if (target.matches("^[a-z]+:.*") || target.startsWith("#")) {
        continue;
      }
      String file = target.contains("#") ? target.substring(0, target.indexOf('#')) : target;
      Path resolved = doc.toAbsolutePath().getParent().resolve(file).normalize();
      if (!Files.exists(resolved)) {
        broken.add(doc + " → " + target);
      }
    }
    return broken;
  }

  @Test
  @DisplayName("no link in README, CONTRIBUTING, bench/README, docs/ or docs/journal/ is broken")
  void noBrokenLinks() throws IOException {
    List<String> broken = new ArrayList<>();
    for (Path doc : markdown()) {
      broken.addAll(brokenLinks(doc, Files.readString(doc)));
    }
    assertThat(broken).isEmpty();
  }

  @Test
  @DisplayName("the check can fail: a link to a missing page is reported, web links and anchors are not")
  void missingPageIsReported() {
    String text = "[gone](docs/nowhere.md) [web](https://example.org/x) [here](#configuration) [ok](docs/figures.md#chaos)";
    assertThat(brokenLinks(Path.of("README.md"), text)).containsExactly("README.md → docs/nowhere.md");
  }
}
