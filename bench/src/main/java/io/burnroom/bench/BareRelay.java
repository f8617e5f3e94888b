package io.burnroom.bench;

import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.ServerWebSocket;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * The baseline: the ceiling of this stack. A bare Vert.x WebSocket server on {@code /ws/rooms/{id}} that relays every
 * text frame verbatim to the other sockets of the same "room". No protocol, no JSON parsing, no event bus, no acks,
 * no limits — only the same fan-out Burnroom does. One exception: a frame that begins like an attachment chunk is
 * answered with a bare {@code chunk_ack}, so the attachment bench drives both with the same window. One verticle instance per core share the port.
 *
 * <p>Prints {@code Relay ready: port N} when listening (see {@link ServerProcess}).
 */
public final class BareRelay extends VerticleBase {
  private static final String PREFIX = "/ws/rooms/";
  private static final String CHUNK = "{\"type\":\"chunk\"";
  private static final String CHUNK_ACK = "{\"type\":\"chunk_ack\"}";
  private static final Map<String, List<ServerWebSocket>> ROOMS = new ConcurrentHashMap<>();
  private final int port;
  private HttpServer server;

  private BareRelay(int port) {
    this.port = port;
  }

  public static void main(String[] args) {
    int port = args.length > 0 ? Integer.parseInt(args[0]) : 0;
    if (port == 0) {
      port = Ports.free(1).get(0);
    }
    int p = port;
    Vertx vertx = Vertx.vertx(new io.vertx.core.VertxOptions()
        .setPreferNativeTransport(!"nio".equals(System.getProperty("bench.transport"))));
    try {
      vertx.deployVerticle(() -> new BareRelay(p),
              new DeploymentOptions().setInstances(Runtime.getRuntime().availableProcessors()))
          .toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      System.out.println("relay failed to start: " + e);
      System.exit(1);
    }
    System.out.println("Relay ready: port " + p + " transport=" + (vertx.isNativeTransportEnabled() ? "epoll" : "nio"));
    System.out.flush();
  }

  @Override
  public Future<?> start() {
    server = vertx.createHttpServer(new HttpServerOptions().setHost("127.0.0.1").setPort(port)
            .setMaxWebSocketFrameSize(128 * 1024).setMaxWebSocketMessageSize(128 * 1024))
        .webSocketHandler(this::accept);
    return server.listen();
  }

  private void accept(ServerWebSocket ws) {
    String path = ws.path();
    if (!path.startsWith(PREFIX)) {
      ws.close((short) 4004);
      return;
    }
    String room = path.substring(PREFIX.length());
    List<ServerWebSocket> members = ROOMS.computeIfAbsent(room, r -> new CopyOnWriteArrayList<>());
    members.add(ws);
    ws.textMessageHandler(frame -> {
      for (ServerWebSocket other : members) {
        if (other != ws) {
          other.writeTextMessage(frame);
        }
      }
      if (frame.startsWith(CHUNK)) {
        ws.writeTextMessage(CHUNK_ACK); // the attachment bench's window, as Burnroom's chunk_ack drives it
      }
    });
    ws.closeHandler(v -> {
      members.remove(ws);
      if (members.isEmpty()) {
        ROOMS.remove(room, members);
      }
    });
  }
}
