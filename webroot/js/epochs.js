// Epochs: our sending chain and ECDH keys turn over on every roster change, every (re)join, every 100 messages and
// every 5 minutes, and each new epoch goes out as one key bundle to exactly the members present (post-compromise
// recovery, and nobody who left holds anything of it). Methods of Session (session.js), installed on its prototype.

import { encodeEnvelope } from './primitives.js';
import { newDhKey } from './identity.js';
import { newChain } from './chains.js';
import { sealBundle } from './bundles.js';

/** Post-compromise recovery: a new epoch at least this often, and after this many messages. */
const REKEY_EVERY_MS = 5 * 60_000;
const REKEY_EVERY_MSGS = 100;
/** How long a newcomer waits for the members' bundles (their current ECDH keys) before its own first epoch. */
const INTRO_WAIT_MS = 2000;
/** How many of our own ECDH keys stay usable for bundles still in flight. */
const DH_KEPT = 4;

export const epochs = {
  /** A fresh ECDH key for others to seal our next bundles to; the last three stay for bundles in flight. */
  async rotateDh() {
    const last = this.dhKeys[this.dhKeys.length - 1];
    // Bundles sealed to a key we dropped are lost, so under a burst of rekeys (fifty joins) the key turns at most
    // every dhRotateMs and the last DH_KEPT stay: forward secrecy at the grain of a few seconds, not of an epoch.
    if (last && this.now() - last.at < this.dhRotateMs) return;
    const k = await newDhKey();
    this.dhKeys.push({ index: last ? last.index + 1 : 0, pair: k.pair, pub: k.pub, at: this.now() });
    while (this.dhKeys.length > DH_KEPT) this.dhKeys.shift();
  },

  dhOf(index) {
    const k = this.dhKeys.find((d) => d.index === index);
    return k && k.pair;
  },

  /** A newcomer's first epoch waits until these members' bundles came in, or INTRO_WAIT_MS passed. */
  awaitIntro(fps) {
    this.introWait = new Set(fps);
    this.later(() => this.enqueue(() => this.finishIntro()), INTRO_WAIT_MS);
  },

  /** Our first epoch after a fresh join, once every member's current ECDH key is known (or the wait is over). */
  async finishIntro() {
    if (!this.introWait) return;
    this.introWait = null;
    await this.rekey();
    await this.flushOutbox();
  },

  scheduleRekey(ms = this.rekeyDebounceMs) {
    this.rekeyWanted = true;
    if (this.rekeyTimer) return;
    this.rekeyTimer = this.later(() => {
      this.rekeyTimer = null;
      this.enqueue(() => (this.rekeyWanted ? this.rekey() : undefined));
    }, ms);
  },

  rekeyDue() {
    return this.rekeyWanted || !this.chain || this.chain.n >= REKEY_EVERY_MSGS
      || this.chain.sid !== this.sid || this.now() - this.chain.at >= REKEY_EVERY_MS;
  },

  /**
   * A new epoch: a fresh chain and a fresh ECDH key of ours, sent in one bundle to exactly the members present
   * now. Whoever left or was kicked holds nothing of it; a thief of our earlier state holds nothing of it either.
   */
  async rekey() {
    if (this.introWait) return; // finishIntro makes our first epoch, to keys we know are current
    this.rekeyWanted = false;
    if (this.chain) this.chain.ck.fill(0);
    this.chain = newChain(++this.epoch, this.sid);
    this.chain.at = this.now();
    this.later(() => this.enqueue(() => (this.now() - this.chain.at >= REKEY_EVERY_MS ? this.rekey() : undefined)), REKEY_EVERY_MS);
    if (this.epoch > 1) await this.rotateDh();
    if (this.state !== 'joined' || !this.memberId) return;
    const recipients = this.roster.present().filter((m) => !m.self).map((m) => {
      // Sealed under a secret the recipient holds: after a rotation it may not have heard of the new one yet.
      const sid = this.secrets.has(m.sid) ? m.sid : this.sid;
      return { fp: m.fp, dh: m.dh, sid, roomKey: this.secrets.get(sid).roomKey };
    });
    const dh = this.dhKeys[this.dhKeys.length - 1];
    const current = this.secrets.get(this.sid);
    const body = {
      prof: this.profileObj,
      dh: { i: dh.index, pub: dh.pub },
      ro: this.roster.present().map((m) => m.fp).sort(),
      ch: this.charter,
      sec: { sid: current.sid, s: current.secret },
      i: this.myI,
      h: this.myH,
    };
    const env = await sealBundle({
      roomId: this.roomId, fp: this.identity.fp, signKey: this.identity.sig.privateKey, chain: this.chain, recipients, body,
    });
    if (recipients.length) this.sendFrame({ type: 'msg', id: this.nextId('k'), body: encodeEnvelope(env) });
  },

};
