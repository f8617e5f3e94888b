package io.burnroom;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;
import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.lang.ArchRule;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The package layering of the main code (decision 44). A package may use packages of a lower rank only: never one
 * above it, and never a peer of its own rank, so {@code edge} and {@code room} share nothing but the contract below
 * them. From the bottom:
 *
 * <pre>
 *   0  http              HTTP hardening shared by the chat and management listeners; knows nothing of Burnroom
 *   1  config            settings and limits (checks trusted-proxy lists with http's address parser at start)
 *   2  wire              the browser protocol: frames, parser, error and close codes
 *   3  bus               the node contract: addresses, messages between edge, room and host, codecs
 *   4  cluster, metrics  shared services: room directory and snapshots; meters
 *   5  edge, room        sockets and the HTTP API; one verticle per room and its rules
 *   6  ops               the management listener and its page
 *   7  app               Main and the node's wiring
 * </pre>
 */
@DisplayName("Package layering")
public class ArchitectureTest {
  private static final String ROOT = "io.burnroom.";
  static final Map<String, Integer> RANK = Map.ofEntries(
      Map.entry("http", 0),
      Map.entry("config", 1),
      Map.entry("wire", 2),
      Map.entry("bus", 3),
      Map.entry("cluster", 4), Map.entry("metrics", 4),
      Map.entry("edge", 5), Map.entry("room", 5),
      Map.entry("ops", 6),
      Map.entry("app", 7));

  private static JavaClasses main;

  @BeforeAll
  static void importMain() {
    main = mainClasses();
  }

  /** The main classes, from the build's own class directory: scanning the class path reads every jar (~15 s). */
  public static JavaClasses mainClasses() {
    return new ClassFileImporter().importPath(Path.of("target", "classes", "io", "burnroom"));
  }

  @Test
  @DisplayName("every main package has a place in the layering")
  void everyPackageRanked() {
    Set<String> packages = main.stream().map(ArchitectureTest::topPackage).collect(Collectors.toCollection(TreeSet::new));
    assertThat(packages).as("packages under io.burnroom").isNotEmpty().isSubsetOf(RANK.keySet());
    assertThat(packages).as("the layering names no package that does not exist").isEqualTo(RANK.keySet());
  }

  @Test
  @DisplayName("no package uses a package above it or a peer of its own rank")
  void noUpwardOrSidewaysImport() {
    List<String> violations = RANK.keySet().stream().sorted()
        .flatMap(p -> layerRule(p).evaluate(main).getFailureReport().getDetails().stream()).toList();
    assertThat(violations).as("uses of a package of the same or a higher rank").isEmpty();
  }

  @Test
  @DisplayName("no cycle between packages")
  void noCycles() {
    slices().matching("io.burnroom.(*)..").should().beFreeOfCycles().check(main);
  }

  @Test
  @DisplayName("the rule can fail: tests in cluster start whole nodes (app), which main code there may not")
  void ruleCanFail() {
    JavaClasses withTests =
        new ClassFileImporter().importPath(Path.of("target", "test-classes", "io", "burnroom", "cluster"));
    assertThat(layerRule("cluster").evaluate(withTests).getFailureReport().getDetails())
        .anyMatch(line -> line.contains(ROOT + "app.BurnroomNode"));
  }

  @Test
  @DisplayName("no main source file is over 400 lines: a file that outgrows one job is split by job (issue 29)")
  void smallFiles() throws java.io.IOException {
    try (var files = java.nio.file.Files.walk(Path.of("src", "main", "java"))) {
      List<String> big = files.filter(f -> f.toString().endsWith(".java"))
          .filter(f -> lineCount(f) > MAX_LINES)
          .map(f -> f + " (" + lineCount(f) + " lines)").sorted().toList();
      assertThat(big).as("main sources over %d lines", MAX_LINES).isEmpty();
    }
  }

  private static final int MAX_LINES = 400;

  private static long lineCount(Path f) {
    try (var lines = java.nio.file.Files.lines(f)) {
      return lines.count();
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /** Classes of {@code pkg} use no package of the same or a higher rank. */
  private static ArchRule layerRule(String pkg) {
    int rank = RANK.get(pkg);
    String[] forbidden = RANK.entrySet().stream()
        .filter(o -> !o.getKey().equals(pkg) && o.getValue() >= rank)
        .map(o -> ROOT + o.getKey() + "..").toArray(String[]::new);
    return noClasses().that().resideInAPackage(ROOT + pkg + "..")
        .should().dependOnClassesThat().resideInAnyPackage(forbidden)
        .because("package " + pkg + " (rank " + rank + ") may use lower ranks only")
        .allowEmptyShould(true);
  }

  private static String topPackage(JavaClass c) {
    String rest = c.getPackageName().substring(ROOT.length());
    int dot = rest.indexOf('.');
    return dot < 0 ? rest : rest.substring(0, dot);
  }
}
