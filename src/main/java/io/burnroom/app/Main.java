package io.burnroom.app;

import io.burnroom.config.AppConfig;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Starts one node from the environment (and {@code --flags}), prints one ready line (ending with the digest of the
 * client code it serves, {@code client=sha256:<hex>}; see {@link io.burnroom.edge.ClientBundle}), and on SIGTERM
 * closes local sockets with 1012 and leaves the cluster gracefully. Logging goes to the console only and never names
 * a room, a member, a PIN or an address.
 */
public final class Main {
  private static final Logger LOG = Logger.getLogger(Main.class.getName());
  /** Held so the level settings are not garbage-collected with the loggers. */
  private static final Logger HAZELCAST = Logger.getLogger("com.hazelcast");
  private static final Logger NETTY = Logger.getLogger("io.netty");
  /** Warns once that the CP subsystem is off (we use no CP structures) and names the node's own address. */
  private static final Logger HAZELCAST_CP = Logger.getLogger("com.hazelcast.cp");
  /**
   * Warns at every start that a gauge "has been already registered": vertx-micrometer registers the HTTP servers'
   * connections gauge once per server and shares one counter behind it, and a node has one chat server per core
   * plus the management server. Nothing is lost, and this logger carries only Micrometer's double-registration notes.
   */
  private static final Logger METER_REGISTRY = Logger.getLogger("io.micrometer.core.instrument.MeterRegistry");

  /** The exit status when Hazelcast stopped the node's cluster member on its own (EX_SOFTWARE). */
  static final int EXIT_MEMBER_LOST = 70;

  private Main() {
  }

  public static void main(String[] args) throws Exception {
    quietLibraries();
    AppConfig config;
    try {
      config = AppConfig.from(System.getenv(), args);
    } catch (IllegalArgumentException e) {
      System.err.println("burnroom: " + e.getMessage());
      System.exit(2);
      return;
    }
    BurnroomNode node;
    try {
      node = BurnroomNode.start(config).toCompletionStage().toCompletableFuture().get(120, TimeUnit.SECONDS);
    } catch (Exception e) {
      System.err.println("burnroom: failed to start: " + rootMessage(e));
      System.exit(1);
      return;
    }
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      int status = 0;
      try {
        node.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
      } catch (Exception e) {
        LOG.log(Level.WARNING, "shutdown did not finish cleanly: " + e.getClass().getSimpleName());
        status = 1;
      }
      // A handover that completed is a clean stop: say so with 0 instead of the JVM's 143 for "killed by SIGTERM",
      // so supervisors and tests can tell a clean handover from a failed one.
      System.out.flush();
      Runtime.getRuntime().halt(status);
    }, "burnroom-shutdown"));
    node.onClusterMemberLost(() -> {
      // Memory only: nothing to save. The other nodes have restored this node's rooms; its sockets drop and resume.
      System.err.println("burnroom: the cluster member was stopped (not by a shutdown); exiting with 70 so the"
          + " supervisor starts this node again");
      System.err.flush();
      Runtime.getRuntime().halt(EXIT_MEMBER_LOST);
    });
    System.out.println("Burnroom ready: chat http://" + display(config.httpHost()) + ":" + node.httpPort()
        + " management http://" + display(config.mgmtHost()) + ":" + node.mgmtPort()
        + " mode=" + (node.clustered() ? "clustered" : "embedded") + " node=" + node.nodeId()
        + " transport=" + node.transport() + " client=sha256:" + node.clientBundle().sha256());
    System.out.flush();
  }

  /**
   * Hazelcast and Netty chatter at INFO names cluster addresses; keep the console to warnings from them, and drop the
   * known notes that are no warning at all (Hazelcast's CP subsystem, Micrometer's shared gauge).
   */
  private static void quietLibraries() {
    for (java.util.logging.Handler h : Logger.getLogger("").getHandlers()) {
      h.setFormatter(new RedactingFormatter());
    }
    HAZELCAST.setLevel(Level.WARNING);
    NETTY.setLevel(Level.WARNING);
    HAZELCAST_CP.setLevel(Level.SEVERE);
    METER_REGISTRY.setLevel(Level.SEVERE);
  }

  private static String display(String host) {
    return "0.0.0.0".equals(host) ? "localhost" : host;
  }

  private static String rootMessage(Throwable t) {
    while (t.getCause() != null) {
      t = t.getCause();
    }
    return t.getClass().getSimpleName() + ": " + t.getMessage();
  }
}
