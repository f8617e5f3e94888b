// Burnroom client cryptography. WebCrypto only (globalThis.crypto.subtle), so the same file runs in the
// browser and in Node 20 for the tests. Nothing here touches the network, the DOM or any storage.
//
// Layers (see DESIGN.md "Cryptography" and docs/client.md):
//   link secret --HKDF(salt=roomId)--> profileKey (AES-GCM) seals each member's profile {name, public keys}
//   ECDH P-256 between two members --HKDF--> pairwise key that carries one member's sender chain key to another
//   sender chain: MK = HKDF(CK,"msg"), CK' = HKDF(CK,"chain"); each message key is used once and forgotten
//   every message and key bundle is also signed with the sender's ECDSA P-256 key

const subtle = globalThis.crypto.subtle;
const te = new TextEncoder();
const td = new TextDecoder('utf-8', { fatal: true });

/** How far ahead of the expected counter a message may be, and how many skipped keys we keep for late arrivals. */
export const COUNTER_WINDOW = 256;
/** Longest message text (characters) the client accepts to send; keeps every body well under the 64 KiB frame. */
export const MAX_TEXT_CHARS = 4000;

export class VerifyError extends Error {
  /** @param {string} reason stable machine-readable reason: bad_format, bad_signature, bad_ciphertext, replay, out_of_window, no_key */
  constructor(reason, message) {
    super(message || reason);
    this.reason = reason;
  }
}

// ---------- encoding ----------

export function b64u(bytes) {
  const u8 = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  let s = '';
  for (let i = 0; i < u8.length; i += 0x8000) {
    s += String.fromCharCode.apply(null, u8.subarray(i, i + 0x8000));
  }
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

export function unb64u(text) {
  if (typeof text !== 'string' || !/^[A-Za-z0-9_-]*$/.test(text)) {
    throw new VerifyError('bad_format', 'not base64url');
  }
  const s = atob(text.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (text.length % 4)) % 4));
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

export const utf8 = (s) => te.encode(s);

export function randomBytes(n) {
  return globalThis.crypto.getRandomValues(new Uint8Array(n));
}

function concat(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Envelopes travel as base64url(JSON) so the relay only ever sees base64 text, as the protocol requires. */
export function encodeEnvelope(env) {
  return b64u(utf8(JSON.stringify(env)));
}

export function decodeEnvelope(body) {
  let env;
  try {
    env = JSON.parse(td.decode(unb64u(body)));
  } catch (e) {
    throw new VerifyError('bad_format', 'envelope is not base64url JSON');
  }
  if (!env || typeof env !== 'object' || typeof env.k !== 'string') {
    throw new VerifyError('bad_format', 'envelope has no kind');
  }
  return env;
}

// ---------- link secret and profile key ----------

/** 32 random bytes, base64url: the part of the link after '#', which browsers never send to a server. */
export function newLinkSecret() {
  return b64u(randomBytes(32));
}

export function isLinkSecret(s) {
  try {
    return typeof s === 'string' && unb64u(s).length === 32;
  } catch (e) {
    return false;
  }
}

async function hkdfBits(ikm, salt, info, bits = 256) {
  const base = await subtle.importKey('raw', ikm, 'HKDF', false, ['deriveBits']);
  return new Uint8Array(await subtle.deriveBits({ name: 'HKDF', hash: 'SHA-256', salt, info: utf8(info) }, base, bits));
}

async function aesKey(raw, usages = ['encrypt', 'decrypt']) {
  return subtle.importKey('raw', raw, { name: 'AES-GCM' }, false, usages);
}

/** profileKey = HKDF-SHA-256(secret, salt = roomId). Non-extractable: it can encrypt but never be read back. */
export async function deriveProfileKey(secret, roomId) {
  const raw = await hkdfBits(unb64u(secret), utf8(roomId), 'burnroom/v1/profile');
  const key = await aesKey(raw);
  raw.fill(0);
  return key;
}

// ---------- identities ----------

/** A member's two key pairs. Private keys are non-extractable; public keys are exported raw for the profile. */
export async function generateIdentity() {
  const ecdh = await subtle.generateKey({ name: 'ECDH', namedCurve: 'P-256' }, false, ['deriveBits']);
  const ecdsa = await subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify']);
  return {
    ecdh,
    ecdsa,
    ecdhPub: b64u(await subtle.exportKey('raw', ecdh.publicKey)),
    ecdsaPub: b64u(await subtle.exportKey('raw', ecdsa.publicKey)),
  };
}

async function sealAes(key, plaintext, aad) {
  const iv = randomBytes(12); // fresh 96-bit IV for every encryption
  const ct = new Uint8Array(await subtle.encrypt({ name: 'AES-GCM', iv, additionalData: aad }, key, plaintext));
  return { iv, ct };
}

async function openAes(key, iv, ct, aad) {
  try {
    return new Uint8Array(await subtle.decrypt({ name: 'AES-GCM', iv, additionalData: aad }, key, ct));
  } catch (e) {
    throw new VerifyError('bad_ciphertext', 'decryption failed');
  }
}

/** Profile = AES-GCM(profileKey, {name, ecdhPub, ecdsaPub}, AAD = roomId), sent as base64url(iv || ct). */
export async function sealProfile(profileKey, roomId, identity, name) {
  const body = utf8(JSON.stringify({ v: 1, name, ecdhPub: identity.ecdhPub, ecdsaPub: identity.ecdsaPub }));
  const { iv, ct } = await sealAes(profileKey, pad(body), utf8(roomId));
  return b64u(concat(iv, ct));
}

/**
 * Opens a profile relayed by the server. Throws VerifyError when it was not made with this room's link secret
 * (a server without the link cannot add a member) or when its keys are malformed.
 */
export async function openProfile(profileKey, roomId, profile) {
  const bytes = unb64u(profile);
  if (bytes.length < 12 + 16) throw new VerifyError('bad_format', 'profile too short');
  const plain = unpad(await openAes(profileKey, bytes.subarray(0, 12), bytes.subarray(12), utf8(roomId)));
  let p;
  try {
    p = JSON.parse(td.decode(plain));
  } catch (e) {
    throw new VerifyError('bad_format', 'profile is not JSON');
  }
  if (!p || typeof p.name !== 'string' || p.name.length < 1 || p.name.length > 64
      || typeof p.ecdhPub !== 'string' || typeof p.ecdsaPub !== 'string') {
    throw new VerifyError('bad_format', 'profile fields');
  }
  let ecdhKey;
  let ecdsaKey;
  try {
    ecdhKey = await subtle.importKey('raw', unb64u(p.ecdhPub), { name: 'ECDH', namedCurve: 'P-256' }, false, []);
    ecdsaKey = await subtle.importKey('raw', unb64u(p.ecdsaPub), { name: 'ECDSA', namedCurve: 'P-256' }, false, ['verify']);
  } catch (e) {
    throw new VerifyError('bad_format', 'profile keys');
  }
  return { name: p.name, ecdhPub: p.ecdhPub, ecdsaPub: p.ecdsaPub, ecdhKey, ecdsaKey };
}

// ---------- signatures ----------

const ECDSA = { name: 'ECDSA', hash: 'SHA-256' };

async function sign(privateKey, data) {
  return new Uint8Array(await subtle.sign(ECDSA, privateKey, data));
}

async function verify(publicKey, sig, data) {
  let ok = false;
  try {
    ok = await subtle.verify(ECDSA, publicKey, sig, data);
  } catch (e) {
    ok = false;
  }
  if (!ok) throw new VerifyError('bad_signature', 'signature does not verify');
}

// ---------- pairwise key distribution ----------

/** Both members derive the same AES key from ECDH; the AAD of each bundle names sender and receiver. */
export async function pairwiseKey(myEcdhPrivate, theirEcdhPublic, roomId) {
  const shared = new Uint8Array(await subtle.deriveBits({ name: 'ECDH', public: theirEcdhPublic }, myEcdhPrivate, 256));
  const raw = await hkdfBits(shared, utf8(roomId), 'burnroom/v1/pairwise');
  shared.fill(0);
  const key = await aesKey(raw);
  raw.fill(0);
  return key;
}

const bundleAad = (roomId, from, to, epoch) => utf8(`burnroom/v1/key|${roomId}|${from}|${to}|${epoch}`);

/** Wraps one sender chain state {epoch, ck, n} for one receiver, signed by the sender. */
export async function sealKeyBundle({ pairKey, signKey, roomId, from, to, chain }) {
  const aad = bundleAad(roomId, from, to, chain.epoch);
  const plain = utf8(JSON.stringify({ e: chain.epoch, n: chain.n, ck: b64u(chain.ck) }));
  const { iv, ct } = await sealAes(pairKey, plain, aad);
  const sig = await sign(signKey, concat(aad, iv, ct));
  return { k: 'k', e: chain.epoch, iv: b64u(iv), ct: b64u(ct), sig: b64u(sig) };
}

export async function openKeyBundle({ pairKey, verifyKey, roomId, from, to, env }) {
  if (!Number.isSafeInteger(env.e) || typeof env.iv !== 'string' || typeof env.ct !== 'string' || typeof env.sig !== 'string') {
    throw new VerifyError('bad_format', 'key bundle fields');
  }
  const aad = bundleAad(roomId, from, to, env.e);
  const iv = unb64u(env.iv);
  const ct = unb64u(env.ct);
  await verify(verifyKey, unb64u(env.sig), concat(aad, iv, ct));
  const b = JSON.parse(td.decode(await openAes(pairKey, iv, ct, aad)));
  const ck = unb64u(b.ck);
  if (b.e !== env.e || !Number.isSafeInteger(b.n) || b.n < 0 || ck.length !== 32) {
    throw new VerifyError('bad_format', 'key bundle content');
  }
  return { epoch: b.e, n: b.n, ck };
}

// ---------- sender chains ----------

/** A fresh sending chain. A new epoch replaces the old chain everywhere (used to rekey after someone leaves). */
export function newChain(epoch) {
  return { epoch, n: 0, ck: randomBytes(32) };
}

/** One ratchet step: MK = HKDF(CK,"msg"), CK' = HKDF(CK,"chain"). The caller wipes the old CK. */
export async function ratchetStep(ck) {
  const base = await subtle.importKey('raw', ck, 'HKDF', false, ['deriveBits']);
  const salt = new Uint8Array(32);
  const mkRaw = new Uint8Array(await subtle.deriveBits({ name: 'HKDF', hash: 'SHA-256', salt, info: utf8('msg') }, base, 256));
  const next = new Uint8Array(await subtle.deriveBits({ name: 'HKDF', hash: 'SHA-256', salt, info: utf8('chain') }, base, 256));
  const mk = await aesKey(mkRaw);
  mkRaw.fill(0);
  return { mk, next };
}

const msgAad = (roomId, sender, epoch, n) => utf8(`burnroom/v1/msg|${roomId}|${sender}|${epoch}|${n}`);

/** Bucketed padding: [4-byte length][bytes][zeros] up to the next power-of-two bucket (at least 256 bytes). */
export function pad(bytes) {
  let size = 256;
  while (size < bytes.length + 4) size *= 2;
  const out = new Uint8Array(size);
  new DataView(out.buffer).setUint32(0, bytes.length);
  out.set(bytes, 4);
  return out;
}

export function unpad(padded) {
  if (padded.length < 4) throw new VerifyError('bad_format', 'padding');
  const n = new DataView(padded.buffer, padded.byteOffset, padded.byteLength).getUint32(0);
  if (n > padded.length - 4) throw new VerifyError('bad_format', 'padding');
  return padded.slice(4, 4 + n);
}

/**
 * Encrypts and signs one message with the sender's chain, then advances the chain and wipes the used chain key,
 * so a later compromise of this browser cannot decrypt what was already sent.
 */
export async function sealMessage({ chain, signKey, roomId, senderId, content }) {
  const n = chain.n;
  const { mk, next } = await ratchetStep(chain.ck);
  chain.ck.fill(0);
  chain.ck = next;
  chain.n = n + 1;
  const aad = msgAad(roomId, senderId, chain.epoch, n);
  const { iv, ct } = await sealAes(mk, pad(utf8(JSON.stringify(content))), aad);
  const sig = await sign(signKey, concat(aad, iv, ct));
  return { k: 'm', e: chain.epoch, n, iv: b64u(iv), ct: b64u(ct), sig: b64u(sig) };
}

/**
 * What a receiver knows of every other member's chains. Per sender it keeps the current epoch and the one before
 * (messages sealed just before a rekey may still be in flight), and per chain the next counter plus message keys
 * skipped over for late arrivals, bounded by COUNTER_WINDOW. Used keys are deleted at once: a replay finds nothing.
 */
export class ReceiveChains {
  constructor(window = COUNTER_WINDOW) {
    this.window = window;
    /** senderId -> Map(epoch -> {n, ck, skipped: Map(n -> mk)}) */
    this.bySender = new Map();
  }

  has(senderId, epoch) {
    const m = this.bySender.get(senderId);
    return !!m && (epoch === undefined || m.has(epoch));
  }

  /** Installs a chain from a verified key bundle. An older or equal epoch never rewinds a chain we already have. */
  install(senderId, { epoch, n, ck }) {
    let m = this.bySender.get(senderId);
    if (!m) {
      m = new Map();
      this.bySender.set(senderId, m);
    }
    if (m.has(epoch)) return false;
    if (m.size && Math.max(...m.keys()) > epoch) return false;
    m.set(epoch, { n, ck: new Uint8Array(ck), skipped: new Map() });
    while (m.size > 2) {
      const oldest = Math.min(...m.keys());
      wipeChain(m.get(oldest));
      m.delete(oldest);
    }
    return true;
  }

  forget(senderId) {
    const m = this.bySender.get(senderId);
    if (m) for (const c of m.values()) wipeChain(c);
    this.bySender.delete(senderId);
  }

  wipe() {
    for (const id of [...this.bySender.keys()]) this.forget(id);
  }

  /** Verifies the signature first, then decrypts; the chain is only advanced when everything checked out. */
  async open({ roomId, senderId, verifyKey, env }) {
    if (!Number.isSafeInteger(env.e) || !Number.isSafeInteger(env.n) || env.n < 0
        || typeof env.iv !== 'string' || typeof env.ct !== 'string' || typeof env.sig !== 'string') {
      throw new VerifyError('bad_format', 'message fields');
    }
    const aad = msgAad(roomId, senderId, env.e, env.n);
    const iv = unb64u(env.iv);
    const ct = unb64u(env.ct);
    if (iv.length !== 12) throw new VerifyError('bad_format', 'iv');
    await verify(verifyKey, unb64u(env.sig), concat(aad, iv, ct));
    const chain = this.bySender.get(senderId)?.get(env.e);
    if (!chain) throw new VerifyError('no_key', 'no chain key for this sender yet');

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
        const step = await ratchetStep(ck);
        if (ck !== chain.ck) ck.fill(0);
        ck = step.next;
        if (i < env.n) newSkipped.push([i, step.mk]);
        else mk = step.mk;
      }
      newCk = ck;
    }
    const plain = await openAes(mk, iv, ct, aad);
    let content;
    try {
      content = JSON.parse(td.decode(unpad(plain)));
    } catch (e) {
      throw new VerifyError('bad_format', 'message content');
    }
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

// ---------- safety code ----------

const EMOJI = ['🐶', '🐱', '🦊', '🐻', '🐼', '🐨', '🐯', '🦁', '🐮', '🐷', '🐸', '🐵', '🐔', '🐧', '🐦', '🦉',
  '🐝', '🦋', '🐌', '🐞', '🐢', '🐍', '🐙', '🦀', '🐬', '🐳', '🦈', '🐊', '🦒', '🐘', '🦔', '🦜',
  '🌵', '🌲', '🌴', '🍀', '🍁', '🍄', '🌻', '🌙', '⭐', '🔥', '🌈', '❄️', '🍎', '🍋', '🍌', '🍇',
  '🍓', '🥕', '🌽', '🍩', '🍪', '🎂', '☕', '🎈', '🎁', '🔑', '🔔', '⚓', '🚀', '🚲', '⛵', '🎸'];

/**
 * SHA-256 over roomId and every member's public keys, sorted so every screen computes the same code whatever the
 * order members joined in. Shown as 6 groups of 4 digits and 6 emoji.
 */
export async function safetyCode(roomId, members) {
  const keys = members.map((m) => `${m.ecdhPub}.${m.ecdsaPub}`).sort();
  const h = new Uint8Array(await subtle.digest('SHA-256', utf8(`burnroom/v1/safety|${roomId}|${keys.join('|')}`)));
  const groups = [];
  for (let i = 0; i < 6; i++) groups.push(String(((h[2 * i] << 8) | h[2 * i + 1]) % 10000).padStart(4, '0'));
  const emoji = [];
  for (let i = 0; i < 6; i++) emoji.push(EMOJI[h[12 + i] & 63]);
  return { digits: groups.join(' '), emoji: emoji.join(' ') };
}
