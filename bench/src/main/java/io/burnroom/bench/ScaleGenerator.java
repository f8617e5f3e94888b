package io.burnroom.bench;

import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.epoll.EpollEventLoopGroup;
import io.netty.channel.nio.NioEventLoopGroup;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * One process of idle members for the scale scenario ({@link Scale}): every process on this machine may hold 20,000
 * open files, so a node's 18,000 sockets come from several of these, each with at most ~9,000 sockets and its own
 * loopback source address (127.0.0.x), which gives it its own range of ephemeral ports.
 *
 * <p>Talks to the bench over stdin/stdout, one line each way:
 * <pre>
 *   args:   PORT SOURCE TRANSPORT(epoll|nio) MEMBERS_PER_ROOM CONCURRENCY
 *   stdin:  "r ROOM_ID" per room, then "go"   →  stdout "joined N failed F ms T" (first error on stderr)
 *           "exit" or end of input             →  the process exits (its sockets go with it)
 * </pre>
 * Members are {@link LeanSocket}s on one Netty event loop that join with the bench's {@code join} frame and then stay
 * idle (they answer pings). Nothing is written anywhere but stdout and stderr.
 */
public final class ScaleGenerator {
  private static final byte[] JOINED = "{\"type\":\"joined\"".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] ERROR = "{\"type\":\"error\"".getBytes(StandardCharsets.US_ASCII);

  private final EventLoop loop;
  private final boolean epoll;
  private final String source;
  private final int port;
  private final List<String> rooms;
  private final int perRoom;
  private final int concurrency;
  /** Touched on the event loop only. */
  private int next;
  private int inFlight;
  private int joined;
  private int failed;
  private String firstError;
  private final List<LeanSocket> sockets = new ArrayList<>();
  private final CountDownLatch done = new CountDownLatch(1);

  private ScaleGenerator(EventLoop loop, boolean epoll, String source, int port, List<String> rooms, int perRoom,
                         int concurrency) {
    this.loop = loop;
    this.epoll = epoll;
    this.source = source;
    this.port = port;
    this.rooms = rooms;
    this.perRoom = perRoom;
    this.concurrency = concurrency;
  }

  public static void main(String[] args) throws Exception {
    int port = Integer.parseInt(args[0]);
    String source = args[1];
    boolean epoll = args[2].equals("epoll");
    int perRoom = Integer.parseInt(args[3]);
    int concurrency = Integer.parseInt(args[4]);
    EventLoopGroup group = epoll ? new EpollEventLoopGroup(1) : new NioEventLoopGroup(1);
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.US_ASCII));
    List<String> rooms = new ArrayList<>();
    System.out.println("generator ready " + source);
    System.out.flush();
    String line;
    while ((line = in.readLine()) != null) {
      if (line.startsWith("r ")) {
        rooms.add(line.substring(2).trim());
      } else if (line.equals("go")) {
        ScaleGenerator g = new ScaleGenerator(group.next(), epoll, source, port, rooms, perRoom, concurrency);
        long t0 = System.nanoTime();
        g.loop.execute(g::fill);
        boolean finished = g.done.await(300, TimeUnit.SECONDS);
        long ms = (System.nanoTime() - t0) / 1_000_000;
        if (g.firstError != null) {
          System.err.println("generator " + source + " first failure: " + g.firstError);
        }
        System.out.println("joined " + g.joined + " failed " + (g.failed + (finished ? 0 : 1)) + " ms " + ms);
        System.out.flush();
      } else if (line.equals("exit")) {
        break;
      }
    }
    // end of input or "exit": the sockets close with the process (the node sees them drop, as after a crash)
    System.exit(0);
  }

  /** On the loop: keeps {@link #concurrency} connects in flight until every member has joined or failed. */
  private void fill() {
    int total = rooms.size() * perRoom;
    while (inFlight < concurrency && next < total) {
      String room = rooms.get(next / perRoom);
      next++;
      inFlight++;
      Member m = new Member();
      LeanSocket.connect(loop, epoll, source, "127.0.0.1", port, "/ws/rooms/" + room, m).onComplete(ar -> {
        if (ar.failed()) {
          m.finish(false, String.valueOf(ar.cause()));
        } else {
          sockets.add(ar.result());
          ar.result().send(Fleet.JOIN_FRAME);
        }
      });
    }
    if (inFlight == 0 && next >= total) {
      done.countDown();
    }
  }

  private final class Member implements LeanSocket.Listener {
    private boolean finished;

    void finish(boolean ok, String why) {
      if (finished) {
        return;
      }
      finished = true;
      inFlight--;
      if (ok) {
        joined++;
      } else {
        failed++;
        if (firstError == null) {
          firstError = why;
        }
      }
      fill();
    }

    @Override
    public void onMessage(LeanSocket socket, byte[] prefix, int length, int size) {
      if (Fleet.startsWith(prefix, length, JOINED)) {
        finish(true, null);
      } else if (Fleet.startsWith(prefix, length, ERROR)) {
        finish(false, new String(prefix, 0, length, StandardCharsets.UTF_8));
      }
    }

    @Override
    public void onClose(LeanSocket socket, int code, String reason) {
      finish(false, "closed " + code + " " + reason);
    }
  }
}
