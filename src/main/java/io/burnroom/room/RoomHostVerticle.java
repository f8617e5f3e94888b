package io.burnroom.room;

import io.burnroom.cluster.Addresses;
import io.burnroom.cluster.RoomDirectory;
import io.burnroom.cluster.SnapshotStore;
import io.burnroom.metrics.BurnroomMetrics;
import io.burnroom.protocol.ErrorCode;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;
import java.time.Clock;
import java.util.HashMap;
import java.util.Map;

/**
 * Owns this node's set of room deployments: creates rooms (enforcing rooms-per-node), and undeploys a room once it
 * has burned. Listens locally on {@code burnroom.host}: {@code create {ttlSeconds}} answers
 * {@code {roomId, pin, expiresAt}}; {@code gone {roomId}} removes a burned room.
 */
public final class RoomHostVerticle extends VerticleBase {
  public static final String CREATE = "create";
  public static final String GONE = "gone";

  public record Settings(String nodeId, int maxRoomsPerNode, int maxMembersPerRoom, long resumeGraceMs,
                         long maxLifetimeMs) {
  }

  private final Settings settings;
  private final Clock clock;
  private final Ids ids;
  private final RoomDirectory directory;
  private final SnapshotStore snapshots;
  private final BurnroomMetrics metrics;
  /** roomId → deployment id; a null value marks a deployment still starting. */
  private final Map<String, String> deployments = new HashMap<>();
  private MessageConsumer<JsonObject> consumer;

  public RoomHostVerticle(Settings settings, Clock clock, Ids ids, RoomDirectory directory, SnapshotStore snapshots,
                          BurnroomMetrics metrics) {
    this.settings = settings;
    this.clock = clock;
    this.ids = ids;
    this.directory = directory;
    this.snapshots = snapshots;
    this.metrics = metrics;
  }

  @Override
  public Future<?> start() {
    consumer = vertx.eventBus().localConsumer(Addresses.ROOM_HOST, this::onRequest);
    return consumer.completion();
  }

  private void onRequest(Message<JsonObject> msg) {
    JsonObject b = msg.body();
    switch (String.valueOf(b.getString("op"))) {
      case CREATE -> create(msg, b.getLong("ttlSeconds"));
      case GONE -> gone(b.getString("roomId"));
      default -> msg.fail(ErrorCode.BAD_REQUEST.ordinal(), ErrorCode.BAD_REQUEST.name());
    }
  }

  private void create(Message<JsonObject> msg, long ttlSeconds) {
    if (deployments.size() >= settings.maxRoomsPerNode()) {
      msg.fail(ErrorCode.NODE_FULL.ordinal(), ErrorCode.NODE_FULL.name());
      return;
    }
    long now = clock.millis();
    String roomId = ids.roomId();
    String pin = ids.pin();
    long expiresAt = now + ttlSeconds * 1000;
    RoomState state = new RoomState(roomId, now, expiresAt, PinHash.of(pin, ids.salt()), ids.salt(),
        settings.maxMembersPerRoom(), ids);
    deployments.put(roomId, null);
    deploy(state)
        .compose(v -> directory.put(new RoomDirectory.Entry(roomId, settings.nodeId(), expiresAt)))
        .onSuccess(v -> {
          metrics.roomCreated();
          msg.reply(new JsonObject().put("roomId", roomId).put("pin", pin).put("expiresAt", expiresAt));
        })
        .onFailure(e -> {
          gone(roomId);
          msg.fail(ErrorCode.INTERNAL.ordinal(), ErrorCode.INTERNAL.name());
        });
  }

  private Future<String> deploy(RoomState state) {
    RoomVerticle room = new RoomVerticle(state, settings.nodeId(), clock, settings.resumeGraceMs(),
        settings.maxLifetimeMs(), directory, snapshots, metrics);
    return vertx.deployVerticle(room).onSuccess(id -> {
      if (deployments.containsKey(state.roomId())) {
        deployments.put(state.roomId(), id);
      } else {
        vertx.undeploy(id);
      }
    });
  }

  private void gone(String roomId) {
    String deploymentId = deployments.remove(roomId);
    if (deploymentId != null) {
      vertx.undeploy(deploymentId);
    }
  }

  /** Rooms deployed or starting on this node. */
  public int roomCount() {
    return deployments.size();
  }
}
