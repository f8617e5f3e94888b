// Attachments coming in (decision 49, docs/client.md "Attachments"): manifests in their sender's order, chunks
// as the relay hands them over (any order, maybe twice, maybe forged), put together and shown only once the whole
// file's SHA-256 matches its manifest. Anything less is said on screen as incomplete, never shown as a file.

import * as A from './attachments.js';

/** A receiver says a file is stuck after this long without a new chunk (it still takes chunks that come later). */
const RECEIVE_STALL_MS = 45_000;
/** After the sender's end note, how long chunks still in transit may take before the file is called incomplete. */
const END_GRACE_MS = 3000;
/** Chunks that came before their manifest (they take another path through the relay), per room. */
const EARLY_MAX = 16;
const EARLY_MS = 5000;
/** What a hostile sender or server can make us hold at once. */
const INCOMING_PER_SENDER = 4;
const INCOMING_BYTES = 128 * 1024 * 1024;

export class IncomingFiles {
  /** @param {import('./transfers.js').Transfers} transfers */
  constructor(transfers) {
    this.t = transfers;
    this.s = transfers.s;
    /** `${fp}:${attachment id}` -> incoming file; kept (without its buffers) while the room lives, so a replayed
     * manifest or chunk of a file that is over is recognised, and a restart finds the item it replaces */
    this.in = new Map();
    /** held chunks whose manifest has not arrived: [{from, chunk, at}] */
    this.early = [];
  }

  /** A verified manifest, in its sender's order (called by the session's display). */
  async onManifest(sender, m) {
    if (!A.validManifest(m, this.t.maxBytes)) {
      this.s.reject(sender, 'bad_format');
      return;
    }
    const id = `${sender.fp}:${m.a}`;
    if (this.in.has(id)) return;
    const mine = [...this.in.values()].filter((x) => x.state === 'receiving');
    const prev = m.prev ? this.in.get(`${sender.fp}:${m.prev}`) : null;
    const ui = prev ? prev.ui : id;
    if (prev) this.drop(prev);
    const x = { id, ui, m, sender, state: 'receiving', lastAt: this.s.now(), ended: false, re: new A.Reassembly(m) };
    this.in.set(id, x);
    const base = { ui, self: false, name: m.name, mime: m.mime, size: m.size, total: m.n, from: sender.name, badge: sender.badge };
    if (mine.filter((y) => y.sender.fp === sender.fp).length >= INCOMING_PER_SENDER
        || mine.reduce((n, y) => n + y.m.size, 0) + m.size > INCOMING_BYTES) {
      this.drop(x);
      x.state = 'error';
      this.t.emit({ ...base, phase: 'start', done: 0 });
      this.t.emit({ ui, phase: 'error', text: `${m.name} was not received: too many files at once.` });
      return;
    }
    x.key = await A.chunkKey(this.s.roomId, sender.fp, m);
    this.t.emit({ ...base, phase: 'start', done: 0 });
    this.t.tick();
    const held = this.early.filter((e) => e.from === sender.memberId && e.chunk.a === m.a);
    this.early = this.early.filter((e) => !held.includes(e));
    for (const e of held) await this.take(x, e.chunk);
  }

  /** The sender's end or cancel note, in its order after the manifest. */
  async onNote(sender, c) {
    const x = typeof c.a === 'string' ? this.in.get(`${sender.fp}:${c.a}`) : null;
    if (!x || x.state !== 'receiving') return;
    if (c.t === 'file-end') {
      x.ended = true;
      this.s.later(() => this.s.enqueue(() => this.checkEnded(x)), END_GRACE_MS);
      return;
    }
    const why = { cancelled: 'cancelled it', failed: 'could not finish sending it', restarted: 'is sending it again' }[c.why]
      || 'stopped sending it';
    this.drop(x);
    x.state = 'cancelled';
    if (c.why !== 'restarted') this.t.emit({ ui: x.ui, phase: 'cancelled', text: `${x.m.name}: ${sender.name} ${why}.` });
  }

  checkEnded(x) {
    if (x.state !== 'receiving' || x.re.complete()) return;
    this.incomplete(x, 'the sender finished, but');
  }

  incomplete(x, lead) {
    const forged = x.re.forged ? ` ${x.re.forged} part(s) that arrived did not verify (forged or damaged) and were discarded.` : '';
    this.t.emit({
      ui: x.ui, phase: 'error',
      text: `${x.m.name} is incomplete: ${lead} only ${x.re.got} of ${x.m.n} parts arrived.${forged} Ask ${x.sender.name} to send it again.`,
    });
    this.drop(x);
    x.state = 'error';
  }

  /** A `chunk` frame from the server. */
  async onChunk(f) {
    const chunk = A.parseChunk(f.body);
    if (!chunk) {
      this.s.integrity('chunk', 'A damaged part of a file arrived; it was discarded.', 'chunk-format');
      return;
    }
    // From a seat nobody verified sits in (or a sender who just left): nothing of ours, dropped.
    const m = this.s.roster.bySeat(f.from);
    if (!m) return;
    const x = this.in.get(`${m.fp}:${chunk.a}`);
    if (!x) {
      // Not announced yet (its manifest is on the way), or a file that is over: held briefly, then forgotten.
      this.early.push({ from: f.from, chunk, at: this.s.now() });
      if (this.early.length > EARLY_MAX) this.early.shift();
      this.t.tick();
      return;
    }
    await this.take(x, chunk);
  }

  async take(x, chunk) {
    if (x.state !== 'receiving' || x.re.has(chunk.index)) return; // over, or a duplicate (resends are not de-duplicated)
    let padded;
    try {
      padded = await A.openChunk({
        key: x.key, verifyKey: x.sender.sigKey, roomId: this.s.roomId, fp: x.sender.fp, m: x.m, chunk,
      });
    } catch (e) {
      x.re.forged++;
      this.s.integrity('chunk', `A part of ${x.sender.name}'s file ${x.m.name} did not verify (forged, moved or damaged); it was discarded.`, `chunk:${x.id}`);
      return;
    }
    if (!x.re.put(chunk.index, padded)) return;
    x.lastAt = this.s.now();
    this.t.emit({ ui: x.ui, phase: 'progress', done: x.re.got, total: x.m.n });
    if (!x.re.complete()) return;
    let bytes;
    try {
      bytes = await x.re.assemble();
    } catch (e) {
      this.t.emit({ ui: x.ui, phase: 'error', text: `${x.m.name} was not shown: what arrived is not the file ${x.sender.name} announced.` });
      this.drop(x);
      x.state = 'error';
      return;
    }
    x.state = 'done';
    const type = A.INLINE_TYPES.has(x.m.mime) ? x.m.mime : 'application/octet-stream';
    const blob = new Blob([bytes], { type });
    bytes.fill(0);
    this.t.emit({ ui: x.ui, phase: 'done', done: x.m.n, total: x.m.n, blob });
  }

  /** The receiver discards a file: nothing more of it is kept or shown. */
  discard(ui) {
    for (const x of this.in.values()) {
      if (x.ui !== ui) continue;
      this.drop(x);
      x.state = 'discarded';
      this.t.emit({ ui, phase: 'cancelled', text: `You discarded ${x.m.name}.` });
    }
  }

  drop(x) {
    x.re.wipe();
    x.key = null;
    if (x.state === 'receiving') x.state = 'dropped';
  }

  /** Once a second: senders who left, stalls, early chunks that never found their manifest. @returns busy */
  check(now) {
    for (const x of this.in.values()) {
      if (x.state !== 'receiving') continue;
      if (x.sender.status !== 'present') this.incomplete(x, `${x.sender.name} left, and`);
      else if (!x.stalled && now - x.lastAt > RECEIVE_STALL_MS) {
        x.stalled = true;
        this.t.emit({ ui: x.ui, phase: 'stalled', text: `${x.m.name} is stuck: ${x.re.got} of ${x.m.n} parts so far.` });
      }
    }
    this.early = this.early.filter((e) => now - e.at < EARLY_MS);
    return this.early.length > 0 || [...this.in.values()].some((x) => x.state === 'receiving');
  }

  wipe() {
    for (const x of this.in.values()) this.drop(x);
    this.in.clear();
    this.early = [];
  }
}
