package io.burnroom.edge;

import io.burnroom.wire.Base64Text;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;

/**
 * The body of {@code POST /api/rooms}: {@code {"ttlSeconds":N, "joinHash"?: "<43 characters>"}}. A room created with
 * a join hash admits fresh joins only with the matching join token; without one it is open, as for v1 clients.
 *
 * @param ttlSeconds the lifetime asked for; {@link Long#MAX_VALUE} for a fraction or a huge number, which are out of
 *                   range rather than malformed (the range is the caller's to check)
 * @param joinHash   the SHA-256 of the join token, canonical unpadded base64url of 32 bytes; null for an open room
 */
public record CreateRoomRequest(long ttlSeconds, String joinHash) {

  /** The request in {@code body}, or null when it is malformed: not a JSON object, no number ttlSeconds, a bad hash. */
  public static CreateRoomRequest parse(Buffer body) {
    JsonObject j;
    try {
      j = new JsonObject(body);
    } catch (RuntimeException e) {
      return null; // not JSON, not an object, or past Jackson's nesting and number limits
    }
    Object ttl = j.getValue("ttlSeconds");
    long seconds;
    if (ttl instanceof Integer || ttl instanceof Long) {
      seconds = ((Number) ttl).longValue();
    } else if (ttl instanceof Number) {
      seconds = Long.MAX_VALUE;
    } else {
      return null;
    }
    Object hash = j.getValue("joinHash");
    if (hash != null && !(hash instanceof String h && Base64Text.isKey32(h))) {
      return null;
    }
    return new CreateRoomRequest(seconds, (String) hash);
  }
}
