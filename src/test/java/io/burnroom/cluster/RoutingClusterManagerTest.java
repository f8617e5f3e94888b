package io.burnroom.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.burnroom.app.BurnroomNode;
import io.burnroom.support.StaleRoutes;
import io.burnroom.support.TestNodes;
import io.vertx.core.Future;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.spi.cluster.RegistrationInfo;
import io.vertx.spi.cluster.hazelcast.impl.HazelcastRegistrationInfo;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Decision 66, on two clustered nodes in one JVM (real Hazelcast): the routes Vert.x's selector holds are read again
 * when they may be wrong. Found by chaos/: resumes unanswered for 10 s while their room served everyone else.
 */
@DisplayName("RoutingClusterManager: a node's event-bus routes are read again when they may be wrong")
class RoutingClusterManagerTest {
  private static final DeliveryOptions SHORT = new DeliveryOptions().setSendTimeout(700);
  private static TestNodes nodes;
  private static BurnroomNode a;
  private static BurnroomNode b;

  @BeforeAll
  static void start() {
    nodes = new TestNodes();
    a = nodes.clustered();
    b = nodes.clustered();
  }

  @AfterAll
  static void stop() {
    nodes.close();
  }

  /** A handler for a fresh address on {@code on}, answering its node id; the address is returned. */
  private static String handlerOn(BurnroomNode on) {
    String address = "test.route." + UUID.randomUUID();
    TestNodes.await(on.vertx().eventBus().<String>consumer(address, m -> m.reply(on.nodeId())).completion(), 5_000);
    return address;
  }

  private static Future<String> ask(BurnroomNode from, String address) {
    return from.vertx().eventBus().<String>request(address, "?", SHORT).map(Message::body);
  }

  private static ReplyFailure failureOf(Future<String> f) {
    Throwable e = TestNodes.await(f.transform(ar -> Future.succeededFuture(ar.cause())), 5_000);
    return e instanceof ReplyException re ? re.failureType() : null;
  }

  @Test
  @DisplayName("a registration left behind by a node that is no longer a member is never chosen")
  void goneNodesRegistrationIsSkipped() {
    String address = handlerOn(b);
    // What a member's registrations look like in the shared map after it left and before anyone cleaned them out.
    a.hazelcast().<String, HazelcastRegistrationInfo>getMultiMap("__vertx.subs")
        .put(address, new HazelcastRegistrationInfo(new RegistrationInfo(UUID.randomUUID().toString(), 1, false)));
    for (int i = 0; i < 12; i++) {
      assertThat(TestNodes.await(ask(a, address), 5_000)).as("answer %d of 12", i).isEqualTo(b.nodeId());
    }
  }

  @Test
  @DisplayName("a route this node missed an update for is read again once forgotten")
  void forgottenRouteIsReadAgain() {
    String address = handlerOn(a);
    assertThat(TestNodes.await(ask(a, address), 5_000)).isEqualTo(a.nodeId());
    StaleRoutes.missUpdate(a, address, b.nodeId()); // b is a member, but has no handler there
    assertThat(failureOf(ask(a, address))).as("b drops the message without an answer")
        .isEqualTo(ReplyFailure.TIMEOUT);
    a.routes().forget(address);
    assertThat(TestNodes.await(ask(a, address), 5_000)).isEqualTo(a.nodeId());
  }

  @Test
  @DisplayName("when Vert.x reports registrations lost (a member left, a merge), every cached route is read again")
  void registrationsLostDropsEveryRoute() {
    String first = handlerOn(a);
    String second = handlerOn(b);
    assertThat(TestNodes.await(ask(a, first), 5_000)).isEqualTo(a.nodeId());
    assertThat(TestNodes.await(ask(a, second), 5_000)).isEqualTo(b.nodeId());
    StaleRoutes.missUpdate(a, first, b.nodeId());
    StaleRoutes.missUpdate(a, second, a.nodeId());
    assertThat(failureOf(ask(a, first))).isEqualTo(ReplyFailure.TIMEOUT);
    StaleRoutes.listener(a).registrationsLost();
    assertThat(TestNodes.await(ask(a, first), 5_000)).isEqualTo(a.nodeId());
    assertThat(TestNodes.await(ask(a, second), 5_000)).isEqualTo(b.nodeId());
  }

  @Test
  @DisplayName("asking for addresses nobody has leaves nothing remembered")
  void unknownAddressesAreNotRemembered() {
    RoutingClusterManager routes = (RoutingClusterManager) a.routes();
    String known = handlerOn(b);
    assertThat(TestNodes.await(ask(a, known), 5_000)).isEqualTo(b.nodeId());
    int before = routes.cachedRoutes();
    for (int i = 0; i < 50; i++) {
      assertThat(failureOf(ask(a, "test.nobody." + UUID.randomUUID()))).isEqualTo(ReplyFailure.NO_HANDLERS);
    }
    assertThat(routes.cachedRoutes()).isEqualTo(before);
  }
}
