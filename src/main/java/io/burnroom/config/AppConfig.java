package io.burnroom.config;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Everything a node is told at start-up, read once from the environment (and matching {@code --flags}). Nothing else
 * reads {@code System.getenv}. Invalid values fail fast with a message naming the variable.
 */
public record AppConfig(
    String httpHost,
    int httpPort,
    String mgmtHost,
    int mgmtPort,
    List<String> allowedOrigins,
    boolean cluster,
    String clusterHost,
    int clusterPort,
    List<String> clusterMembers,
    Discovery clusterDiscovery,
    String clusterServiceDns,
    String clusterName,
    int failureDetectSeconds,
    int clusterSize,
    int minTtlSeconds,
    int maxTtlSeconds,
    Limits limits,
    ChunkLimits chunkLimits,
    List<String> trustedProxies,
    int connectsPerMinutePerSource,
    int adminAttemptsPerMinutePerSource,
    Tls tls,
    boolean nativeTransport) {

  /**
   * A certificate chain and private key in PEM, read into memory once at start so the chat port can serve HTTPS/WSS
   * directly. Never printed: {@link #toString()} hides the key.
   */
  public record Tls(String certPem, String keyPem) {
    @Override
    public String toString() {
      return "Tls[cert=" + certPem.length() + " chars, key=hidden]";
    }
  }

  /**
   * How a clustered node finds the others: the static {@code BURNROOM_CLUSTER_MEMBERS} list, or Hazelcast's Kubernetes
   * discovery, which looks up every address behind a DNS name (a headless Service) and joins them on the cluster port.
   */
  public enum Discovery { MEMBERS, KUBERNETES }

  /**
   * How many members this node must see to serve: a strict majority of {@code BURNROOM_CLUSTER_SIZE} when that is 3 or
   * more, otherwise 1 (an embedded node, a 2-node cluster, or no size given: every node serves alone; decision 48).
   */
  public int quorum() {
    return !cluster || clusterSize < 3 ? 1 : clusterSize / 2 + 1;
  }

  /** True when the chat port serves TLS itself (otherwise a reverse proxy terminates it). */
  public boolean tlsEnabled() {
    return tls != null;
  }

  public static final String PREFIX = "BURNROOM_";

  /** Reads the environment, then lets {@code --http-port=8081}-style flags override it. */
  public static AppConfig from(Map<String, String> env, String[] args) {
    Map<String, String> merged = new HashMap<>(env);
    for (String arg : args) {
      if (!arg.startsWith("--") || !arg.contains("=")) {
        throw new IllegalArgumentException("Flags look like --http-port=8081; got: " + arg);
      }
      String name = arg.substring(2, arg.indexOf('=')).replace('-', '_').toUpperCase(Locale.ROOT);
      merged.put(PREFIX + name, arg.substring(arg.indexOf('=') + 1));
    }
    return from(merged);
  }

  public static AppConfig from(Map<String, String> env) {
    Reader r = new Reader(env);
    int minTtl = r.integer("MIN_TTL_SECONDS", 300, 1, 86_400);
    int maxTtl = r.integer("MAX_TTL_SECONDS", 86_400, minTtl, 7 * 86_400);
    Limits d = Limits.defaults();
    Limits limits = d
        .withRates(r.integer("MSGS_PER_SECOND_PER_CONNECTION", d.msgsPerSecond(), 1, 1_000_000),
            r.integer("ROOMS_PER_MINUTE_PER_SOURCE", d.roomsPerMinute(), 1, 1_000_000))
        .withCapacity(r.integer("MAX_MEMBERS_PER_ROOM", d.maxMembersPerRoom(), 2, 1_000),
            r.integer("MAX_ROOMS_PER_NODE", d.maxRoomsPerNode(), 1, 1_000_000),
            r.integer("MAX_SOCKETS_PER_NODE", d.maxSocketsPerNode(), 1, 1_000_000))
        .withTimeouts(r.integer("JOIN_TIMEOUT_MS", (int) d.joinTimeoutMs(), 100, 600_000),
            r.integer("RESUME_GRACE_MS", (int) d.resumeGraceMs(), 100, 3_600_000));
    Discovery discovery = r.discovery();
    String serviceDns = r.string("CLUSTER_SERVICE_DNS", null);
    if ((discovery == Discovery.KUBERNETES) != (serviceDns != null)) {
      throw new IllegalArgumentException(PREFIX + "CLUSTER_SERVICE_DNS is needed with, and only with, "
          + PREFIX + "CLUSTER_DISCOVERY=kubernetes");
    }
    if (discovery == Discovery.KUBERNETES && !r.list("CLUSTER_MEMBERS").isEmpty()) {
      throw new IllegalArgumentException(PREFIX + "CLUSTER_MEMBERS is for " + PREFIX + "CLUSTER_DISCOVERY=members; "
          + "with kubernetes the members come from " + PREFIX + "CLUSTER_SERVICE_DNS");
    }
    return new AppConfig(
        r.string("HTTP_HOST", "0.0.0.0"),
        r.integer("HTTP_PORT", 8080, 0, 65535),
        r.string("MGMT_HOST", "127.0.0.1"),
        r.integer("MGMT_PORT", 9090, 0, 65535),
        r.list("ALLOWED_ORIGINS"),
        r.bool("CLUSTER", false),
        r.address("CLUSTER_HOST", "127.0.0.1"),
        r.integer("CLUSTER_PORT", 5701, 0, 65535),
        r.list("CLUSTER_MEMBERS"),
        discovery,
        serviceDns,
        r.string("CLUSTER_NAME", "burnroom"),
        r.integer("FAILURE_DETECT_SECONDS", 5, 1, 300),
        r.integer("CLUSTER_SIZE", 0, 0, 1_000),
        minTtl,
        maxTtl,
        limits,
        chunkLimits(r),
        r.addresses("TRUSTED_PROXIES"),
        r.integer("CONNECTS_PER_MINUTE_PER_SOURCE", 300, 1, 1_000_000),
        r.integer("ADMIN_ATTEMPTS_PER_MINUTE_PER_SOURCE", 30, 1, 1_000_000),
        r.tls(),
        r.bool("NATIVE_TRANSPORT", true));
  }

  /** Attachment limits (decision 47); a connection may not outrun its room, nor a room its node. */
  private static ChunkLimits chunkLimits(Reader r) {
    ChunkLimits d = ChunkLimits.defaults();
    int node = r.integer("NODE_BYTES_PER_SECOND", d.nodeBytesPerSecond(), 65_536, Integer.MAX_VALUE);
    int room = r.integer("ROOM_BYTES_PER_SECOND", Math.min(d.roomBytesPerSecond(), node), 65_536, node);
    return new ChunkLimits(
        r.integer("MAX_ATTACHMENT_BYTES", d.maxAttachmentBytes(), 1, 1 << 30),
        r.integer("CHUNK_BYTES_PER_SECOND_PER_CONNECTION", Math.min(d.connectionBytesPerSecond(), room), 65_536, room),
        room,
        node,
        d.maxUnackedChunks());
  }

  /** The defaults, as a node started with an empty environment would use them. */
  public static AppConfig defaults() {
    return from(Map.of());
  }

  private record Reader(Map<String, String> env) {
    String string(String name, String fallback) {
      String v = env.get(PREFIX + name);
      return v == null || v.isBlank() ? fallback : v.trim();
    }

    int integer(String name, int fallback, int min, int max) {
      String v = string(name, null);
      if (v == null) {
        return fallback;
      }
      try {
        int n = Integer.parseInt(v);
        if (n < min || n > max) {
          throw new IllegalArgumentException(PREFIX + name + " must be between " + min + " and " + max + "; got " + n);
        }
        return n;
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException(PREFIX + name + " must be a whole number; got '" + v + "'");
      }
    }

    boolean bool(String name, boolean fallback) {
      String v = string(name, null);
      if (v == null) {
        return fallback;
      }
      return switch (v.toLowerCase(Locale.ROOT)) {
        case "true", "1", "yes" -> true;
        case "false", "0", "no" -> false;
        default -> throw new IllegalArgumentException(PREFIX + name + " must be true or false; got '" + v + "'");
      };
    }

    /**
     * An IP address, or a host name resolved once now (IPv4 first): the cluster binds and advertises an address, and
     * in a compose network a container knows its own address only by its service name.
     */
    String address(String name, String fallback) {
      String v = string(name, fallback);
      try {
        java.net.InetAddress[] all = java.net.InetAddress.getAllByName(v);
        return Arrays.stream(all).filter(a -> a instanceof java.net.Inet4Address).findFirst().orElse(all[0])
            .getHostAddress();
      } catch (java.net.UnknownHostException e) {
        throw new IllegalArgumentException(PREFIX + name + " is neither an IP address nor a name that resolves: " + v);
      }
    }

    Discovery discovery() {
      String v = string("CLUSTER_DISCOVERY", "members");
      return switch (v.toLowerCase(Locale.ROOT)) {
        case "members" -> Discovery.MEMBERS;
        case "kubernetes" -> Discovery.KUBERNETES;
        default -> throw new IllegalArgumentException(PREFIX + "CLUSTER_DISCOVERY must be members or kubernetes; got '"
            + v + "'");
      };
    }

    /** A list of IP addresses / CIDR blocks, checked now so a typo fails at start rather than trusting nobody. */
    List<String> addresses(String name) {
      List<String> v = list(name);
      try {
        io.burnroom.http.ClientAddress.validate(v);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(PREFIX + name + ": " + e.getMessage());
      }
      return v;
    }

    /** Both TLS files or neither; each read once into memory. */
    Tls tls() {
      String cert = string("TLS_CERT", null);
      String key = string("TLS_KEY", null);
      if (cert == null && key == null) {
        return null;
      }
      if (cert == null || key == null) {
        throw new IllegalArgumentException(PREFIX + "TLS_CERT and " + PREFIX + "TLS_KEY must be set together");
      }
      return new Tls(pem("TLS_CERT", cert), pem("TLS_KEY", key));
    }

    private String pem(String name, String path) {
      try {
        String text = java.nio.file.Files.readString(java.nio.file.Path.of(path));
        if (!text.contains("-----BEGIN ")) {
          throw new IllegalArgumentException(PREFIX + name + " is not a PEM file: " + path);
        }
        return text;
      } catch (java.io.IOException e) {
        throw new IllegalArgumentException(PREFIX + name + " cannot be read: " + path);
      }
    }

    List<String> list(String name) {
      String v = string(name, null);
      if (v == null) {
        return List.of();
      }
      List<String> out = new ArrayList<>();
      Arrays.stream(v.split(",")).map(String::trim).filter(s -> !s.isEmpty()).forEach(out::add);
      return List.copyOf(out);
    }
  }
}
