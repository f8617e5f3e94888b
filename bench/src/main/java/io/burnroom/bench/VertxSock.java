package io.burnroom.bench;

import io.vertx.core.Future;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketConnectOptions;
import java.nio.charset.StandardCharsets;

/**
 * The other generator client ({@code --generator=vertx|both}, issue 31): Vert.x's own WebSocket client, as an
 * independent load generator would write it. Every text message is aggregated, its UTF-8 checked and decoded into a
 * {@code String} by Vert.x, and every send is a {@code String} that Vert.x encodes and masks; the bench then reads
 * the same first bytes of each message as it does from a {@link LeanSocket}. Connected from a lane's context, so its
 * handlers run on that lane's event loop like a LeanSocket's.
 */
final class VertxSock implements Fleet.Sock {
  private final WebSocket ws;

  private VertxSock(WebSocket ws) {
    this.ws = ws;
  }

  /** Call on the room's lane context: the socket's handlers then run on that lane's event loop. */
  static Future<Fleet.Sock> connect(WebSocketClient client, int port, String path, Fleet.Member member) {
    return client.connect(new WebSocketConnectOptions().setHost("127.0.0.1").setPort(port).setURI(path))
        .map(ws -> {
          ws.textMessageHandler(text -> {
            // the decoded String is the cost being measured; the fleet reads only its first bytes, as from LeanSocket
            byte[] prefix = text.substring(0, Math.min(LeanSocket.PREFIX, text.length()))
                .getBytes(StandardCharsets.UTF_8);
            member.room.lane.onFrame(member, prefix, prefix.length);
          });
          ws.closeHandler(v -> member.onClose(null, ws.closeStatusCode() == null ? 1006 : ws.closeStatusCode(),
              ws.closeReason() == null ? "" : ws.closeReason()));
          return (Fleet.Sock) new VertxSock(ws);
        });
  }

  @Override
  public void send(String text) {
    ws.writeTextMessage(text);
  }

  @Override
  public void send(byte[]... parts) {
    StringBuilder s = new StringBuilder();
    for (byte[] p : parts) {
      s.append(new String(p, StandardCharsets.US_ASCII));
    }
    ws.writeTextMessage(s.toString());
  }

  @Override
  public void close(int code) {
    ws.close((short) code);
  }
}
