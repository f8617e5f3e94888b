package io.burnroom.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.logging.Level;
import java.util.logging.LogRecord;
import org.junit.jupiter.api.Test;

class RedactingFormatterTest {
  @Test
  void roomIdsInAddressesPathsAndStackTracesAreRedacted() {
    LogRecord r = new LogRecord(Level.WARNING,
        "Discarding message since the consumer is not registered. address: burnroom.room.ZwQ2RYyNxyhxkKyzQukn7A");
    r.setThrown(new IllegalStateException("No handlers for GET /ws/rooms/R-cs0V0KhmQp9eLvj962iA and /r/abc_DEF-123"));
    String line = new RedactingFormatter().format(r);
    assertThat(line).doesNotContain("ZwQ2RYyNxyhxkKyzQukn7A", "R-cs0V0KhmQp9eLvj962iA", "abc_DEF-123")
        .contains("burnroom.room.<redacted>", "/ws/rooms/<redacted>", "/r/<redacted>", "Discarding message");
  }

  @Test
  void otherTextIsUntouched() {
    assertThat(RedactingFormatter.redact("node left: 1f197507-5bc3 at burnroom.edge.abc")).isEqualTo(
        "node left: 1f197507-5bc3 at burnroom.edge.abc");
  }
}
