package io.burnroom.docs;

import static org.assertj.core.api.Assertions.assertThat;

import io.burnroom.support.NodeProcess;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The README's two commands: {@code bin/burnroom} runs a node with every JVM flag the build tests nodes with (the one
 * place the long command is written out), and {@code mvn -B verify} is exactly what {@code .ci/run} ends with.
 */
@DisplayName("README's commands: bin/burnroom carries the build's JVM flags, .ci/run runs the README's tests")
class RunScriptTest {
  private static final Path SCRIPT = Path.of("bin", "burnroom");

  /** The words of the script's {@code exec} command, continuation lines joined and quotes removed. */
  private static List<String> execWords() throws IOException {
    String joined = Files.readString(SCRIPT).replace("\\\n", " ");
    String exec = Arrays.stream(joined.split("\n")).filter(l -> l.startsWith("exec ")).findFirst().orElseThrow();
    return Arrays.stream(exec.replace("\"", "").split("\\s+")).filter(w -> !w.isEmpty()).toList();
  }

  private static String fenced(String readme, String heading) {
    String section = readme.substring(readme.indexOf(heading));
    int start = section.indexOf("```sh\n") + "```sh\n".length();
    return section.substring(start, section.indexOf("```", start)).strip();
  }

  @Test
  @DisplayName("bin/burnroom passes every JVM flag the build tests nodes with, the library beside the jar")
  void scriptHasEveryFlag() throws IOException {
    List<String> flags = NodeProcess.defaultJvmFlags().stream()
        .map(f -> f.startsWith("-Djava.library.path=") ? "-Djava.library.path=$(dirname $jar)/native" : f).toList();
    String words = String.join(" ", execWords());
    for (String flag : flags) {
      assertThat(words).as("bin/burnroom's exec line has %s", flag).contains(flag);
    }
    assertThat(execWords()).endsWith("-jar", "$jar", "$@");
    assertThat(Files.isExecutable(SCRIPT)).isTrue();
  }

  @Test
  @DisplayName("bin/burnroom refuses to start without the jar, saying how to build it")
  void scriptSaysHowToBuild() throws Exception {
    ProcessBuilder pb = new ProcessBuilder("bash", SCRIPT.toString()).redirectErrorStream(true);
    pb.environment().put("BURNROOM_JAR", "/nonexistent/burnroom.jar");
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).isEqualTo(2);
    assertThat(out).contains("/nonexistent/burnroom.jar", "mvn -B package -DskipTests");
  }

  @Test
  @DisplayName("the README runs a node with bin/burnroom and nowhere spells out the JVM flags")
  void readmeUsesTheScript() throws IOException {
    String readme = Files.readString(Path.of("README.md"));
    assertThat(fenced(readme, "## Run it")).isEqualTo("mvn -B package -DskipTests && bin/burnroom");
    assertThat(readme).doesNotContain("-XX:-UsePerfData", "--add-opens", "-XX:+DisableAttachMechanism");
  }

  @Test
  @DisplayName(".ci/run ends by calling exactly the README's test command")
  void ciRunsTheReadmeTests() throws IOException {
    String command = fenced(Files.readString(Path.of("README.md")), "## Test it");
    assertThat(command).isEqualTo("mvn -B verify");
    List<String> lines = Arrays.stream(Files.readString(Path.of(".ci", "run")).split("\n"))
        .map(String::strip).filter(l -> !l.isEmpty() && !l.startsWith("#")).toList();
    assertThat(lines.get(lines.size() - 1)).isEqualTo(command);
  }
}
