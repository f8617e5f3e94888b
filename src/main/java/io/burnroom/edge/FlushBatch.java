package io.burnroom.edge;

import java.util.ArrayList;
import java.util.concurrent.Executor;

/**
 * Flushes each socket written to once per turn of its event loop, instead of once per frame. The first socket that
 * needs a flush queues one task on the loop, behind whatever work is already waiting there; every socket written to
 * until that task runs is flushed by it. A socket that gets several frames in one turn (deliveries of several rooms'
 * messages, an ack beside a delivery) then costs one write system call instead of one per frame; on an idle loop the
 * task runs right after the current one, so no frame waits for anything but the work already queued.
 *
 * <p>Event-loop confined, like the edge that owns it.
 */
final class FlushBatch {
  /** A socket whose writes may wait for one flush. */
  interface Target {
    /** Marks the target as queued; false if it already was (then it is not queued twice). */
    boolean queueFlush();

    /** Clears the mark and flushes what was written. */
    void flushQueued();
  }

  private final Executor loop;
  private ArrayList<Target> waiting = new ArrayList<>();
  private ArrayList<Target> spare = new ArrayList<>();
  private final Runnable flushAll = this::flushAll;

  FlushBatch(Executor loop) {
    this.loop = loop;
  }

  /** {@code target} has unflushed writes: it is flushed in this turn's flush task. */
  void add(Target target) {
    if (!target.queueFlush()) {
      return;
    }
    if (waiting.isEmpty()) {
      loop.execute(flushAll);
    }
    waiting.add(target);
  }

  private void flushAll() {
    // Swap first: a flush can run handlers (a failed write closes its socket) that write and queue again; those
    // land in the next batch instead of in the list being walked.
    ArrayList<Target> batch = waiting;
    waiting = spare;
    for (int i = 0; i < batch.size(); i++) {
      batch.get(i).flushQueued();
    }
    batch.clear();
    spare = batch;
  }
}
