// A tiny in-memory stand-in for the Burnroom relay, following docs/protocol.md closely enough to drive
// Session objects in Node: joined/member_joined/member_left, msg relay with seq and per-member de-duplication,
// resume with replay after lastSeq, kick and burn with their close codes. It records every frame it sees, so
// tests can prove the relay never gets plaintext.

export class FakeRelay {
  constructor(roomId, { joinHash = null } = {}) {
    this.roomId = roomId;
    /** As the real node: a room created with a join hash admits a fresh join only with the matching token. */
    this.joinHash = joinHash;
    this.seats = new Map(); // memberId -> {memberId, profile, token, sock, seen: Map(id -> seq)}
    this.seq = 0;
    this.log = []; // {dir: 'in'|'out', memberId, data}
    this.relayed = []; // {seq, frame, to: [memberIds]}
    this.nextMember = 0;
    this.expiresAt = Date.now() + 600_000;
    this.dropBeforeAck = null; // memberId whose next msg is relayed but whose socket drops before the ack
    /** As BURNROOM_MAX_ATTACHMENT_BYTES; announced in `joined`. */
    this.maxAttachmentBytes = 10 * 1024 * 1024;
    /** Every chunk relayed: {frame, to: [memberIds]}. Chunks have no seq and are never replayed on resume. */
    this.chunks = [];
    /** How many of the next chunk frames are refused with `error rate_limited` (not relayed, not acked). */
    this.refuseChunks = 0;
    /** memberId whose socket drops right after its next chunk was relayed, before the ack */
    this.dropAfterChunk = null;
  }

  get Socket() {
    const relay = this;
    return class FakeSocket {
      constructor(url) {
        this.url = url;
        this.readyState = 0;
        this.seat = null;
        setImmediate(() => {
          this.readyState = 1;
          this.onopen && this.onopen();
        });
      }
      send(data) {
        if (this.readyState !== 1) throw new Error('socket not open');
        relay.log.push({ dir: 'in', memberId: this.seat && this.seat.memberId, data, at: Date.now() });
        setImmediate(() => relay.receive(this, JSON.parse(data)));
      }
      close(code = 1000, reason = '') {
        relay.closeSocket(this, code, reason, true);
      }
    };
  }

  deliver(sock, frame) {
    if (!sock || sock.readyState !== 1) return;
    const data = JSON.stringify(frame);
    this.log.push({ dir: 'out', memberId: sock.seat && sock.seat.memberId, data });
    setImmediate(() => sock.readyState === 1 && sock.onmessage && sock.onmessage({ data }));
  }

  closeSocket(sock, code, reason, byClient) {
    if (sock.readyState === 3) return;
    sock.readyState = 3;
    const seat = sock.seat;
    if (seat && seat.sock === sock) {
      seat.sock = null;
      if (byClient && (code === 1000 || code === 1001)) this.leave(seat.memberId, 'left');
    }
    setImmediate(() => sock.onclose && sock.onclose({ code, reason }));
  }

  /** A network drop: no close frame, the seat stays for a resume. */
  drop(memberId) {
    const seat = this.seats.get(memberId);
    if (seat && seat.sock) this.closeSocket(seat.sock, 1006, '', false);
  }

  others(memberId) {
    return [...this.seats.values()].filter((s) => s.memberId !== memberId);
  }

  receive(sock, f) {
    if (sock.readyState !== 1) return;
    if (f.type === 'join') return this.join(sock, f);
    const seat = sock.seat;
    if (!seat) return;
    if (f.type === 'msg') return this.msg(seat, f);
    if (f.type === 'chunk') return this.chunk(seat, f);
    if (f.type === 'admin') return this.admin(seat, f);
    if (f.type === 'ping') return this.deliver(sock, { type: 'pong', serverTime: Date.now() });
    return undefined;
  }

  members() {
    return [...this.seats.values()].map((s) => ({ memberId: s.memberId, profile: s.profile }));
  }

  async join(sock, f) {
    const existing = f.resume && [...this.seats.values()].find((s) => s.token === f.resume);
    if (existing) {
      if (existing.sock) this.closeSocket(existing.sock, 1000, 'replaced', false);
      existing.sock = sock;
      sock.seat = existing;
      this.deliver(sock, this.joinedFrame(existing));
      for (const r of this.relayed) {
        if (r.seq > (f.lastSeq || 0) && r.to.includes(existing.memberId)) this.deliver(sock, r.frame);
      }
      return;
    }
    if (this.joinHash && !(await tokenMatches(f.token, this.joinHash))) {
      this.deliver(sock, { type: 'error', code: 'join_token_invalid', message: 'The link is not valid any more.' });
      setImmediate(() => this.closeSocket(sock, 4010, 'join_token_invalid', false));
      return;
    }
    const seat = { memberId: `m${++this.nextMember}`, profile: f.profile, token: `t${Math.random()}`, sock, seen: new Map() };
    this.seats.set(seat.memberId, seat);
    sock.seat = seat;
    this.deliver(sock, this.joinedFrame(seat));
    for (const o of this.others(seat.memberId)) {
      this.deliver(o.sock, { type: 'member_joined', memberId: seat.memberId, profile: seat.profile });
    }
  }

  joinedFrame(seat) {
    return {
      type: 'joined', memberId: seat.memberId, resumeToken: seat.token, members: this.members(),
      expiresAt: this.expiresAt, serverTime: Date.now(), locked: false, seq: this.seq,
      maxAttachmentBytes: this.maxAttachmentBytes,
    };
  }

  /** Lets a test add a member whose profile it made up (a server without the link trying to join someone). */
  inject(memberId, profile) {
    this.seats.set(memberId, { memberId, profile, token: `t${memberId}`, sock: null, seen: new Map() });
    for (const o of this.others(memberId)) this.deliver(o.sock, { type: 'member_joined', memberId, profile });
  }

  msg(seat, f) {
    if (seat.seen.has(f.id)) {
      this.deliver(seat.sock, { type: 'ack', id: f.id, seq: seat.seen.get(f.id) });
      return;
    }
    const seq = ++this.seq;
    seat.seen.set(f.id, seq);
    const frame = { type: 'msg', from: seat.memberId, seq, id: f.id, body: f.body };
    if (f.to) frame.direct = true;
    const to = f.to ? [f.to] : this.others(seat.memberId).map((s) => s.memberId);
    this.relayed.push({ seq, frame, to });
    for (const id of to) this.deliver(this.seats.get(id) && this.seats.get(id).sock, frame);
    if (this.dropBeforeAck === seat.memberId) {
      this.dropBeforeAck = null;
      this.drop(seat.memberId);
      return;
    }
    this.deliver(seat.sock, { type: 'ack', id: f.id, seq });
  }

  /** Relayed like a msg but without a seq, never buffered for resume and never de-duplicated; acked by id. */
  chunk(seat, f) {
    if (this.refuseChunks > 0) {
      this.refuseChunks--;
      this.deliver(seat.sock, { type: 'error', code: 'rate_limited', message: 'Slow down.' });
      return;
    }
    const frame = { type: 'chunk', from: seat.memberId, id: f.id, body: f.body };
    if (f.to) frame.direct = true;
    const to = f.to ? [f.to] : this.others(seat.memberId).map((s) => s.memberId);
    this.chunks.push({ frame, to });
    for (const id of to) this.deliver(this.seats.get(id) && this.seats.get(id).sock, frame);
    if (this.dropAfterChunk === seat.memberId) {
      this.dropAfterChunk = null;
      this.drop(seat.memberId);
      return;
    }
    this.deliver(seat.sock, { type: 'chunk_ack', id: f.id });
  }

  /** The broadcast `msg` frames relayed from one member, in order; `kind` 'm' for messages, 'K' for key bundles. */
  relayedFrom(memberId, kind) {
    return this.relayed.filter((r) => r.frame.from === memberId && !r.frame.direct && (!kind || kindOf(r.frame) === kind))
      .map((r) => r.frame);
  }

  leave(memberId, reason) {
    if (!this.seats.delete(memberId)) return;
    for (const o of this.seats.values()) this.deliver(o.sock, { type: 'member_left', memberId, reason });
  }

  /** Creator operations with the PIN check left out: these tests are about what the members do. */
  admin(seat, f) {
    if (f.op === 'kick') {
      if (f.joinHash) this.joinHash = f.joinHash;
      this.kick(f.target);
    } else if (f.op === 'burn') {
      this.deliver(seat.sock, { type: 'admin_ok', op: 'burn' });
      this.burn();
      return;
    } else if (f.op === 'extend') {
      this.expiresAt += f.seconds * 1000;
      for (const s of this.seats.values()) this.deliver(s.sock, { type: 'extended', expiresAt: this.expiresAt });
    } else if (f.op === 'lock' || f.op === 'unlock') {
      for (const s of this.seats.values()) this.deliver(s.sock, { type: 'locked', locked: f.op === 'lock' });
    }
    this.deliver(seat.sock, { type: 'admin_ok', op: f.op });
  }

  kick(target) {
    const seat = this.seats.get(target);
    if (!seat) return;
    const sock = seat.sock;
    seat.banned = true;
    this.leave(target, 'kicked');
    if (sock) this.closeSocket(sock, 4001, 'kicked', false);
  }

  burn() {
    for (const s of this.seats.values()) {
      this.deliver(s.sock, { type: 'burned' });
      const sock = s.sock;
      setImmediate(() => sock && this.closeSocket(sock, 4000, 'burned', false));
    }
    this.seats.clear();
  }
}

/** The envelope kind of a relayed `msg` frame ('m' message, 'K' key bundle), without decrypting anything. */
export function kindOf(frame) {
  if (frame.type !== 'msg') return null;
  try {
    return JSON.parse(atob(frame.body.replace(/-/g, '+').replace(/_/g, '/'))).k;
  } catch (e) {
    return null;
  }
}

async function tokenMatches(token, joinHash) {
  if (typeof token !== 'string') return false;
  const bytes = Uint8Array.from(atob(token.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0));
  const digest = new Uint8Array(await globalThis.crypto.subtle.digest('SHA-256', bytes));
  const b64 = btoa(String.fromCharCode(...digest)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  return b64 === joinHash;
}

export async function waitFor(predicate, what = 'condition', ms = 5000) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await predicate()) return;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(`timed out waiting for ${what}`);
}
