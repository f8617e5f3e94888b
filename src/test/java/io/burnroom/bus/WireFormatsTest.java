package io.burnroom.bus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.burnroom.wire.Base64Text;
import io.burnroom.wire.ServerFrames;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.MessageCodec;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The hand-written hot-path formats: frames written without Jackson, bus records written without JSON. */
@DisplayName("Hot-path wire formats")
class WireFormatsTest {
  @ParameterizedTest(name = "client id {0}")
  @ValueSource(strings = {"1", "a\"b", "back\\slash", "line\nbreak", "tab\tand\u0001control", "ünïcødé 🔥", "</script>"})
  @DisplayName("msg and ack frames are the JSON a JsonObject would make, whatever the client id holds")
  void framesAreJson(String id) {
    JsonObject msg = new JsonObject(ServerFrames.msg("mem_ber-1", 42, id, "QUJD+/=", false));
    assertThat(msg).isEqualTo(new JsonObject().put("type", "msg").put("from", "mem_ber-1").put("seq", 42)
        .put("id", id).put("body", "QUJD+/="));
    JsonObject direct = new JsonObject(ServerFrames.msg("m", 1, id, "AA", true));
    assertThat(direct.getBoolean("direct")).isTrue();
    assertThat(direct.getString("id")).isEqualTo(id);
    JsonObject ack = new JsonObject(ServerFrames.ack(id, 7));
    assertThat(ack).isEqualTo(new JsonObject().put("type", "ack").put("id", id).put("seq", 7));
  }

  @Test
  @DisplayName("a relay and a delivery cross the wire unchanged, nulls and non-ASCII included")
  void codecsRoundTrip() {
    RoomRequest.Relay relay = new RoomRequest.Relay("member", "conn", "id \"ü\" 🔥", "QUJD", null);
    assertThat(roundTrip(BusCodecs.RELAY, relay)).isEqualTo(relay);
    EdgeEvent.Deliver deliver = EdgeEvent.Deliver.of("room", List.of("a", "b", "ç"), "{\"type\":\"msg\",\"id\":\"é\"}");
    EdgeEvent.Deliver none = EdgeEvent.Deliver.of("other", List.of(), "");
    List<EdgeEvent.Deliver> items = roundTrip(BusCodecs.DELIVERIES, new EdgeEvent.Deliveries(List.of(deliver, none))).items();
    assertThat(items).hasSize(2);
    EdgeEvent.Deliver back = items.get(0);
    assertThat(back.roomId()).isEqualTo("room");
    assertThat(back.to()).containsExactly("a", "b", "ç");
    assertThat(back.text()).isEqualTo("{\"type\":\"msg\",\"id\":\"é\"}");
    assertThat(back.frame()).isEqualTo(deliver.frame()).isNotSameAs(deliver.frame());
    assertThat(items.get(1).roomId()).isEqualTo("other");
    assertThat(items.get(1).to()).isEmpty();
    assertThat(items.get(1).frame()).isEmpty();
    assertThat(roundTrip(BusCodecs.DELIVERIES, new EdgeEvent.Deliveries(List.of())).items()).isEmpty();
    assertThat(back.seq()).as("a frame without a seq").isZero();
    EdgeEvent.Deliver msg = new EdgeEvent.Deliver("room", List.of("a"), "{}".getBytes(java.nio.charset.StandardCharsets.UTF_8), 1L << 40);
    assertThat(roundTrip(BusCodecs.DELIVERIES, new EdgeEvent.Deliveries(List.of(msg))).items().get(0).seq())
        .as("a relayed message's seq").isEqualTo(1L << 40);
    EdgeEvent.Deliver chunk = new EdgeEvent.Deliver("room", List.of("a"), new byte[] {'{', '}'}, 0, 77);
    assertThat(roundTrip(BusCodecs.DELIVERIES, new EdgeEvent.Deliveries(List.of(chunk))).items().get(0).credit())
        .as("a chunk's credit serial").isEqualTo(77);
    assertThat(back.credit()).as("a frame without credit").isZero();
  }

  @Test
  @DisplayName("a record whose length runs past the buffer fails loudly instead of reading garbage")
  void truncatedDeliveryFails() {
    Buffer wire = Buffer.buffer();
    BusCodecs.DELIVERIES.encodeToWire(wire, new EdgeEvent.Deliveries(List.of(EdgeEvent.Deliver.of("room", List.of("a"), "frame"))));
    Buffer cut = wire.getBuffer(0, wire.length() - 12); // the frame's last bytes and the recipients are gone
    assertThatThrownBy(() -> BusCodecs.DELIVERIES.decodeFromWire(0, cut)).isInstanceOf(IllegalArgumentException.class);
    Buffer relay = Buffer.buffer();
    BusCodecs.RELAY.encodeToWire(relay, new RoomRequest.Relay("member", "conn", "id", "QUJD", null));
    Buffer cutRelay = relay.getBuffer(0, relay.length() - 8); // inside the body, before the null "to"
    assertThatThrownBy(() -> BusCodecs.RELAY.decodeFromWire(0, cutRelay)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  @DisplayName("inside a node a record is handed over as is, and nobody can change a delivery's recipients")
  void localHandOverShares() {
    List<String> to = new ArrayList<>(List.of("a"));
    EdgeEvent.Deliver d = EdgeEvent.Deliver.of("room", to, "x");
    to.add("b");
    assertThat(d.to()).containsExactly("a");
    List<EdgeEvent.Deliver> items = new ArrayList<>(List.of(d));
    EdgeEvent.Deliveries ds = new EdgeEvent.Deliveries(items);
    items.add(d);
    assertThat(ds.items()).hasSize(1);
    assertThat(BusCodecs.DELIVERIES.transform(ds)).isSameAs(ds);
  }

  @Test
  @DisplayName("a node registers both codecs, so records can be sent on its bus")
  void registered() {
    Vertx vertx = Vertx.vertx();
    try {
      BusCodecs.register(vertx.eventBus());
      List<Object> got = new ArrayList<>();
      vertx.eventBus().<Object>localConsumer("x", m -> got.add(m.body())).completion().await();
      RoomRequest.Relay relay = new RoomRequest.Relay("m", "c", "i", "b", null);
      vertx.eventBus().send("x", relay);
      vertx.eventBus().send("x", new EdgeEvent.Deliveries(List.of(EdgeEvent.Deliver.of("r", List.of("m"), "f"))));
      long until = System.currentTimeMillis() + 5_000;
      while (got.size() < 2 && System.currentTimeMillis() < until) {
        Thread.onSpinWait();
      }
      assertThat(got).hasSize(2).first().isSameAs(relay);
    } finally {
      vertx.close();
    }
  }

  private static <T> T roundTrip(MessageCodec<T, T> codec, T value) {
    Buffer wire = Buffer.buffer().appendString("prefix");
    codec.encodeToWire(wire, value);
    return codec.decodeFromWire("prefix".length(), wire);
  }

  @ParameterizedTest(name = "[{0}]")
  @ValueSource(strings = {"", "QUJD", "QUI=", "QQ==", "AA-_", "a+b/"})
  @DisplayName("base64 and base64url with up to two trailing = pass")
  void base64Accepted(String s) {
    assertThat(Base64Text.isBase64(s)).isTrue();
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"Q===", "Q=Q", "=QQ", "a b", "a\"b", "ü", "a\u0000", "Q\u00ff"})
  @DisplayName("anything else fails the body check")
  void base64Refused(String s) {
    assertThat(Base64Text.isBase64(s)).isFalse();
  }
}
