package io.burnroom.room;

import io.vertx.core.json.JsonObject;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The relayed frames a clustered room writes to the cluster, and reads back on restore. A relayed message does not
 * rewrite the room's snapshot ({@link RoomState#toSnapshot}); instead its frame is written once, with its sender,
 * client id and seq, to its slot of the room's {@link FrameRing}. Restoring reads both and replays the frames over the
 * snapshot, which gives back the seq, the de-duplication of every recent client id and the replay tail.
 *
 * <p>Acks and deliveries are released only after the writes that hold them (write-then-effect), so what a restored
 * room must know is what the last write batches covered: client ids whose ack died with the owner, and frames the
 * owner relayed but could not deliver. The ring's 64 frames cover the batches in flight (what arrives during one map
 * write, a few ms) with room to spare, and a slot is never rewritten while its write is in flight
 * ({@link WritePipeline}); the in-memory window (1024 ids, 256 frames) still serves reconnects while the owner lives.
 * Pure bookkeeping, no I/O: the room verticle hands {@link #takeWrites()} to the cluster.
 */
final class FrameReplication {
  private final FrameRing ring = new FrameRing();
  private Map<Integer, String> writes = new HashMap<>();

  /** A frame read back: what it was, who sent it (by member id) under which client id, to whom, and when. */
  record Replica(long seq, String from, String to, String clientId, String frame, long at, int length) {
    static Replica parse(String raw) {
      JsonObject j = new JsonObject(raw);
      return new Replica(j.getLong("seq"), j.getString("from"), j.getString("to"), j.getString("id"),
          j.getString("frame"), j.getLong("at"), raw.length());
    }
  }

  /** A relayed frame, to be written to its slot (and the slots the ring's budget clears, emptied). */
  void record(long seq, String from, String to, String clientId, String frame, long now) {
    String record = encode(seq, from, to, clientId, frame, now);
    for (int cleared : ring.put(seq, record.length())) {
      writes.put(cleared, null);
    }
    writes.put(FrameRing.slot(seq), record);
  }

  /**
   * A frame written before, to be written again to its slot if it still holds it (see {@link RoomState#rewrite}).
   * The record is the same as the first time: the client id is read back from the frame.
   */
  void rewrite(long seq, String from, String to, String frame, long at) {
    if (ring.holds(seq) && !writes.containsKey(FrameRing.slot(seq))) {
      writes.put(FrameRing.slot(seq), encode(seq, from, to, new JsonObject(frame).getString("id"), frame, at));
    }
  }

  private static String encode(long seq, String from, String to, String clientId, String frame, long at) {
    return new JsonObject().put("seq", seq).put("from", from).put("to", to).put("id", clientId).put("at", at)
        .put("frame", frame).encode();
  }

  /** Writes since the last call, by slot: a record to store, or null for a slot to clear. */
  Map<Integer, String> takeWrites() {
    if (writes.isEmpty()) {
      return Map.of();
    }
    Map<Integer, String> out = writes;
    writes = new HashMap<>();
    return out;
  }

  /** Every slot this room has written: what its burn must remove. */
  List<Integer> everUsed() {
    return ring.everUsed();
  }

  /** Stored records (in any order) in seq order; each takes its slot in this ring again. */
  List<Replica> restore(List<String> stored) {
    List<Replica> frames = stored.stream().map(Replica::parse).sorted(Comparator.comparingLong(Replica::seq)).toList();
    frames.forEach(f -> ring.put(f.seq(), f.length()));
    return frames;
  }
}
