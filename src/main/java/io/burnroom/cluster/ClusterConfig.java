package io.burnroom.cluster;

import com.hazelcast.config.AdvancedNetworkConfig;
import com.hazelcast.config.ClasspathXmlConfig;
import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.ServerSocketEndpointConfig;
import io.burnroom.config.AppConfig;
import java.util.List;

/**
 * Builds the Hazelcast configuration from {@code cluster.xml} (memory only) and the node's {@link AppConfig}:
 * cluster name, bind address, port, how the node finds the others (a static member list or a Kubernetes headless
 * Service's DNS name) and how fast a silent node is declared dead.
 */
public final class ClusterConfig {
  private ClusterConfig() {
  }

  /**
   * Hazelcast's thread pools, sized for a box of at most two cores: one partition, generic and response thread each
   * instead of its defaults (2, 2, 2). Every relayed frame is one map write whose hops run through these threads,
   * and on two cores they contend with the event loops for the same CPUs (docs/decisions.md 32). The IO threads keep
   * Hazelcast's 3 + 3: with one pair, a peer paused past failure detection stalled the survivors' heartbeats to each
   * other, so they split from each other too and the paused node's rooms answered again only after their merge,
   * 9–13 s after the pause where 4–5 s is the rule (decision 58, FailoverIT's paused owner). Larger boxes keep
   * Hazelcast's defaults, and a {@code -Dhazelcast.*} flag still wins.
   */
  static final List<String> SMALL_BOX_THREADS = List.of("hazelcast.operation.thread.count",
      "hazelcast.operation.generic.thread.count", "hazelcast.operation.response.thread.count");

  /** Hazelcast's "bind to every interface" switches, off: the member listens and connects from its own address. */
  static final List<String> BIND_TO_CLUSTER_HOST = List.of("hazelcast.socket.bind.any",
      "hazelcast.socket.client.bind.any");

  static final String PARTITION_COUNT = "hazelcast.partition.count";
  static final int PARTITIONS = 71;

  /** How long a node looks its peers up in DNS before it forms a cluster alone: Hazelcast's own default. */
  static final int KUBERNETES_JOIN_WAIT_SECONDS = 5;

  public static Config hazelcast(AppConfig app) {
    return hazelcast(app, Runtime.getRuntime().availableProcessors());
  }

  static Config hazelcast(AppConfig app, int cores) {
    Config c = new ClasspathXmlConfig("cluster.xml");
    if (cores <= 2) {
      SMALL_BOX_THREADS.stream().filter(p -> System.getProperty(p) == null).forEach(p -> c.setProperty(p, "1"));
    }
    c.setClusterName(app.clusterName());
    c.setProperty("hazelcast.max.no.heartbeat.seconds", String.valueOf(app.failureDetectSeconds()));
    c.setProperty("hazelcast.heartbeat.interval.seconds", "1");
    // After a split (a partition, or a node paused longer than failure detection) both halves serve until
    // Hazelcast merges them; its defaults look for the other half only after 300 s, then every 120 s.
    String merge = String.valueOf(app.failureDetectSeconds());
    c.setProperty("hazelcast.merge.first.run.delay.seconds", merge);
    c.setProperty("hazelcast.merge.next.run.delay.seconds", merge);
    // A write whose backup copy is not confirmed completes anyway after this timeout (Hazelcast: 5 s). Cut off from
    // the backup's node, that write then exists only on this side of the split, and the room would release its ack.
    // Waiting past failure detection lets Hazelcast first tell this node it lost its quorum, and the room keeps the
    // ack back (decision 48).
    c.setProperty("hazelcast.operation.backup.timeout.millis", String.valueOf((app.failureDetectSeconds() + 2) * 1000L));
    // A room burned by its timer finds its entries already expired, so its removes do nothing, and the entries go
    // with Hazelcast's expiry sweep (found by chaos/'s "nothing left" rule: hundreds of entries 20 s after the last
    // burn). A backup copy whose TTL ran out is kept 10 s longer (against clocks that drift apart): not here, backups
    // are never read (read-backup-data false) and the TTL is a backstop behind the room's own timer.
    c.setProperty("hazelcast.map.expiry.delay.seconds", "0");
    // Expired entries are swept by a task that visits 10 % of the partitions (at least 3 per partition thread) every
    // 5 s: a whole round took about a minute, and entries of rooms burned by their timer (their removes find them
    // expired) outlived them that long. Every partition every second instead; one with nothing expirable is skipped.
    c.setProperty("hazelcast.internal.map.expiration.task.period.seconds", "1");
    // Partitions: 71, not Hazelcast's 271 (decision 70). Each partition a node holds a copy of costs it heap for as
    // long as it runs, once first used: Hazelcast's multimap partition container alone (the event bus's
    // registrations) allocates a table for 1,000 maps on its first entry, 8 KiB; with 271 partitions that grew every
    // node's heap by up to 2 MiB over its first few hundred rooms (chaos/'s heap report). The cluster's few small
    // maps need no finer spread; the expiry sweep above visits a quarter as many partitions. All members must agree.
    String partitions = System.getProperty(PARTITION_COUNT, String.valueOf(PARTITIONS));
    c.setProperty(PARTITION_COUNT, partitions);
    c.setProperty("hazelcast.internal.map.expiration.cleanup.operation.count", partitions);
    // A backup copy that missed a write (its node paused or just gone when the write came, or its replica in the middle
    // of a migration) is repaired by Hazelcast's anti-entropy, every 30 s by default. A primary lost before that gave
    // the room back without what the copy missed: an extend's new expiry (the room's entry vanished at the old one,
    // its members told 4004 early) or acknowledged frames (found by chaos/, decision 54). Every second instead: a
    // check of each partition's version, data only for a replica that is behind.
    c.setProperty("hazelcast.partition.backup.sync.interval", "1");
    // The member port is an endpoint of Hazelcast's advanced network, not its classic network: there one port speaks
    // every protocol, and its encoder waits for the peer's protocol bytes by reporting "clean" with packets queued.
    // Towards a peer whose kernel accepted the connection but whose process is stopped, the output thread then re-ran
    // that connection without end and never went back to its selector, so another connection it served stopped
    // writing: the survivors' heartbeats to each other were held until the pause ended (decision 61, SilentPeerTest).
    // The member-only endpoint's encoders send at once or wait blocked.
    AdvancedNetworkConfig net = c.getAdvancedNetworkConfig().setEnabled(true);
    ServerSocketEndpointConfig member = new ServerSocketEndpointConfig();
    member.setPort(app.clusterPort());
    member.setPortAutoIncrement(app.clusterPort() == 0 || app.clusterMembers().isEmpty());
    member.setPublicAddress(null);
    member.getInterfaces().setEnabled(true).clear().addInterface(app.clusterHost());
    net.setMemberEndpointConfig(member);
    c.setProperty("hazelcast.local.localAddress", app.clusterHost());
    // Cluster traffic listens on and leaves from the cluster address only (docs/deploy.md's port table), not the
    // wildcard: on the advanced network an outgoing member connection otherwise took the kernel's source address
    // (127.0.0.1 for a loopback peer), which Hazelcast's connection warnings then printed (NoDiskIT: the client's IP).
    BIND_TO_CLUSTER_HOST.stream().filter(p -> System.getProperty(p) == null).forEach(p -> c.setProperty(p, "false"));
    JoinConfig join = net.getJoin();
    join.getMulticastConfig().setEnabled(false);
    join.getAutoDetectionConfig().setEnabled(false);
    join.getTcpIpConfig().getMembers().clear();
    if (app.clusterDiscovery() == AppConfig.Discovery.KUBERNETES) {
      // DNS lookup mode: every address behind the headless Service, on the cluster port. Needs no Kubernetes API
      // access (no service-account token), so pods run with automountServiceAccountToken: false. Hazelcast's
      // discovery joiner asks the DNS only while this wait lasts: cluster.xml's 0 (fast static joins) would make it
      // never ask at all and every pod a cluster of its own (docs/decisions.md 39).
      c.setProperty("hazelcast.wait.seconds.before.join", String.valueOf(KUBERNETES_JOIN_WAIT_SECONDS));
      join.getTcpIpConfig().setEnabled(false);
      join.getKubernetesConfig().setEnabled(true)
          .setProperty("service-dns", app.clusterServiceDns())
          .setProperty("service-port", String.valueOf(app.clusterPort()));
      return c;
    }
    join.getTcpIpConfig().setEnabled(true);
    if (app.clusterMembers().isEmpty()) {
      join.getTcpIpConfig().addMember(app.clusterHost());
    } else {
      app.clusterMembers().forEach(m -> join.getTcpIpConfig().addMember(m));
    }
    return c;
  }
}
