package io.burnroom.app;

import java.util.logging.LogRecord;
import java.util.logging.SimpleFormatter;
import java.util.regex.Pattern;

/**
 * The console formatter of every log line (ours and the libraries'). Libraries name event-bus addresses and request
 * paths in their warnings and exception messages ("Discarding message ... address: burnroom.room.&lt;id&gt;"), and a
 * room id must never reach a log. Redacting at the one place every line passes through covers messages we do not
 * control, stack traces included.
 */
public final class RedactingFormatter extends SimpleFormatter {
  /** Room addresses on the event bus and room ids in URL paths. */
  private static final Pattern ROOM_REFERENCE = Pattern.compile(
      "(burnroom\\.room\\.|/r/|/rooms/)[A-Za-z0-9_%-]+");

  @Override
  public String format(LogRecord record) {
    return redact(super.format(record));
  }

  public static String redact(String line) {
    return ROOM_REFERENCE.matcher(line).replaceAll("$1<redacted>");
  }
}
