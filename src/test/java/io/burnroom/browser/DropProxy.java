package io.burnroom.browser;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * A byte-for-byte TCP forwarder between a browser and a node that a test can cut like a network failure: every
 * open connection is closed without a WebSocket close frame, and new connections are refused until restored.
 * The page's origin is the proxy's, so the node's same-origin check still holds.
 */
final class DropProxy implements AutoCloseable {
  private final int targetPort;
  private final int port;
  private final Set<Socket> open = ConcurrentHashMap.newKeySet();
  private final ExecutorService pool = Executors.newCachedThreadPool(r -> {
    Thread t = new Thread(r, "drop-proxy");
    t.setDaemon(true);
    return t;
  });
  private volatile ServerSocket server;

  DropProxy(int targetPort) throws IOException {
    this.targetPort = targetPort;
    this.server = bind(0);
    this.port = server.getLocalPort();
    accept(server);
  }

  int port() {
    return port;
  }

  private static ServerSocket bind(int port) throws IOException {
    ServerSocket s = new ServerSocket();
    s.setReuseAddress(true);
    s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
    return s;
  }

  private void accept(ServerSocket s) {
    pool.submit(() -> {
      while (!s.isClosed()) {
        try {
          Socket client = s.accept();
          Socket upstream = new Socket(InetAddress.getLoopbackAddress(), targetPort);
          open.add(client);
          open.add(upstream);
          pump(client, upstream);
          pump(upstream, client);
        } catch (IOException e) {
          return;
        }
      }
    });
  }

  private void pump(Socket from, Socket to) {
    pool.submit(() -> {
      try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
        in.transferTo(out);
      } catch (IOException e) {
        // the other side went away or the test cut the line
      } finally {
        quietly(from);
        quietly(to);
      }
    });
  }

  /** The network fails: all connections drop at once, reconnect attempts are refused. */
  void cut() {
    quietly(server);
    for (Socket s : open) {
      quietly(s);
    }
    open.clear();
  }

  /** The network is back on the same port. */
  void restore() throws IOException {
    server = bind(port);
    accept(server);
  }

  private static void quietly(java.io.Closeable c) {
    try {
      c.close();
    } catch (IOException e) {
      // already closed
    }
  }

  @Override
  public void close() {
    cut();
    pool.shutdownNow();
  }
}
