package io.burnroom.docs;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** tools/commit-msg enforces CONTRIBUTING.md's subject rule, with exactly the prefixes its table lists. */
@DisplayName("tools/commit-msg checks subjects against CONTRIBUTING.md's rule")
class CommitMsgTest {
  private static final Path HOOK = Path.of("tools", "commit-msg");

  private record Result(int exit, String output) {}

  private static Result check(String subjects) throws Exception {
    Process p = new ProcessBuilder("bash", HOOK.toString(), "-").redirectErrorStream(true).start();
    p.getOutputStream().write(subjects.getBytes(StandardCharsets.UTF_8));
    p.getOutputStream().close();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    return new Result(p.exitValue(), out);
  }

  @Test
  @DisplayName("a prefixed subject of 72 characters passes; 73 characters, no prefix or an unknown one fail")
  void subjects() throws Exception {
    String seventyTwo = "docs: " + "x".repeat(66);
    assertThat(check(seventyTwo + "\nroom: one verticle per room\n").exit()).isZero();
    Result tooLong = check(seventyTwo + "x\n");
    assertThat(tooLong.exit()).isNotZero();
    assertThat(tooLong.output()).contains("73 characters");
    assertThat(check("one verticle per room\n").exit()).isNotZero();
    assertThat(check("misc: one verticle per room\n").exit()).isNotZero();
  }

  @Test
  @DisplayName("the hook's prefixes are the rows of CONTRIBUTING.md's prefix table")
  void prefixesMatchContributing() throws Exception {
    String contributing = Files.readString(Path.of("CONTRIBUTING.md"));
    Matcher row = Pattern.compile("(?m)^  \\| `([a-z]+)` \\|").matcher(contributing);
    List<String> documented = new ArrayList<>();
    while (row.find()) {
      documented.add(row.group(1));
    }
    assertThat(documented).hasSizeGreaterThan(10);
    StringBuilder subjects = new StringBuilder();
    documented.forEach(p -> subjects.append(p).append(": a change\n"));
    assertThat(check(subjects.toString()).exit()).as("every documented prefix is accepted").isZero();
    Matcher list = Pattern.compile("(?m)^prefixes=\"([a-z ]+)\"").matcher(Files.readString(HOOK));
    assertThat(list.find()).isTrue();
    assertThat(List.of(list.group(1).split(" "))).containsExactlyInAnyOrderElementsOf(documented);
  }
}
