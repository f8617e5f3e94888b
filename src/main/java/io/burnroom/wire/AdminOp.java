package io.burnroom.wire;

import java.util.Locale;

/** Creator operations, each guarded by the room PIN. {@code ROTATE} replaces the room's join hash. */
public enum AdminOp {
  KICK, LOCK, UNLOCK, EXTEND, BURN, ROTATE;

  public String wire() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** The op for a wire name, or null when there is none. */
  public static AdminOp fromWire(String s) {
    for (AdminOp op : values()) {
      if (op.wire().equals(s)) {
        return op;
      }
    }
    return null;
  }
}
