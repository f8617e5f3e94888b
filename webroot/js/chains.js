// Sender chains (decision 35): MK = HKDF(CK, "msg"), CK' = HKDF(CK, "chain"), both salted with the room key; used
// keys are wiped at once, so a later theft of a browser opens nothing already sent or read. Also the transcript hash
// that chains each sender's messages, so a replay or a fork in what the server shows is recognised.

import { aesKey, b64u, canonical, concat, openAes, pad, parseJson, randomBytes, sealAes, sha256, sign, unb64u, unpad, utf8, verify, VerifyError } from './primitives.js';

const subtle = globalThis.crypto.subtle;

/** How far ahead of the expected counter a message may be, and how many skipped keys we keep for late arrivals. */
export const COUNTER_WINDOW = 256;

// ---------- sender chains ----------

/** A fresh sending chain for a new epoch; the room key it was made under is mixed into every step. */
export function newChain(epoch, sid) {
  return { epoch, sid, n: 0, ck: randomBytes(32), at: 0 };
}

/** One ratchet step: MK = HKDF(CK, salt = room key, "msg"), CK' = HKDF(CK, salt = room key, "chain"). */
export async function ratchetStep(ck, roomKey) {
  const base = await subtle.importKey('raw', ck, 'HKDF', false, ['deriveBits']);
  const salt = roomKey || new Uint8Array(32);
  const mkRaw = new Uint8Array(await subtle.deriveBits({ name: 'HKDF', hash: 'SHA-256', salt, info: utf8('burnroom/v2/msg') }, base, 256));
  const next = new Uint8Array(await subtle.deriveBits({ name: 'HKDF', hash: 'SHA-256', salt, info: utf8('burnroom/v2/chain') }, base, 256));
  const mk = await aesKey(mkRaw);
  mkRaw.fill(0);
  return { mk, next };
}

const msgAad = (roomId, fp, epoch, n) => utf8(`burnroom/v2/msg|${roomId}|${fp}|${epoch}|${n}`);

/**
 * Encrypts and signs one message with the sender's chain, then advances the chain and wipes the used chain key,
 * so a later compromise of this browser cannot decrypt what was already sent.
 */
export async function sealMessage({ chain, roomKey, signKey, roomId, fp, content }) {
  const n = chain.n;
  const { mk, next } = await ratchetStep(chain.ck, roomKey);
  chain.ck.fill(0);
  chain.ck = next;
  chain.n = n + 1;
  const aad = msgAad(roomId, fp, chain.epoch, n);
  const { iv, ct } = await sealAes(mk, pad(utf8(JSON.stringify(content))), aad);
  const sig = await sign(signKey, concat(aad, iv, ct));
  return { k: 'm', v: 2, s: fp, e: chain.epoch, n, iv: b64u(iv), ct: b64u(ct), sig: b64u(sig) };
}

/**
 * What a receiver knows of every other member's chains, by fingerprint. Per sender it keeps the current epoch
 * and the one before (messages sealed just before a rekey may still be in flight), and per chain the next counter
 * plus message keys skipped over for late arrivals, bounded by COUNTER_WINDOW. Used keys are deleted at once.
 * The highest epoch ever installed per sender outlives forget(): an old bundle replayed later installs nothing.
 */
export class ReceiveChains {
  constructor(window = COUNTER_WINDOW) {
    this.window = window;
    /** fp -> Map(epoch -> {n, ck, sid, skipped: Map(n -> mk)}) */
    this.bySender = new Map();
    /** fp -> highest epoch ever installed; never forgotten while the room lives */
    this.highest = new Map();
  }

  has(fp, epoch) {
    const m = this.bySender.get(fp);
    return !!m && (epoch === undefined || m.has(epoch));
  }

  /** Installs a chain from a verified key bundle. An older or equal epoch never rewinds a chain we had. */
  install(fp, { epoch, n, ck, sid }) {
    if ((this.highest.get(fp) ?? -1) >= epoch && !this.bySender.get(fp)?.has(epoch)) return false;
    let m = this.bySender.get(fp);
    if (!m) {
      m = new Map();
      this.bySender.set(fp, m);
    }
    if (m.has(epoch)) return false;
    m.set(epoch, { n, ck: new Uint8Array(ck), sid, skipped: new Map() });
    this.highest.set(fp, epoch);
    while (m.size > 2) {
      const oldest = Math.min(...m.keys());
      wipeChain(m.get(oldest));
      m.delete(oldest);
    }
    return true;
  }

  forget(fp) {
    const m = this.bySender.get(fp);
    if (m) for (const c of m.values()) wipeChain(c);
    this.bySender.delete(fp);
  }

  wipe() {
    for (const id of [...this.bySender.keys()]) this.forget(id);
    this.highest.clear();
  }

  /**
   * Verifies the signature first, then decrypts; the chain only moves on when everything checked out.
   * @param {(sid: string) => Uint8Array|undefined} roomKeyOf the room key a chain was made under
   */
  async open({ roomId, verifyKey, env, roomKeyOf }) {
    if (!Number.isSafeInteger(env.e) || !Number.isSafeInteger(env.n) || env.n < 0 || typeof env.s !== 'string'
        || typeof env.iv !== 'string' || typeof env.ct !== 'string' || typeof env.sig !== 'string') {
      throw new VerifyError('bad_format', 'message fields');
    }
    const aad = msgAad(roomId, env.s, env.e, env.n);
    const iv = unb64u(env.iv);
    const ct = unb64u(env.ct);
    if (iv.length !== 12) throw new VerifyError('bad_format', 'iv');
    await verify(verifyKey, unb64u(env.sig), concat(aad, iv, ct));
    const chain = this.bySender.get(env.s)?.get(env.e);
    if (!chain) {
      const old = (this.highest.get(env.s) ?? -1) >= env.e;
      throw new VerifyError(old ? 'replay' : 'no_key', old ? 'epoch already closed' : 'no chain key for this sender yet');
    }
    const roomKey = roomKeyOf(chain.sid);
    if (!roomKey) throw new VerifyError('no_key', 'room key unknown');

    let mk;
    let newCk = null;
    const newSkipped = [];
    if (env.n < chain.n) {
      mk = chain.skipped.get(env.n);
      if (!mk) throw new VerifyError('replay', 'message key already used');
    } else {
      if (env.n - chain.n > this.window) throw new VerifyError('out_of_window', 'counter too far ahead');
      let ck = chain.ck;
      for (let i = chain.n; i <= env.n; i++) {
        const step = await ratchetStep(ck, roomKey);
        if (ck !== chain.ck) ck.fill(0);
        ck = step.next;
        if (i < env.n) newSkipped.push([i, step.mk]);
        else mk = step.mk;
      }
      newCk = ck;
    }
    const content = parseJson(unpad(await openAes(mk, iv, ct, aad)), 'message');
    // Commit: only now does the chain move on and the used key disappear.
    if (newCk) {
      chain.ck.fill(0);
      chain.ck = newCk;
      chain.n = env.n + 1;
      for (const [i, k] of newSkipped) chain.skipped.set(i, k);
      while (chain.skipped.size > this.window) chain.skipped.delete(chain.skipped.keys().next().value);
    } else {
      chain.skipped.delete(env.n);
    }
    return content;
  }
}

function wipeChain(c) {
  c.ck.fill(0);
  c.skipped.clear();
}

// ---------- transcript ----------

/** The hash chain over one sender's messages: each message names the value before it. */
export async function chainHash(prev, i, content) {
  const digest = await sha256(utf8(`burnroom/v2/transcript|${prev}|${i}|${canonical(content)}`));
  return b64u(digest.subarray(0, 18));
}

export const TRANSCRIPT_START = 'start';
