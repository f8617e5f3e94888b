// Receiving: relayed seqs (a transport duplicate is dropped quietly), key bundles, messages whose key has not
// arrived yet, and what a verified message becomes for the UI. Nothing that fails a check is ever shown as text; it
// becomes a warning naming the sender. Methods of Session (session.js), installed on its prototype.

import { decodeEnvelope } from './primitives.js';
import { openBundle } from './bundles.js';
import { MAX_TEXT_CHARS, REACTIONS, validQuote } from './content.js';

/** How many messages per sender wait for a key bundle that has not arrived yet. */
const HELD_PER_SENDER = 50;
/** How many relayed seqs we remember to tell a transport duplicate from a held-back frame. */
const SEEN_SEQS = 2048;

export const inbox = {
  async onMsg(f) {
    // A seq seen before is a transport duplicate (an honest replay after resume): dropped quietly. A lower seq
    // not seen before is a frame the server held back: it goes on, and the sender's own order sorts it out.
    if (this.seenSeqs.has(f.seq) || f.seq <= this.seqFloor) return;
    this.seenSeqs.add(f.seq);
    if (this.seenSeqs.size > SEEN_SEQS) {
      const oldest = this.seenSeqs.values().next().value;
      this.seenSeqs.delete(oldest);
      this.seqFloor = Math.max(this.seqFloor, oldest);
    }
    this.lastSeq = Math.max(this.lastSeq, f.seq);
    this.noteSeq(f.seq);
    let env;
    try {
      env = decodeEnvelope(f.body);
    } catch (e) {
      this.reject(null, 'bad_format');
      return;
    }
    if (env.k === 'K') {
      await this.onBundle(f, env);
      return;
    }
    if (env.k === 'm') {
      await this.openMessage(f, env, false);
      return;
    }
    this.reject(null, 'bad_format');
  },

  async onBundle(f, env) {
    let opened;
    try {
      opened = await openBundle({
        roomId: this.roomId, env, myFp: this.identity.fp, dhOf: (i) => this.dhOf(i), roomKeyOf: (sid) => this.roomKeyOf(sid),
      });
    } catch (e) {
      this.reject(this.roster.byFp(env.s), e.reason || 'bad_key');
      return;
    }
    if (!opened) return; // an epoch we are not part of: sealed before the sender saw us, or we are out
    const sender = await this.roster.introduce(f.from, env, opened.body);
    if (!sender) {
      opened.chain.ck.fill(0);
      return;
    }
    const { body } = opened;
    // The body names the secret the sender's chain is salted with (the room's current one, as it knows it).
    const sec = body.sec && typeof body.sec === 'object' ? await this.learnSecret(body.sec.s, false) : null;
    if (sec) sender.sid = sec.sid;
    if (body.ch) await this.applyCharter(body.ch, sender);
    if (this.isOver()) return;
    if (!this.secrets.has(opened.chain.sid)) {
      this.reject(sender, 'no_key');
      return;
    }
    this.chains.install(sender.fp, opened.chain);
    opened.chain.ck.fill(0);
    this.roster.onEpoch(sender, env.e, body);
    if (this.introWait && this.introWait.delete(sender.fp) && !this.introWait.size) await this.finishIntro();
    const held = this.held.get(sender.fp) || [];
    this.held.delete(sender.fp);
    for (const h of held) await this.openMessage(h.f, h.env, true);
  },

  async openMessage(f, env, retry) {
    const sender = typeof env.s === 'string' ? this.roster.byFp(env.s) : null;
    if (!sender) {
      this.hold(f, env, retry);
      return;
    }
    if (!this.roster.checkRoute(sender, f.from)) return;
    if (sender.status !== 'present') {
      this.integrity('departed', `A message from ${sender.name}, who is no longer in the room, was sent again by the server; it was discarded.`);
      return;
    }
    // Sealed before the sender saw us join: not meant for us, and no gap in what is (its bundle told us where
    // its transcript stood when we came in).
    if (Number.isSafeInteger(env.e) && sender.firstEpoch !== undefined && env.e < sender.firstEpoch) return;
    let content;
    try {
      content = await this.chains.open({
        roomId: this.roomId, verifyKey: sender.sigKey, env, roomKeyOf: (sid) => this.roomKeyOf(sid),
      });
    } catch (e) {
      if (e.reason === 'no_key' && !retry) {
        this.hold(f, env, retry);
        return;
      }
      this.reject(sender, e.reason || 'bad_message');
      return;
    }
    await this.roster.sequence(sender, content, f);
  },

  /** The key bundle may still be on its way (a member who just joined); try again when it arrives. */
  hold(f, env, retry) {
    const key = typeof env.s === 'string' ? env.s : `?${f.from}`;
    if (retry) {
      this.reject(this.roster.byFp(key), 'no_key');
      return;
    }
    const list = this.held.get(key) || [];
    if (list.length < HELD_PER_SENDER) list.push({ f, env });
    this.held.set(key, list);
    if (list.length === 1) {
      // If the key never comes, say so instead of silently dropping what the sender wrote.
      this.later(() => this.enqueue(() => this.expireHeld(key, list)), this.heldMs);
    }
  },

  expireHeld(key, list) {
    if (this.held.get(key) !== list) return;
    this.held.delete(key);
    const sender = this.roster.byFp(key);
    for (let i = 0; i < list.length; i++) this.reject(sender, sender ? 'no_key' : 'unverified_sender');
  },

  /** A message that did not verify: never shown as text, always shown as a warning. */
  reject(sender, reason) {
    const who = sender ? sender.name : 'an unknown sender';
    const what = {
      replay: 'was a replay of an earlier message',
      bad_signature: 'has a signature that does not verify',
      bad_ciphertext: 'could not be decrypted',
      out_of_window: 'has a counter far out of order',
      no_key: 'arrived without a key',
      unverified_sender: 'came from someone who is not a verified member',
      bad_format: 'was malformed',
    }[reason] || 'did not verify';
    this.emit('rejected', { name: sender ? sender.name : null, reason });
    this.integrity(reason, `A message from ${who} ${what}; it was discarded.`);
  },

  /** Called by the roster once a message is in its sender's order; `i` is its number in that order. */
  async display(sender, content, f, i) {
    if (content.t === 'ctl') {
      if (content.sec) await this.learnSecret(content.sec, false);
      await this.applyCharter(content.ch, sender);
      return;
    }
    if (content.t === 'file') return this.transfers.onManifest(sender, content);
    if (content.t === 'file-end' || content.t === 'file-x') return this.transfers.onNote(sender, content);
    if (content.t === 'react') {
      if (typeof content.k !== 'string' || content.k.length > 64 || !REACTIONS.includes(content.e) || typeof content.on !== 'boolean') {
        this.reject(sender, 'bad_format');
        return;
      }
      this.emit('reaction', { key: content.k, emoji: content.e, on: content.on, fp: sender.fp, name: sender.name });
      return;
    }
    if (content.t !== 'text' || typeof content.text !== 'string' || content.text.length > MAX_TEXT_CHARS
        || (content.re !== undefined && !validQuote(content.re))) {
      this.reject(sender, 'bad_format');
      return;
    }
    this.emit('message', {
      id: `${sender.fp}:${f.id}`, key: `${sender.fp}:${i}`, from: f.from, fp: sender.fp, name: sender.name,
      badge: sender.badge, text: content.text, at: Number.isFinite(content.at) ? content.at : null, self: false,
      re: content.re || null,
    });
  },
};
