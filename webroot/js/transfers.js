// Attachments in flight, both ways, for one session (decision 49, docs/client.md "Attachments"); the receiving
// side is incoming-files.js. The manifest and the end and cancel notes are ordinary E2EE messages of the session;
// the chunks are `chunk` frames with a window of unacknowledged ones, resent on a timeout, after `rate_limited`
// (with backoff) and after a reconnect. The server does not de-duplicate chunks: receivers take each (attachment,
// index) once. A file is bound to the epoch of its manifest: when someone who got the manifest leaves, the sender
// starts it again under a fresh key.

import * as A from './attachments.js';
import { IncomingFiles } from './incoming-files.js';

/** Chunks sent and not yet acknowledged, all files of this sender together (texts never wait behind more). */
const WINDOW = 4;
const ACK_TIMEOUT_MS = 8000;
/** Sends of one chunk before the file is reported as failed (with a retry button). */
const MAX_TRIES = 6;
/** No acknowledgement for this long (offline, or the server swallows chunks): the file is reported as failed. */
const SEND_STALL_MS = 60_000;
const BACKOFF_MS = [500, 1000, 2000, 4000, 8000];

export class Transfers {
  /** @param {import('./session.js').Session} session */
  constructor(session) {
    this.s = session;
    /** 0 until `joined` says the server relays files */
    this.maxBytes = 0;
    /** ui key -> outgoing file */
    this.out = new Map();
    this.incoming = new IncomingFiles(this);
    this.pausedUntil = 0;
    this.backoffStep = 0;
    this.ticker = null;
    this.pumping = false;
    this.seq = 0;
    /** Timings (tests shorten them) */
    this.ackTimeoutMs = ACK_TIMEOUT_MS;
    this.tickMs = 1000;
  }

  emit(e) {
    this.s.emit('attachment', e);
  }

  /**
   * `joined` says how big a file this server relays. A server that does not say so does not relay chunk frames
   * (it would count them as protocol violations): no file is sent there.
   */
  setLimit(max) {
    this.maxBytes = Number.isSafeInteger(max) && max > 0 ? max : 0;
  }

  tick() {
    if (this.ticker || this.s.isOver()) return;
    this.ticker = this.s.later(() => {
      this.ticker = null;
      this.s.enqueue(() => this.check());
    }, this.tickMs);
  }

  // ---------- sending ----------

  /**
   * Sends a file to the members present now. Refused before anything leaves the browser when it is bigger than
   * the server's limit (the returned error says so in the user's words).
   * @param {{name: string, type: string, bytes: Uint8Array}} file
   * @returns {Promise<{ui: string}|{error: string}>}
   */
  async send(file) {
    if (!this.maxBytes) return { error: 'This server does not relay files. Nothing was sent.' };
    if (!file.bytes.length) return { error: 'That file is empty.' };
    if (file.bytes.length > this.maxBytes) {
      return { error: `${A.cleanFileName(file.name)} is ${A.formatSize(file.bytes.length)}; this room takes files up to ${A.formatSize(this.maxBytes)}. Nothing was sent.` };
    }
    const ui = `out:${++this.seq}`;
    const o = { ui, bytes: file.bytes, file: { name: file.name, type: file.type }, state: 'new' };
    this.out.set(ui, o);
    try {
      await this.s.enqueue(() => this.announce(o, null));
    } catch (e) {
      o.state = 'failed';
    }
    if (o.state !== 'sending') {
      this.out.delete(ui);
      return { error: 'Not connected to the room: nothing was sent.' };
    }
    this.emit({
      ui, phase: 'start', self: true, name: o.m.name, mime: o.m.mime, size: o.m.size, done: 0, total: o.m.n,
      blob: new Blob([o.bytes], { type: A.INLINE_TYPES.has(o.m.mime) ? o.m.mime : 'application/octet-stream' }),
    });
    this.pump();
    return { ui };
  }

  /** Sends the manifest (inside the session's queue, so it takes its place in our transcript) and resets the chunks. */
  async announce(o, prev) {
    if (!this.s.memberId || !this.s.identity) return;
    o.m = await A.newManifest({ name: o.file.name, type: o.file.type, bytes: o.bytes }, prev);
    o.fp = this.s.identity.fp;
    o.key = await A.chunkKey(this.s.roomId, o.fp, o.m);
    o.recipients = new Set(this.s.roster.present().filter((m) => !m.self).map((m) => m.fp));
    Object.assign(o, { next: 0, acked: 0, inflight: new Map(), lastAck: this.s.now(), state: 'sending' });
    await this.s.broadcast(o.m);
    this.tick();
  }

  sending() {
    return [...this.out.values()].filter((o) => o.state === 'sending');
  }

  inflightCount() {
    return this.sending().reduce((n, o) => n + o.inflight.size, 0);
  }

  /** Fills the window. Runs outside the session's queue (sealing a chunk takes a millisecond or two). */
  async pump() {
    if (this.pumping) return;
    this.pumping = true;
    try {
      let again = true;
      while (again && !this.s.isOver() && this.s.now() >= this.pausedUntil) {
        again = false;
        for (const o of this.sending()) {
          if (this.mustRestart(o)) {
            await this.s.enqueue(() => this.restart(o));
            again = true;
            break;
          }
          while (o.state === 'sending' && o.next < o.m.n && this.inflightCount() < WINDOW && !this.s.isOver()) {
            if (this.mustRestart(o)) break; // checked before every chunk: a departure stops the old key at once
            const index = o.next++;
            const body = await A.sealChunk({
              key: o.key, signKey: this.s.identity.sig.privateKey, roomId: this.s.roomId, fp: o.fp, m: o.m, index,
              data: A.sliceOf(o.bytes, index),
            });
            const c = { id: this.s.nextId('c'), index, body, tries: 0, sentAt: 0 };
            o.inflight.set(c.id, c);
            this.transmit(c);
          }
          if (o.state === 'sending' && this.mustRestart(o)) again = true;
          if (again || this.inflightCount() >= WINDOW) break;
        }
      }
    } catch (e) {
      // The session ended under us (burn, kick), or a key went with it: what was in flight is reported by check().
    } finally {
      this.pumping = false;
    }
  }

  transmit(c) {
    c.sentAt = this.s.now();
    if (this.s.sendChunk({ type: 'chunk', id: c.id, body: c.body })) c.tries++;
  }

  /** Someone who holds this file's key left (or we are a new identity): what is left must not go out under it. */
  mustRestart(o) {
    if (!this.s.identity || o.fp !== this.s.identity.fp) return true;
    for (const fp of o.recipients) {
      const m = this.s.roster.byFp(fp);
      if (!m || m.status !== 'present') return true;
    }
    return false;
  }

  async restart(o) {
    if (o.state !== 'sending') return;
    const old = o.m.a;
    if (o.fp === (this.s.identity && this.s.identity.fp)) await this.s.broadcast({ t: 'file-x', a: old, why: 'restarted' });
    await this.announce(o, old);
    this.emit({ ui: o.ui, phase: 'progress', self: true, done: 0, total: o.m.n, note: 'Someone left: sending again under a new key.' });
  }

  /** `chunk_ack {id}` from the server. */
  onAck(id) {
    for (const o of this.sending()) {
      const c = o.inflight.get(id);
      if (!c) continue;
      o.inflight.delete(id);
      o.acked++;
      o.lastAck = this.s.now();
      this.backoffStep = 0;
      this.emit({ ui: o.ui, phase: 'progress', self: true, done: o.acked, total: o.m.n });
      if (o.acked === o.m.n) this.s.enqueue(() => this.finish(o));
      this.pump();
      return;
    }
  }

  async finish(o) {
    if (o.state !== 'sending') return;
    o.state = 'done';
    await this.s.broadcast({ t: 'file-end', a: o.m.a });
    this.emit({ ui: o.ui, phase: 'done', self: true, done: o.m.n, total: o.m.n });
    o.bytes = null;
    this.out.delete(o.ui);
  }

  /** `error rate_limited`: the frame it refused is unknown, so pause, then send every unacknowledged chunk again. */
  onRateLimited() {
    if (!this.sending().length) return;
    const wait = BACKOFF_MS[Math.min(this.backoffStep++, BACKOFF_MS.length - 1)];
    this.pausedUntil = this.s.now() + wait;
    this.s.later(() => this.resendAll(true), wait);
  }

  /** After a reconnect (our seat resumed or not): chunks not acknowledged go out again, same id. */
  onRejoined() {
    this.pausedUntil = 0;
    this.resendAll(false);
  }

  resendAll(counts) {
    for (const o of this.sending()) {
      for (const c of o.inflight.values()) {
        if (!counts) c.tries = Math.max(0, c.tries - 1);
        this.transmit(c);
      }
      o.lastAck = this.s.now();
    }
    this.pump();
  }

  async fail(o, why) {
    if (o.state !== 'sending') return;
    o.state = 'failed';
    o.inflight.clear();
    if (o.fp === (this.s.identity && this.s.identity.fp)) await this.s.broadcast({ t: 'file-x', a: o.m.a, why: 'failed' });
    this.emit({ ui: o.ui, phase: 'error', self: true, retry: true, text: `${o.m.name} could not be sent (${why}).` });
  }

  retry(ui) {
    const o = this.out.get(ui);
    if (!o || o.state !== 'failed' || !o.bytes) return Promise.resolve(false);
    return this.s.enqueue(async () => {
      await this.announce(o, o.m.a);
      if (o.state !== 'sending') return false;
      this.emit({ ui, phase: 'progress', self: true, done: 0, total: o.m.n, note: 'Sending again.' });
      this.pump();
      return true;
    });
  }

  /** The sender stops: the others are told (end to end) and drop what they have. Also discards a failed file. */
  cancel(ui) {
    const o = this.out.get(ui);
    if (o) {
      return this.s.enqueue(async () => {
        const was = o.state;
        o.state = 'cancelled';
        o.bytes = null;
        this.out.delete(ui);
        if (was === 'sending' && o.fp === (this.s.identity && this.s.identity.fp)) await this.s.broadcast({ t: 'file-x', a: o.m.a, why: 'cancelled' });
        this.emit({ ui, phase: 'cancelled', self: true, text: 'You cancelled this file.' });
        this.pump();
      });
    }
    return this.s.enqueue(() => this.incoming.discard(ui));
  }

  // ---------- receiving (incoming-files.js) ----------

  get in() {
    return this.incoming.in;
  }

  onManifest(sender, m) {
    return this.incoming.onManifest(sender, m);
  }

  onNote(sender, c) {
    return this.incoming.onNote(sender, c);
  }

  onChunk(f) {
    return this.incoming.onChunk(f);
  }

  // ---------- timers ----------

  /** Once a second while anything is in flight: ack timeouts, stalls, senders who left, early chunks. */
  async check() {
    const now = this.s.now();
    for (const o of this.sending()) {
      if (now - o.lastAck > SEND_STALL_MS) {
        await this.fail(o, 'no answer from the server for a minute');
        continue;
      }
      for (const c of o.inflight.values()) {
        if (now < this.pausedUntil || now - c.sentAt < this.ackTimeoutMs) continue;
        if (c.tries >= MAX_TRIES) {
          await this.fail(o, 'the server did not take it');
          break;
        }
        this.transmit(c);
      }
    }
    const busy = this.incoming.check(now);
    this.pump();
    if (this.sending().length || busy) this.tick();
  }

  /** Burn and every other ending: buffers zeroed, keys and files dropped. */
  wipe() {
    for (const o of this.out.values()) {
      if (o.bytes) o.bytes.fill(0);
      o.bytes = null;
      o.state = 'cancelled';
    }
    this.incoming.wipe();
    this.out.clear();
    this.ticker = null;
  }
}
