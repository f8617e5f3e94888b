// Sending: our transcript numbering, sealing under the current epoch, the outbox that resends what the relay has not
// acknowledged (re-sealed if the epoch or identity changed meanwhile), and pacing below the relay's per-connection
// limit. Methods of Session (session.js), installed on its prototype.

import { b64u, encodeEnvelope, randomBytes } from './primitives.js';
import { badge } from './identity.js';
import { chainHash, sealMessage } from './chains.js';
import { MAX_TEXT_CHARS, QUOTE_CHARS, REACTIONS } from './content.js';

/**
 * Outgoing pacing, below the relay's default per-connection limit (20 frames/s, burst 40). A rekey is one frame
 * (one bundle for every member), so pacing only ever delays a burst of typed messages.
 */
export const SEND_BURST = 30;
const SEND_PER_SECOND = 15;

export const outbox = {
  sendFrame(frame) {
    if (!(this.ws && this.ws.readyState === 1 && this.state === 'joined')) return false;
    this.outQueue.push(JSON.stringify(frame));
    this.drain();
    return true;
  },

  drain() {
    const t = this.now();
    this.tokens = Math.min(SEND_BURST, this.tokens + ((t - this.lastRefill) * SEND_PER_SECOND) / 1000);
    this.lastRefill = t;
    while (this.outQueue.length && this.tokens >= 1 && this.ws && this.ws.readyState === 1) {
      this.ws.send(this.outQueue.shift());
      this.tokens -= 1;
    }
    if (this.outQueue.length && this.ws && !this.drainTimer && !this.wiped) {
      const wait = Math.ceil(((1 - this.tokens) * 1000) / SEND_PER_SECOND);
      this.drainTimer = this.setTimeout(() => {
        this.drainTimer = null;
        this.drain();
      }, Math.max(wait, 1));
    }
  },

  async seal(item) {
    if (this.introWait) await this.finishIntro();
    if (this.rekeyDue()) await this.rekey();
    const env = await sealMessage({
      chain: this.chain, roomKey: this.secrets.get(this.chain.sid).roomKey, signKey: this.identity.sig.privateKey,
      roomId: this.roomId, fp: this.identity.fp, content: item.content,
    });
    item.body = encodeEnvelope(env);
    item.epoch = this.chain.epoch;
    item.fp = this.identity.fp;
  },

  /** Puts content into our transcript: the next sequence number and the hash of everything before it. */
  async transcribe(content) {
    const i = this.myI + 1;
    const prev = this.myH;
    this.myH = await chainHash(prev, i, content);
    this.myI = i;
    return { ...content, i, p: prev };
  },

  async broadcast(content) {
    const item = { id: this.nextId('m'), content: await this.transcribe(content) };
    await this.seal(item);
    this.outbox.push(item);
    this.sendFrame({ type: 'msg', id: item.id, body: item.body });
    return item;
  },

  /**
   * After every (re)join: resends what was not acknowledged, re-sealed under the current epoch and identity if those
   * changed, then the attachment chunks still unacknowledged (transfers.js).
   */
  async flushOutbox() {
    for (const item of this.outbox) {
      if (item.epoch !== this.chain.epoch || item.fp !== this.identity.fp || this.rekeyDue()) await this.seal(item);
      this.sendFrame({ type: 'msg', id: item.id, body: item.body });
    }
    this.transfers.onRejoined();
  },

  /**
   * Chunk frames are paced by the relay (it holds back `chunk_ack`) and by the attachment window, not by the
   * message token bucket; they still queue behind anything already waiting there, so a chunk never overtakes
   * its manifest.
   */
  sendChunk(frame) {
    if (!(this.ws && this.ws.readyState === 1 && this.state === 'joined')) return false;
    if (this.outQueue.length) return this.sendFrame(frame);
    this.ws.send(JSON.stringify(frame));
    return true;
  },

  /**
   * Encrypts and sends a file (attachments.js, transfers.js); refused before upload when it is too big.
   * @param {{name: string, type: string, bytes: Uint8Array}} file
   */
  sendFile(file) {
    if (!this.memberId || this.isOver()) return Promise.resolve({ error: 'Not connected to the room: nothing was sent.' });
    return this.transfers.send(file);
  },

  /**
   * Encrypts and sends a message; it stays in the outbox (and is resent with the same id) until acknowledged.
   * @param {{key: string, name: string, text: string}} [replyTo] the message this one answers (quoted inside the
   *   ciphertext: the server sees a reply as just another message)
   */
  send(text, replyTo = null) {
    if (typeof text !== 'string' || !text.trim()) return Promise.resolve(null);
    if (text.length > MAX_TEXT_CHARS) return Promise.reject(new Error('message too long'));
    return this.enqueue(async () => {
      if (!this.memberId) throw new Error('not joined yet');
      const at = this.serverNow();
      const content = { t: 'text', text, at };
      if (replyTo) content.re = { k: replyTo.key, n: String(replyTo.name).slice(0, 64), x: [...String(replyTo.text)].slice(0, QUOTE_CHARS).join('') };
      const item = await this.broadcast(content);
      this.emit('message', {
        id: item.id, key: `${this.identity.fp}:${item.content.i}`, from: this.memberId, fp: this.identity.fp,
        name: this.name, badge: badge(this.identity.fp), text, at, self: true, pending: true, re: content.re || null,
      });
      return item.id;
    });
  },

  /** Toggles one of the fixed reactions on a message (by its key); encrypted like any message. */
  react(key, emoji, on) {
    if (!REACTIONS.includes(emoji) || typeof key !== 'string') return Promise.resolve(null);
    return this.enqueue(async () => {
      if (!this.memberId) throw new Error('not joined yet');
      await this.broadcast({ t: 'react', k: key, e: emoji, on: !!on });
      this.emit('reaction', { key, emoji, on: !!on, fp: this.identity.fp, name: this.name, self: true });
      return true;
    });
  },

  onAck(f) {
    this.noteSeq(f.seq);
    const i = this.outbox.findIndex((o) => o.id === f.id);
    if (i >= 0) {
      this.outbox.splice(i, 1);
      this.emit('ack', { id: f.id });
    }
  },

  nextId(prefix) {
    return `${prefix}${(++this.msgCounter).toString(36)}${b64u(randomBytes(6))}`;
  },
};
