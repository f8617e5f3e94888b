// A relay that cheats: the FakeRelay's honest routing with programmable edits of every frame it sends to a
// member. The attack tests (attacks.test.js) use it the way a malicious server would: drop, hold back, swap,
// replay, rewrite or invent frames, for some members only.

import { FakeRelay, kindOf } from './fake-relay.js';

export { kindOf };

export class HostileRelay extends FakeRelay {
  constructor(roomId, opts) {
    super(roomId, opts);
    /** Each rule(to, frame) returns undefined (pass it on), null (drop it) or an array of frames to send instead. */
    this.rules = [];
    /** Every frame actually delivered, after the edits: {to, frame} */
    this.sent = [];
  }

  edit(rule) {
    this.rules.push(rule);
    return () => {
      this.rules = this.rules.filter((r) => r !== rule);
    };
  }

  deliver(sock, frame) {
    const to = sock && sock.seat ? sock.seat.memberId : null;
    let out = [frame];
    for (const rule of this.rules) {
      out = out.flatMap((f) => {
        const r = rule(to, f);
        if (r === undefined) return [f];
        return r === null ? [] : r;
      });
    }
    for (const f of out) {
      this.sent.push({ to, frame: f });
      super.deliver(sock, f);
    }
  }

  /** Sends a frame of our own making to one member, past the rules. */
  push(memberId, frame) {
    const seat = this.seats.get(memberId);
    super.deliver(seat && seat.sock, frame);
  }
}
