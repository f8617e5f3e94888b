package io.burnroom.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.burnroom.support.TestNodes;
import io.burnroom.support.WsClient;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * A node runs on Netty's epoll transport when the build's {@code target/native/} is on {@code java.library.path}
 * (the README's command, and this build's test JVM), without Netty copying its library anywhere; with
 * {@code BURNROOM_NATIVE_TRANSPORT=false}, or without the library, it runs on NIO. Both relay the same protocol.
 */
@DisplayName("Network transport: epoll from target/native, NIO otherwise")
class TransportTest {
  private static final String PROFILE = "cHJvZmlsZQ==";

  @Test
  @DisplayName("epoll: loaded in place from target/native, no copy of the library in java.io.tmpdir")
  void epollFromTheBuildsLibraryDirectory() throws IOException {
    assumeTrue(System.getProperty("os.name").startsWith("Linux") && System.getProperty("os.arch").equals("amd64"),
        "the build ships the x86-64 Linux library only");
    assertThat(System.getProperty("java.library.path")).as("the build's native.jvm.flags reached this JVM")
        .contains("target" + java.io.File.separator + "native");
    List<Path> before = nettyCopies();
    relaysOn(Map.of(), "epoll");
    assertThat(nettyCopies()).as("Netty extracted no library into java.io.tmpdir").isEqualTo(before);
  }

  @Test
  @DisplayName("NIO when BURNROOM_NATIVE_TRANSPORT=false")
  void nioWhenTurnedOff() {
    relaysOn(Map.of("BURNROOM_NATIVE_TRANSPORT", "false"), "nio");
  }

  /** Starts a node, checks its transport, and has two members exchange a message (relay + ack). */
  private static void relaysOn(Map<String, String> env, String transport) {
    try (TestNodes nodes = new TestNodes()) {
      var node = nodes.embedded(env);
      assertThat(node.transport()).isEqualTo(transport);
      String roomId = nodes.createRoom(node, 600).getString("roomId");
      try (WsClient a = nodes.ws(node, roomId); WsClient b = nodes.ws(node, roomId)) {
        a.join(PROFILE);
        b.join(PROFILE);
        a.msg("m1", "QUFB");
        assertThat(b.expect("msg").getString("body")).isEqualTo("QUFB");
        assertThat(a.expect("ack").getString("id")).isEqualTo("m1");
      }
    }
  }

  private static List<Path> nettyCopies() throws IOException {
    try (Stream<Path> files = Files.list(Paths.get(System.getProperty("java.io.tmpdir")))) {
      return files.filter(p -> p.getFileName().toString().contains("netty")).sorted().toList();
    }
  }
}
