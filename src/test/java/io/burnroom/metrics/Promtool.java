package io.burnroom.metrics;

import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs Debian's {@code promtool} (package {@code prometheus}); tests skip with a clear message when it is absent. */
final class Promtool {
  record Result(int exitCode, String output) {
  }

  private Promtool() {
  }

  static String path() {
    for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin").split(File.pathSeparator)) {
      File f = new File(dir, "promtool");
      if (f.canExecute()) {
        return f.getAbsolutePath();
      }
    }
    return null;
  }

  static boolean available() {
    return path() != null;
  }

  static final String MISSING = "promtool not found on PATH: install Debian package 'prometheus' to run this check";

  static Result run(String stdin, String... args) {
    List<String> cmd = new ArrayList<>();
    cmd.add(path());
    cmd.addAll(List.of(args));
    try {
      Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
      try (OutputStream in = p.getOutputStream()) {
        if (stdin != null) {
          in.write(stdin.getBytes(StandardCharsets.UTF_8));
        }
      }
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(60, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new AssertionError("promtool timed out: " + cmd);
      }
      return new Result(p.exitValue(), out);
    } catch (IOException e) {
      throw new AssertionError("could not run " + cmd, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }
}
