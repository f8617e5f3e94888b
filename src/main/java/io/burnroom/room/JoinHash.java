package io.burnroom.room;

import io.burnroom.wire.Base64Text;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;

/**
 * The SHA-256 of a room's current join token. The creator's browser derives the 32-byte token from the link secret
 * and registers only this hash (at creation, and again with each rotation), so a fresh join must show the token of
 * the current link: the room id alone, or a link from before a kick, admits nobody. The room never sees the secret,
 * and keeps and replicates only the hash; it is never logged.
 */
public final class JoinHash {
  private final byte[] hash;

  private JoinHash(byte[] hash) {
    this.hash = hash;
  }

  /** The hash as sent by a client (32 bytes, canonical unpadded base64url), or null when absent or malformed. */
  public static JoinHash fromWire(String wire) {
    byte[] bytes = Base64Text.key32(wire);
    return bytes == null ? null : new JoinHash(bytes);
  }

  /** The hash of {@code token}: what a creator registers for it (tests and tools; browsers compute their own). */
  public static JoinHash of(byte[] token) {
    return new JoinHash(sha256(token));
  }

  /** True when {@code token} (base64url of 32 bytes) hashes to this; the comparison takes the same time either way. */
  public boolean admits(String token) {
    byte[] bytes = Base64Text.key32(token);
    return bytes != null && MessageDigest.isEqual(hash, sha256(bytes));
  }

  /** As stored in the room's snapshot and sent on the wire. */
  public String toWire() {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(hash);
  }

  /** Never the hash itself: a room's state may be printed in a test failure, and this must not reach a log. */
  @Override
  public String toString() {
    return "JoinHash[redacted]";
  }

  static byte[] sha256(byte[] bytes) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(bytes);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every JDK", e);
    }
  }
}
