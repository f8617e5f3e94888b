package io.burnroom.cluster;

import com.hazelcast.config.ClasspathXmlConfig;
import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.NetworkConfig;
import io.burnroom.app.AppConfig;

/**
 * Builds the Hazelcast configuration from {@code cluster.xml} (memory only) and the node's {@link AppConfig}:
 * cluster name, bind address, port, the static member list and how fast a silent node is declared dead.
 */
public final class ClusterConfig {
  private ClusterConfig() {
  }

  public static Config hazelcast(AppConfig app) {
    Config c = new ClasspathXmlConfig("cluster.xml");
    c.setClusterName(app.clusterName());
    c.setProperty("hazelcast.max.no.heartbeat.seconds", String.valueOf(app.failureDetectSeconds()));
    c.setProperty("hazelcast.heartbeat.interval.seconds", "1");
    NetworkConfig net = c.getNetworkConfig();
    net.setPort(app.clusterPort());
    net.setPortAutoIncrement(app.clusterPort() == 0 || app.clusterMembers().isEmpty());
    net.setPublicAddress(null);
    net.getInterfaces().setEnabled(true).clear().addInterface(app.clusterHost());
    c.setProperty("hazelcast.local.localAddress", app.clusterHost());
    JoinConfig join = net.getJoin();
    join.getMulticastConfig().setEnabled(false);
    join.getAutoDetectionConfig().setEnabled(false);
    join.getTcpIpConfig().setEnabled(true).getMembers().clear();
    if (app.clusterMembers().isEmpty()) {
      join.getTcpIpConfig().addMember(app.clusterHost());
    } else {
      app.clusterMembers().forEach(m -> join.getTcpIpConfig().addMember(m));
    }
    return c;
  }
}
