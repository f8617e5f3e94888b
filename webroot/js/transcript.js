// Each sender's transcript order: a decrypted message is shown once everything before it in its sender's order was
// shown; a gap waits briefly, a number seen before is a replay, a hash that does not follow is a fork. Methods of
// Roster (roster.js), installed on its prototype: they share its members and its session.

import { chainHash } from './chains.js';

export const transcript = {
  /** Puts a decrypted message into its sender's order: shown when everything before it was shown. */
  async sequence(m, content, f) {
    const i = content.i;
    if (!Number.isSafeInteger(i) || i < 1 || typeof content.p !== 'string') {
      this.s.reject(m, 'bad_format');
      return;
    }
    if (!m.seq) m.seq = { next: i, h: content.p, known: i - 1, pending: new Map(), timer: null };
    const q = m.seq;
    if (i < q.next || q.pending.has(i)) {
      this.s.integrity('replay', `The server sent a message from ${m.name} a second time; it is shown only once.`);
      return;
    }
    const { i: _i, p, ...bare } = content;
    q.pending.set(i, { content: bare, p, f });
    await this.drain(m);
  },

  async drain(m) {
    const q = m.seq;
    if (!q || m.status !== 'present') return;
    while (q.pending.has(q.next)) {
      const item = q.pending.get(q.next);
      q.pending.delete(q.next);
      if (q.h !== null && item.p !== q.h) {
        this.s.integrity('fork', `${m.name}'s message #${q.next} does not follow what you saw from them before: someone is showing you a different conversation.`);
      }
      const i = q.next;
      q.h = await chainHash(item.p, i, item.content);
      q.known = Math.max(q.known, i);
      q.next++;
      await this.s.display(m, item.content, item.f, i);
      if (this.s.isOver()) return;
    }
    const gap = q.pending.size > 0 || q.next <= q.known;
    if (!gap) {
      if (q.timer) this.s.clearTimeout(q.timer);
      q.timer = null;
      return;
    }
    if (q.pending.size) {
      const first = Math.min(...q.pending.keys());
      this.s.integrity('gap', `Messages from ${m.name} are missing or out of order: expected #${q.next}, got #${first}.`, `gap:${m.fp}:${q.next}`);
    }
    if (!q.timer) q.timer = this.s.later(() => this.s.enqueue(() => this.skipGap(m)), this.s.reorderMs);
  },

  /** The wait for a missing message is over: say how many never came, and go on with what did. */
  async skipGap(m) {
    const q = m.seq;
    if (!q) return;
    q.timer = null;
    const first = q.pending.size ? Math.min(...q.pending.keys()) : q.known + 1;
    if (first <= q.next) return;
    const n = first - q.next;
    const range = n > 1 ? `#${q.next}–#${first - 1}` : `#${q.next}`;
    this.s.integrity('dropped', `${n} message(s) from ${m.name} never arrived (${range}): the server dropped them.`);
    q.next = first;
    q.h = null;
    await this.drain(m);
  },
};
