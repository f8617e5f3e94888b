package io.burnroom.http;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Which address a request comes from, for rate limits and lockouts (kept in memory only, never logged). The TCP peer
 * is the answer unless it is one of the configured trusted proxies ({@code BURNROOM_TRUSTED_PROXIES}, addresses or
 * CIDR blocks). Then the {@code X-Forwarded-For} chain is read from the right, skipping trusted proxies: the first
 * entry that is not a trusted proxy was written by our own proxy and names the real peer. Entries further left were
 * written by the client and can be anything, so they are never believed.
 */
public final class ClientAddress {
  private static final Pattern IPV4 = Pattern.compile("(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})");
  private static final Pattern IPV6 = Pattern.compile("[0-9a-fA-F:.]{2,45}");

  private record Block(byte[] network, int prefixBits) {
    boolean contains(byte[] address) {
      if (address.length != network.length) {
        return false;
      }
      int full = prefixBits / 8;
      for (int i = 0; i < full; i++) {
        if (address[i] != network[i]) {
          return false;
        }
      }
      int rest = prefixBits % 8;
      if (rest == 0) {
        return true;
      }
      int mask = (0xFF << (8 - rest)) & 0xFF;
      return (address[full] & mask) == (network[full] & mask);
    }
  }

  private final List<Block> trusted;

  /** @throws IllegalArgumentException naming the entry when one is not an IP address or CIDR block */
  public ClientAddress(List<String> trustedProxies) {
    List<Block> blocks = new ArrayList<>();
    for (String entry : trustedProxies) {
      String e = entry.trim();
      int slash = e.indexOf('/');
      byte[] net = parse(slash < 0 ? e : e.substring(0, slash));
      if (net == null) {
        throw new IllegalArgumentException("not an IP address or CIDR block: '" + e + "'");
      }
      int bits = net.length * 8;
      if (slash >= 0) {
        try {
          bits = Integer.parseInt(e.substring(slash + 1));
        } catch (NumberFormatException x) {
          throw new IllegalArgumentException("bad prefix length in '" + e + "'");
        }
        if (bits < 0 || bits > net.length * 8) {
          throw new IllegalArgumentException("bad prefix length in '" + e + "'");
        }
      }
      blocks.add(new Block(net, bits));
    }
    this.trusted = List.copyOf(blocks);
  }

  /** Validates a trusted-proxies list (for config errors at start-up). */
  public static void validate(List<String> trustedProxies) {
    new ClientAddress(trustedProxies);
  }

  /**
   * @param peer          the TCP peer's address (may be null)
   * @param forwardedFor  every {@code X-Forwarded-For} header value, in the order received
   */
  public String of(String peer, List<String> forwardedFor) {
    byte[] peerBytes = peer == null ? null : parse(peer);
    if (peerBytes == null) {
      return peer == null ? "unknown" : peer;
    }
    String answer = canonical(peerBytes);
    if (!isTrusted(peerBytes) || forwardedFor == null || forwardedFor.isEmpty()) {
      return answer;
    }
    List<String> hops = new ArrayList<>();
    for (String header : forwardedFor) {
      for (String part : header.split(",")) {
        hops.add(part.trim());
      }
    }
    for (int i = hops.size() - 1; i >= 0; i--) {
      byte[] hop = parse(stripPort(hops.get(i)));
      if (hop == null) {
        // Garbage can only come from the client side of the chain: stop at the last hop we could trust.
        return answer;
      }
      answer = canonical(hop);
      if (!isTrusted(hop)) {
        return answer;
      }
    }
    return answer;
  }

  /** True when the TCP peer is a trusted proxy (so its X-Forwarded-Proto can be believed too). */
  public boolean isTrustedPeer(String peer) {
    byte[] b = peer == null ? null : parse(peer);
    return b != null && isTrusted(b);
  }

  private boolean isTrusted(byte[] address) {
    for (Block b : trusted) {
      if (b.contains(address)) {
        return true;
      }
    }
    return false;
  }

  private static String stripPort(String hop) {
    if (hop.startsWith("[")) {
      int end = hop.indexOf(']');
      return end > 0 ? hop.substring(1, end) : hop;
    }
    int colon = hop.indexOf(':');
    if (colon > 0 && colon == hop.lastIndexOf(':')) {
      return hop.substring(0, colon); // IPv4 with a port
    }
    return hop;
  }

  /** The address's bytes for an IP literal; null for anything else. Never resolves names. */
  static byte[] parse(String text) {
    if (text == null) {
      return null;
    }
    String t = text.trim();
    if (t.startsWith("[") && t.endsWith("]")) {
      t = t.substring(1, t.length() - 1);
    }
    var v4 = IPV4.matcher(t);
    if (v4.matches()) {
      byte[] b = new byte[4];
      for (int i = 0; i < 4; i++) {
        int octet = Integer.parseInt(v4.group(i + 1));
        if (octet > 255) {
          return null;
        }
        b[i] = (byte) octet;
      }
      return b;
    }
    if (t.indexOf(':') >= 0 && IPV6.matcher(t).matches()) {
      try {
        // Only hex digits, colons and dots reach here, so this parses a literal and never does a DNS lookup.
        byte[] b = InetAddress.getByName(t).getAddress();
        return b.length == 16 || b.length == 4 ? b : null;
      } catch (UnknownHostException | RuntimeException e) {
        return null;
      }
    }
    return null;
  }

  private static String canonical(byte[] b) {
    try {
      return InetAddress.getByAddress(b).getHostAddress().toLowerCase(Locale.ROOT);
    } catch (UnknownHostException e) {
      return "unknown";
    }
  }
}
