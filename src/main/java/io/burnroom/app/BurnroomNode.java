package io.burnroom.app;

import io.burnroom.bus.BusCodecs;
import io.burnroom.cluster.ClusterConfig;
import io.burnroom.cluster.ClusterEvents;
import io.burnroom.cluster.ClusterView;
import io.burnroom.cluster.HazelcastCallbacks;
import io.burnroom.cluster.LocalEntries;
import io.burnroom.cluster.PauseFence;
import io.burnroom.cluster.RoomDirectory;
import io.burnroom.cluster.Routes;
import io.burnroom.cluster.RoutingClusterManager;
import io.burnroom.cluster.SnapshotStore;
import io.burnroom.cluster.SpareLinks;
import io.burnroom.config.AppConfig;
import io.burnroom.edge.ClientBundle;
import io.burnroom.edge.EdgeShared;
import io.burnroom.edge.EdgeVerticle;
import io.burnroom.edge.StaticFiles;
import io.burnroom.metrics.BurnroomMetrics;
import io.burnroom.metrics.NodeMetricsFactory;
import io.burnroom.ops.ManagementVerticle;
import io.burnroom.room.Ids;
import io.burnroom.room.RoomHostVerticle;
import io.burnroom.room.RoomState;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxBuilder;
import io.vertx.core.VertxOptions;
import io.vertx.core.eventbus.EventBusOptions;
import io.vertx.core.file.FileSystemOptions;
import io.vertx.micrometer.Label;
import io.vertx.micrometer.MicrometerMetricsOptions;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import java.time.Clock;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.UUID;

/**
 * One running Burnroom node: a Vert.x instance (embedded, or clustered over memory-only Hazelcast) with its edge,
 * room host and management listener. {@link Main} starts one per process; tests start several in one JVM.
 */
public final class BurnroomNode {
  private final AppConfig config;
  private final Vertx vertx;
  private final String nodeId;
  private final HazelcastClusterManager clusterManager;
  private volatile boolean closing;
  private final Edges edge;
  private final ManagementVerticle management;
  private final BurnroomMetrics metrics;
  private final RoomDirectory directory;
  private final RoomHostVerticle host;
  private final ClientBundle clientBundle;

  private BurnroomNode(AppConfig config, Vertx vertx, String nodeId, HazelcastClusterManager clusterManager,
                       Edges edge, ManagementVerticle management, BurnroomMetrics metrics, RoomDirectory directory,
                       RoomHostVerticle host, ClientBundle clientBundle) {
    this.host = host;
    this.clientBundle = clientBundle;
    this.config = config;
    this.vertx = vertx;
    this.nodeId = nodeId;
    this.clusterManager = clusterManager;
    this.edge = edge;
    this.management = management;
    this.metrics = metrics;
    this.directory = directory;
  }

  public static Future<BurnroomNode> start(AppConfig config) {
    return start(config, StaticFiles.load("webroot"));
  }

  public static Future<BurnroomNode> start(AppConfig config, StaticFiles files) {
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    BurnroomMetrics.lintClean(registry);
    BurnroomMetrics.boundClientLabels(registry);
    VertxOptions options = new VertxOptions()
        // Netty's epoll transport when its library is on java.library.path (-Djava.library.path=target/native, as the
        // README runs it), else the JDK's NIO. The jar does not carry the library: Netty would copy it to /tmp.
        .setPreferNativeTransport(config.nativeTransport())
        // No disk: never extract class-path files into a cache directory.
        .setFileSystemOptions(new FileSystemOptions().setClassPathResolvingEnabled(false).setFileCachingEnabled(false))
        // Own registry name: Vert.x keys backends by name, so nodes sharing a JVM would share one registry.
        .setMetricsOptions(new MicrometerMetricsOptions().setEnabled(true).setJvmMetricsEnabled(true)
            .setRegistryName("burnroom-" + UUID.randomUUID())
            // Never label by event-bus address, HTTP path or remote address: they carry room ids and IPs.
            .setLabels(EnumSet.of(Label.HTTP_METHOD, Label.HTTP_CODE, Label.HTTP_ROUTE, Label.EB_SIDE, Label.EB_FAILURE,
                Label.POOL_TYPE, Label.POOL_NAME)));
    VertxBuilder builder = Vertx.builder().with(options).withMetrics(new NodeMetricsFactory(registry));
    Future<Vertx> vertxFuture;
    HazelcastClusterManager manager = null;
    if (config.cluster()) {
      HazelcastCallbacks.install();
      manager = new RoutingClusterManager(ClusterConfig.hazelcast(config));
      options.setEventBusOptions(new EventBusOptions().setHost(config.clusterHost()).setPort(0)
          .setClusterPublicHost(config.clusterHost()));
      vertxFuture = builder.with(options).withClusterManager(manager).buildClustered();
    } else {
      vertxFuture = Future.succeededFuture(builder.build());
    }
    HazelcastClusterManager mgr = manager;
    return vertxFuture.compose(vertx -> deploy(config, vertx, mgr, registry, files));
  }

  private static Future<BurnroomNode> deploy(AppConfig config, Vertx vertx, HazelcastClusterManager mgr,
                                             PrometheusMeterRegistry registry, StaticFiles files) {
    Clock clock = Clock.systemUTC();
    BusCodecs.register(vertx.eventBus());
    String nodeId = mgr != null ? mgr.getNodeId() : UUID.randomUUID().toString();
    BurnroomMetrics metrics = new BurnroomMetrics(registry);
    RoomDirectory directory = new RoomDirectory(vertx, clock);
    SnapshotStore snapshots = mgr != null ? SnapshotStore.clustered(vertx, mgr.getHazelcastInstance(), clock,
        RoomState.REPLICATED_FRAMES) : SnapshotStore.disabled();
    long detectMs = config.failureDetectSeconds() * 1000L;
    PauseFence fence = PauseFence.start(vertx, Math.max(1000, detectMs - 1000), detectMs + 2000);
    if (mgr != null) {
      fence.followMerges(mgr.getHazelcastInstance(), MERGE_GRACE_MS);
      SpareLinks.start(vertx, mgr.getHazelcastInstance(), SpareLinks.SWEEP_MS, SpareLinks.idleMs(detectMs));
    }
    ClusterView cluster = mgr != null ? ClusterView.hazelcast(mgr.getHazelcastInstance(), nodeId, config.quorum(),
        fence, Math.max(2500, detectMs - 1000)) : ClusterView.single(nodeId);
    RoomHostVerticle host = new RoomHostVerticle(new RoomHostVerticle.Settings(nodeId,
        config.limits().maxRoomsPerNode(), config.limits().maxMembersPerRoom(), config.limits().resumeGraceMs(),
        config.maxTtlSeconds() * 1000L, config.chunkLimits()), clock, new Ids(), directory, snapshots, metrics,
        cluster);
    // One edge per core: they share the port, so sockets (parsing, checks, writes) spread over the event loops.
    // Vert.x binds a port once and shares it among its servers; port 0 ("any") is not shared, but a negative port
    // is: every server asking for -1 shares one random port.
    EdgeShared shared = new EdgeShared(config, cluster::hasQuorum, routesOf(mgr));
    int port = config.httpPort() == 0 ? -1 : config.httpPort();
    List<EdgeVerticle> edges = new ArrayList<>();
    for (int i = 0; i < EDGE_INSTANCES; i++) {
      edges.add(new EdgeVerticle(config, nodeId, clock, directory, metrics, files, shared, port));
    }
    Edges edge = new Edges(List.copyOf(edges));
    // Ready = serving chat and (when clustered) still a running member of the cluster that sees its quorum, so the
    // load balancer moves members off the losing side of a split (decision 48).
    java.util.function.BooleanSupplier ready = mgr == null ? edge::ready
        : () -> edge.ready() && mgr.getHazelcastInstance().getLifecycleService().isRunning() && cluster.hasQuorum();
    ManagementVerticle management = new ManagementVerticle(config.mgmtHost(), config.mgmtPort(), registry, metrics,
        nodeId, clock, ready, config.limits().joinTimeoutMs(), files.bundle().toJson());
    if (mgr != null) {
      ClusterEvents.install(mgr.getHazelcastInstance(), vertx.eventBus());
      metrics.clusterMapEntries(() -> LocalEntries.count(mgr.getHazelcastInstance()));
    }
    return vertx.deployVerticle(host)
        .compose(id -> {
          Future<String> chain = Future.succeededFuture();
          for (EdgeVerticle e : edges) {
            chain = chain.compose(x -> vertx.deployVerticle(e));
          }
          return chain;
        })
        .compose(id -> vertx.deployVerticle(management))
        .map(id -> new BurnroomNode(config, vertx, nodeId, mgr, edge, management, metrics, directory, host,
            files.bundle()))
        .recover(e -> {
          // Report the failure at once: closing a half-started clustered Vert.x can stall (seen with a taken port),
          // and the caller exits anyway.
          vertx.close();
          return Future.failedFuture(e);
        });
  }

  /**
   * Graceful stop (SIGTERM): rooms stop serving with their final snapshot written, local sockets are told to
   * reconnect elsewhere (1012), then the node leaves the cluster and the survivors restore its rooms.
   */
  public Future<Void> close() {
    closing = true;
    return host.quiesceAll()
        .transform(ignored -> edge.drain())
        .transform(ignored -> vertx.close());
  }

  /**
   * Runs {@code action} once if Hazelcast stops this node's cluster member while the node is not closing. Such a node
   * can never serve again (not ready, no quorum), yet its process lives on and holds its place: seen once under
   * chaos/ right after a merge, when the cluster was down to two nodes for the rest of the run and the next pause left
   * no quorum anywhere. The caller exits, so its supervisor (systemd, Kubernetes, chaos/) starts it afresh.
   */
  public void onClusterMemberLost(Runnable action) {
    if (clusterManager == null) {
      return;
    }
    java.util.concurrent.atomic.AtomicBoolean fired = new java.util.concurrent.atomic.AtomicBoolean();
    clusterManager.getHazelcastInstance().getLifecycleService().addLifecycleListener(e -> {
      if (e.getState() == com.hazelcast.core.LifecycleEvent.LifecycleState.SHUTTING_DOWN && !closing
          && fired.compareAndSet(false, true)) {
        action.run();
      }
    });
  }

  /** How long after a merge a node waits before it serves (its consumers republished; see PauseFence.followMerges). */
  static final long MERGE_GRACE_MS = 2_000;

  /** Edge instances per node: one per core, since the edge does the per-socket work. */
  static final int EDGE_INSTANCES = Math.max(1, Runtime.getRuntime().availableProcessors());

  /** The node's edge instances seen as one: ready when all are, drained together, one shared port. */
  private record Edges(List<EdgeVerticle> all) {
    boolean ready() {
      return all.stream().allMatch(EdgeVerticle::ready);
    }

    Future<Void> drain() {
      return Future.join(all.stream().map(EdgeVerticle::drain).toList()).mapEmpty();
    }

    int actualPort() {
      return all.get(0).actualPort();
    }
  }

  /** Sockets held by each edge instance of this node (diagnostics; tests check they spread over the cores). */
  public List<Integer> socketsPerEdge() {
    return edge.all().stream().map(EdgeVerticle::socketCount).toList();
  }

  public String nodeId() { return nodeId; }
  public Vertx vertx() { return vertx; }
  public int httpPort() { return edge.actualPort(); }
  public int mgmtPort() { return management.actualPort(); }
  public BurnroomMetrics metrics() { return metrics; }
  public RoomDirectory directory() { return directory; }
  public AppConfig config() { return config; }
  /** The hashes of the client code this node serves on its chat port (printed at start, served on management). */
  public ClientBundle clientBundle() { return clientBundle; }
  public boolean clustered() { return clusterManager != null; }
  /** "epoll" or "nio": the network transport this node's Vert.x runs on. */
  public String transport() { return vertx.isNativeTransportEnabled() ? "epoll" : "nio"; }

  /** The node's cached event-bus routes (decision 66); nothing to cache on an embedded node. */
  public Routes routes() {
    return routesOf(clusterManager);
  }

  private static Routes routesOf(HazelcastClusterManager manager) {
    return manager instanceof RoutingClusterManager routes ? routes : Routes.NONE;
  }

  /** The node's Hazelcast member, for tests and diagnostics that must look inside the maps (backups included). */
  public com.hazelcast.core.HazelcastInstance hazelcast() {
    return clusterManager == null ? null : clusterManager.getHazelcastInstance();
  }
}
