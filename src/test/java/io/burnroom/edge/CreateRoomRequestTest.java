package io.burnroom.edge;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.buffer.Buffer;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

@DisplayName("The body of POST /api/rooms")
class CreateRoomRequestTest {
  private static final String HASH = "q83vEjRWeJCrze8SNFZ4kKvN7xI0VniQq83vEjRWeJA";

  private static CreateRoomRequest parse(String body) {
    return CreateRoomRequest.parse(Buffer.buffer(body));
  }

  @Test
  @DisplayName("reads ttlSeconds alone (an open room) or with a join hash; fractions and huge numbers are out of range")
  void valid() {
    assertThat(parse("{\"ttlSeconds\":300}")).isEqualTo(new CreateRoomRequest(300, null));
    assertThat(parse("{\"ttlSeconds\":300,\"joinHash\":null}")).isEqualTo(new CreateRoomRequest(300, null));
    assertThat(parse("{\"ttlSeconds\":300,\"joinHash\":\"" + HASH + "\"}")).isEqualTo(new CreateRoomRequest(300, HASH));
    assertThat(parse("{\"ttlSeconds\":1.5}").ttlSeconds()).isEqualTo(Long.MAX_VALUE);
    assertThat(parse("{\"ttlSeconds\":99999999999999999999999}").ttlSeconds()).isEqualTo(Long.MAX_VALUE);
  }

  @ParameterizedTest(name = "{0}")
  @DisplayName("anything else is malformed")
  @ValueSource(strings = {
      "ttl=300",
      "[300]",
      "{}",
      "{\"ttlSeconds\":\"300\"}",
      "{\"ttlSeconds\":300,\"joinHash\":\"\"}",
      "{\"ttlSeconds\":300,\"joinHash\":7}",
      "{\"ttlSeconds\":300,\"joinHash\":[\"" + HASH + "\"]}",
      "{\"ttlSeconds\":300,\"joinHash\":\"" + HASH + "=\"}",
      "{\"ttlSeconds\":300,\"joinHash\":\"" + HASH + "A\"}",
      "{\"ttlSeconds\":300,\"joinHash\":\"q83vEjRWeJCrze8SNFZ4kKvN7xI0VniQq83vEjRWeJ\"}",
      "{\"ttlSeconds\":300,\"joinHash\":\"q83vEjRWeJCrze8SNFZ4kKvN7xI0VniQq83vEjRWeJB\"}",
      "{\"ttlSeconds\":300,\"joinHash\":\"q83vEjRWeJCrze8SNFZ4kKvN7xI0VniQq83vEjRWe+A\"}"})
  void malformed(String body) {
    assertThat(parse(body)).isNull();
  }
}
