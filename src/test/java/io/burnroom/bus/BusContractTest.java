package io.burnroom.bus;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.domain.JavaMethodCall;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.lang.ArchRule;
import io.burnroom.ArchitectureTest;
import io.burnroom.wire.AdminOp;
import io.burnroom.wire.CloseCodes;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.Message;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The node contract (decision 45): every message between edge, room, room host and the node's wiring is a
 * {@link BusMessage} record with its own codec, and only {@link Bus} puts anything on the event bus.
 */
@DisplayName("Bus contract")
class BusContractTest {
  /** One of every message, with fields that test the encoding (nulls, non-ASCII, extremes). */
  private static final List<BusMessage> SAMPLES = List.of(
      new RoomRequest.Join("node-1", "conn", "203.0.113.9", "cHJvZmlsZQ", null, -1, "dG9rZW4"),
      new RoomRequest.Join("node-1", "conn", null, "p", "resume-ü", Long.MAX_VALUE, null),
      new RoomRequest.Relay("member", "conn", "id \"ü\" 🔥", "QUJD", null),
      new RoomRequest.Chunk("member", "conn", "att.0", "QUJD", "to-ü"),
      new RoomRequest.Admin("member", "conn", "::1", "123456", AdminOp.EXTEND, null, 3600, null),
      new RoomRequest.Admin("member", "conn", "::1", "123456", AdminOp.KICK, "target", 0, "aGFzaA"),
      new RoomRequest.Leave("member", "conn", true),
      new RoomRequest.Info(),
      new RoomReply.Joined("member", "room", 42, 1_800_000_000_000L, "{\"type\":\"joined\"}", List.of("{\"a\":\"é\"}", "{}")),
      new RoomReply.Acked(1L << 40),
      new RoomReply.ChunkAcked(250),
      new RoomReply.AdminDone(AdminOp.BURN),
      new RoomReply.Left(),
      new RoomReply.Info("room", 1_800_000_000_000L, true, 7),
      new EdgeEvent.Deliveries(List.of(EdgeEvent.Deliver.of("room", List.of("a", "ç"), "{\"x\":1}"),
          new EdgeEvent.Deliver("room", List.of(), new byte[0], 9),
          new EdgeEvent.Deliver("room", List.of("a"), new byte[] {'{', '}'}, 0, Long.MAX_VALUE, 1_800_000_000_000L))),
      new RoomNotice.ChunkTaken("node-ü", 1L << 40),
      new EdgeEvent.Close("room", List.of("a", "b"), CloseCodes.BURNED, "{\"type\":\"burned\"}"),
      new EdgeEvent.Close("room", List.of("a"), CloseCodes.SHUTTING_DOWN, null),
      new EdgeEvent.Drop("room", "member", "conn"),
      new HostRequest.Create(300, null),
      new HostRequest.Create(86_400, "aGFzaA"),
      new HostRequest.Gone("room"),
      new HostReply.Created("room", "123456", 1_800_000_000_000L),
      new NodeEvent.NodeLeft("node-2"),
      new NodeEvent.NodeJoined("node-3"),
      new NodeEvent.ClusterMerged());

  @Test
  @DisplayName("every message type has exactly one codec, and a sample here")
  void everyTypeHasACodec() {
    Set<Class<?>> types = concreteTypes(BusMessage.class);
    assertThat(types).hasSizeGreaterThanOrEqualTo(18);
    Map<Class<?>, Long> codecs = BusCodecs.ALL.stream()
        .collect(Collectors.groupingBy(c -> c.type, Collectors.counting()));
    assertThat(codecs.keySet()).isEqualTo(types);
    assertThat(codecs.values()).allMatch(n -> n == 1);
    assertThat(BusCodecs.ALL.stream().map(BusCodecs.Codec::name).distinct()).hasSameSizeAs(BusCodecs.ALL);
    assertThat(SAMPLES.stream().map(Object::getClass).collect(Collectors.toSet())).isEqualTo(types);
  }

  @Test
  @DisplayName("every message crosses the wire unchanged, and a cut one fails loudly")
  void wireRoundTrip() {
    for (BusMessage m : SAMPLES) {
      BusCodecs.Codec<BusMessage> codec = codecOf(m);
      Buffer wire = Buffer.buffer("prefix");
      codec.encodeToWire(wire, m);
      BusMessage back = codec.decodeFromWire("prefix".length(), wire);
      assertThat(describe(back)).as(m.toString()).isEqualTo(describe(m));
      if (wire.length() > "prefix".length()) {
        Buffer cut = wire.getBuffer(0, wire.length() - 1);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> codec.decodeFromWire("prefix".length(), cut))
            .as(m.toString()).isInstanceOf(RuntimeException.class);
      }
    }
  }

  @Test
  @DisplayName("inside a node every message is handed over as itself, not a copy")
  void localDeliveryIsZeroCopy() throws Exception {
    Vertx vertx = Vertx.vertx();
    try {
      BusCodecs.register(vertx.eventBus());
      List<Object> got = new ArrayList<>();
      CompletableFuture<Void> all = new CompletableFuture<>();
      vertx.eventBus().<Object>localConsumer("contract", msg -> {
        got.add(msg.body());
        if (got.size() == SAMPLES.size()) {
          all.complete(null);
        }
      }).completion().await();
      SAMPLES.forEach(m -> vertx.eventBus().send("contract", m));
      all.get(5, TimeUnit.SECONDS);
      for (int i = 0; i < SAMPLES.size(); i++) {
        assertThat(got.get(i)).isSameAs(SAMPLES.get(i));
      }
    } finally {
      vertx.close().await();
    }
  }

  @Test
  @DisplayName("only the bus package sends, publishes, replies or fails on the event bus")
  void onlyBusTouchesTheEventBus() {
    assertThat(onlyThroughBus().evaluate(ArchitectureTest.mainClasses()).getFailureReport().getDetails()).isEmpty();
  }

  @Test
  @DisplayName("the rule can fail: tests that talk to the bus directly are found")
  void ruleCanFail() {
    JavaClasses tests = new ClassFileImporter().importPath(Path.of("target", "test-classes", "io", "burnroom", "room"));
    assertThat(onlyThroughBus().evaluate(tests).getFailureReport().getDetails())
        .anyMatch(line -> line.contains("DeliveryBatchTest") && line.contains("EventBus.request"));
  }

  /**
   * No class outside {@code bus} calls {@link EventBus#send}, {@code request}, {@code publish}, or {@link Message}'s
   * {@code reply} and {@code fail}. {@code ops} is the one exception: its live-plot samples go from one management
   * listener to the others, never to edge, room or host.
   */
  private static ArchRule onlyThroughBus() {
    Set<String> busCalls = Set.of("send", "request", "publish");
    Set<String> messageCalls = Set.of("reply", "fail", "replyAndRequest");
    DescribedPredicate<JavaMethodCall> direct = DescribedPredicate.describe("a send, reply or fail on the event bus",
        call -> {
          String owner = call.getTargetOwner().getFullName();
          return owner.equals(EventBus.class.getName()) && busCalls.contains(call.getName())
              || owner.equals(Message.class.getName()) && messageCalls.contains(call.getName());
        });
    return noClasses().that().resideOutsideOfPackages("io.burnroom.bus..", "io.burnroom.ops..")
        .should().callMethodWhere(direct)
        .because("messages between edge, room and host are BusMessage records sent through Bus");
  }

  @SuppressWarnings("unchecked")
  private static BusCodecs.Codec<BusMessage> codecOf(BusMessage m) {
    return (BusCodecs.Codec<BusMessage>) BusCodecs.ALL.stream().filter(c -> c.type == m.getClass()).findFirst()
        .orElseThrow();
  }

  /** A record's fields as text; a delivery's frame bytes as the text they hold (arrays compare by identity). */
  private static String describe(BusMessage m) {
    if (m instanceof EdgeEvent.Deliveries ds) {
      Function<EdgeEvent.Deliver, String> d = x -> x.roomId() + x.to() + x.seq() + "/" + x.credit()
          + new String(x.frame(), StandardCharsets.UTF_8);
      return ds.items().stream().map(d).toList().toString();
    }
    return m.toString();
  }

  private static Set<Class<?>> concreteTypes(Class<?> sealed) {
    if (!sealed.isSealed()) {
      return Set.of(sealed);
    }
    return Arrays.stream(sealed.getPermittedSubclasses()).flatMap(c -> concreteTypes(c).stream())
        .collect(Collectors.toSet());
  }
}
