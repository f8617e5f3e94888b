package io.burnroom.wire;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** docs/protocol.md is the contract other tools read: its error table and close codes must say what the code does. */
@DisplayName("docs/protocol.md agrees with ErrorCode and CloseCodes")
class ProtocolDocTest {
  private static final Pattern CODE = Pattern.compile("`([a-z_]+)`");
  private static final Pattern CLOSE = Pattern.compile("close \\*\\*(\\d{4})\\*\\*");
  /** Errors that have a close code in the enum but only ever answer an HTTP request (a refused handshake). */
  private static final Set<ErrorCode> HTTP_ONLY = Set.of(ErrorCode.NODE_FULL);

  private static String doc() throws Exception {
    return Files.readString(Path.of("docs", "protocol.md"));
  }

  /** The rows of the WebSocket error table: {@code | `code`, ... | when | socket |}. */
  private static List<String> errorRows(String doc) {
    String table = doc.substring(doc.indexOf("### Errors"), doc.indexOf("Close codes:"));
    List<String> rows = new ArrayList<>();
    for (String line : table.split("\n")) {
      if (line.startsWith("| `")) {
        rows.add(line);
      }
    }
    return rows;
  }

  private static List<String> codesOf(String row) {
    String first = row.substring(1, row.indexOf('|', 1));
    List<String> out = new ArrayList<>();
    Matcher m = CODE.matcher(first);
    while (m.find()) {
      out.add(m.group(1));
    }
    return out;
  }

  @Test
  @DisplayName("the code the page names as its source exists there")
  void sourcePointerExists() throws Exception {
    Matcher m = Pattern.compile("`(src/main/java/[^`]+)`").matcher(doc());
    List<Path> named = new ArrayList<>();
    while (m.find()) {
      named.add(Path.of(m.group(1)));
    }
    assertThat(named).isNotEmpty().allMatch(Files::exists, "exists");
    assertThat(named).contains(Path.of("src/main/java/io/burnroom/wire/"));
  }

  @Test
  @DisplayName("every code in the error table exists, with the close code the table gives it")
  void tableMatchesTheEnum() throws Exception {
    Set<String> wire = Arrays.stream(ErrorCode.values()).map(ErrorCode::code).collect(Collectors.toSet());
    List<String> rows = errorRows(doc());
    assertThat(rows).hasSizeGreaterThan(10);
    for (String row : rows) {
      Matcher close = CLOSE.matcher(row);
      Integer closeCode = close.find() ? Integer.valueOf(close.group(1)) : null;
      for (String code : codesOf(row)) {
        assertThat(wire).as("row %s", row).contains(code);
        if (closeCode != null) {
          assertThat(Arrays.stream(ErrorCode.values()).filter(e -> e.code().equals(code)).map(ErrorCode::closeCode))
              .as("close code of %s", code).contains(closeCode);
        }
      }
    }
  }

  @Test
  @DisplayName("every error that closes a socket is in the table with its close code")
  void everyClosingErrorIsDocumented() throws Exception {
    List<String> rows = errorRows(doc());
    for (ErrorCode e : ErrorCode.values()) {
      if (e.closeCode() == 0 || HTTP_ONLY.contains(e)) {
        continue;
      }
      assertThat(rows).as("%s closes with %d", e, e.closeCode())
          .anyMatch(r -> codesOf(r).contains(e.code()) && r.contains("**" + e.closeCode() + "**"));
    }
  }

  @Test
  @DisplayName("the close code list names every application close code")
  void closeCodesListed() throws Exception {
    String doc = doc();
    String line = doc.substring(doc.indexOf("Close codes:"), doc.indexOf("### A session"));
    for (Field f : CloseCodes.class.getFields()) {
      if (Modifier.isStatic(f.getModifiers()) && f.getType() == int.class) {
        int code = f.getInt(null);
        if (code >= 4000) {
          assertThat(line).as(f.getName()).contains(code + " ");
        }
      }
    }
  }
}
