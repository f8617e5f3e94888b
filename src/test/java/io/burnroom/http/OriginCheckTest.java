package io.burnroom.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("WebSocket Origin check")
class OriginCheckTest {
  @Test
  @DisplayName("by default only the same origin is allowed")
  void sameOrigin() {
    OriginCheck c = new OriginCheck(List.of());
    assertThat(c.allows("http://localhost:8080", "localhost:8080")).isTrue();
    assertThat(c.allows("https://chat.example/", "chat.example")).isTrue();
    assertThat(c.allows("http://evil.example", "localhost:8080")).isFalse();
    assertThat(c.allows("http://localhost:8081", "localhost:8080")).isFalse();
    assertThat(c.allows("null", "localhost:8080")).isFalse();
    assertThat(c.allows("file://", "localhost:8080")).isFalse();
  }

  @Test
  @DisplayName("a configured list replaces the same-origin rule")
  void configured() {
    OriginCheck c = new OriginCheck(List.of("https://chat.example", "https://other.example/"));
    assertThat(c.allows("https://CHAT.example", "node1:8080")).isTrue();
    assertThat(c.allows("https://other.example", "node1:8080")).isTrue();
    assertThat(c.allows("http://node1:8080", "node1:8080")).isFalse();
  }

  @Test
  @DisplayName("non-browser clients without an Origin header are allowed")
  void noOrigin() {
    assertThat(new OriginCheck(List.of()).allows(null, "x")).isTrue();
  }
}
