// Burnroom client cryptography, protocol v2. WebCrypto only (globalThis.crypto.subtle), so the same file runs in
// the browser and in Node 20 for the tests. Nothing here touches the network, the DOM or any storage.
//
// The server is untrusted (docs/security.md): it may drop, reorder, replay or forge frames and collude with any
// ex-member. What this file gives session.js to defend with (decision 35, docs/client.md "Cryptography"):
//   link secret = SHA-256(creator's admin key, nonce) --HKDF--> profile key, join token, room key (mixed into
//   every key below)
//   identity: a signing key (its hash is the member's fingerprint) and a rotating ECDH key; profiles self-signed
//   key bundles: per epoch a fresh ephemeral ECDH key, one entry per recipient; the ephemeral key is forgotten
//   sender chains: MK = HKDF(CK,"msg"), CK' = HKDF(CK,"chain"), salted with the room key; used keys deleted
//   charter: the room's state (expiry, lock, kicks, current link) signed by the creator's admin key, to which
//   the link secret itself commits
//   every message carries the sender's sequence number and a hash chain over its earlier messages

const subtle = globalThis.crypto.subtle;
const te = new TextEncoder();
const td = new TextDecoder('utf-8', { fatal: true });

/** How far ahead of the expected counter a message may be, and how many skipped keys we keep for late arrivals. */
export const COUNTER_WINDOW = 256;
/** Longest message text (characters) the client accepts to send; keeps every body well under the 64 KiB frame. */
export const MAX_TEXT_CHARS = 4000;
export const MAX_NAME_CHARS = 64;

export class VerifyError extends Error {
  /**
   * @param {string} reason stable machine-readable reason: bad_format, bad_signature, bad_ciphertext, replay,
   *   out_of_window, no_key, wrong_room
   */
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
  let s;
  try {
    s = atob(text.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (text.length % 4)) % 4));
  } catch (e) {
    throw new VerifyError('bad_format', 'not base64url');
  }
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

export const utf8 = (s) => te.encode(s);

export function randomBytes(n) {
  return globalThis.crypto.getRandomValues(new Uint8Array(n));
}

export function concat(...parts) {
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
  if (!env || typeof env !== 'object' || Array.isArray(env) || typeof env.k !== 'string') {
    throw new VerifyError('bad_format', 'envelope has no kind');
  }
  return env;
}

/** JSON with keys sorted at every level: what gets signed must serialise the same way on every screen. */
export function canonical(value) {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value).sort().filter((k) => value[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonical(value[k])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export async function sha256(bytes) {
  return new Uint8Array(await subtle.digest('SHA-256', bytes));
}

const b64uOf = (text, bytes) => {
  try {
    return unb64u(text).length === bytes;
  } catch (e) {
    return false;
  }
};

// ---------- the link ----------

/** 32 random bytes, base64url: the room secret, the part of the link after '#', which browsers never send. */
export function newLinkSecret() {
  return b64u(randomBytes(32));
}

export function isLinkSecret(s) {
  return typeof s === 'string' && s.length === 43 && b64uOf(s, 32);
}

/**
 * Parses a link fragment: the room secret (43 characters), or in the creator's own link the secret and the admin
 * seed (`secret.seed`; it lets the creator sign room changes again after a reload). Invite links carry only the
 * secret, and nothing else ever goes after the '#'.
 * @returns {{secret: string, adminSeed: (string|null)} | null}
 */
export function parseFragment(fragment) {
  if (typeof fragment !== 'string') return null;
  const parts = fragment.replace(/^#/, '').split('.');
  if (parts.length > 2 || !isLinkSecret(parts[0])) return null;
  if (parts.length === 2 && !isLinkSecret(parts[1])) return null;
  return { secret: parts[0], adminSeed: parts[1] || null };
}

export function fragmentOf({ secret, adminSeed }) {
  return adminSeed ? `${secret}.${adminSeed}` : secret;
}

/**
 * A room secret that commits to the creator's admin key: secret = SHA-256(admin public key, nonce). Whoever holds
 * the link can check a charter's admin key against it (given the nonce, which travels end-to-end only), and
 * nobody, an ex-member with the link included, can find another admin key that matches it.
 */
export async function newRoomSecret(adminPub, nonceText = null) {
  const nonce = nonceText ? unb64u(nonceText) : randomBytes(32);
  return { secret: await secretFor(adminPub, nonce), nonce: b64u(nonce) };
}

/**
 * The nonce of a room's first secret, derived from the admin seed: the creator's own link (secret and seed) is
 * then enough to prove the admin key and sign again after a reload, before any member forwards the charter.
 */
export async function firstNonce(adminSeed) {
  return b64u(await hkdfBits(unb64u(adminSeed), new Uint8Array(0), 'burnroom/v2/first-nonce'));
}

async function secretFor(adminPub, nonce) {
  return b64u(await sha256(concat(utf8('burnroom/v2/link|'), unb64u(adminPub), nonce)));
}

export async function commitsTo(secret, adminPub, nonce) {
  try {
    return (await secretFor(adminPub, unb64u(nonce))) === secret;
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

/**
 * Everything one room secret gives: the key that seals profiles for the server, the join token whose hash the
 * server checks (so a bare room id, or a link from before a kick, admits nobody), and the room key that is mixed
 * into every key derivation (a recording stays unreadable after a break of P-256 unless the link was seen too).
 */
export async function deriveRoomSecrets(secret, roomId) {
  const s = unb64u(secret);
  const profileRaw = await hkdfBits(s, utf8(roomId), 'burnroom/v2/profile');
  const profileKey = await aesKey(profileRaw);
  profileRaw.fill(0);
  const joinToken = await joinTokenOf(s);
  const roomKey = await hkdfBits(s, utf8(roomId), 'burnroom/v2/room');
  const sid = b64u((await sha256(concat(utf8('burnroom/v2/sid|'), s))).subarray(0, 9));
  return { secret, sid, profileKey, roomKey, token: b64u(joinToken), joinHash: b64u(await sha256(joinToken)) };
}

const joinTokenOf = (secretBytes) => hkdfBits(secretBytes, new Uint8Array(0), 'burnroom/v2/join');

/** What the creator registers with the server: SHA-256 of the join token (the room id is not known yet). */
export async function joinHashOf(secret) {
  return b64u(await sha256(await joinTokenOf(unb64u(secret))));
}

// ---------- keys ----------

const ECDSA_ALG = { name: 'ECDSA', namedCurve: 'P-256' };
const ECDH_ALG = { name: 'ECDH', namedCurve: 'P-256' };
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

async function importPublic(alg, raw, usages) {
  try {
    return await subtle.importKey('raw', unb64u(raw), alg, false, usages);
  } catch (e) {
    throw new VerifyError('bad_format', 'public key');
  }
}

export const importSigningPublic = (raw) => importPublic(ECDSA_ALG, raw, ['verify']);
export const importDhPublic = (raw) => importPublic(ECDH_ALG, raw, []);

/** A member's fingerprint: 16 bytes of SHA-256 over its signing key. Identity is the key, never the server's id. */
export async function fingerprint(sigPub) {
  return b64u((await sha256(concat(utf8('burnroom/v2/fp|'), unb64u(sigPub)))).subarray(0, 16));
}

/** A fresh ECDH key pair; the private half can derive but never be read back. */
export async function newDhKey() {
  const pair = await subtle.generateKey(ECDH_ALG, false, ['deriveBits']);
  return { pair, pub: b64u(await subtle.exportKey('raw', pair.publicKey)) };
}

/** A member's identity for one stay in one room: made at join, never stored, forgotten at burn. */
export async function generateIdentity() {
  const sig = await subtle.generateKey(ECDSA_ALG, false, ['sign', 'verify']);
  const sigPub = b64u(await subtle.exportKey('raw', sig.publicKey));
  return { sig, sigPub, fp: await fingerprint(sigPub) };
}

// PKCS#8 prefix of a P-256 private key without its optional public key; WebCrypto computes the public point.
const P256_PKCS8_HEAD = Uint8Array.from([0x30, 0x41, 0x02, 0x01, 0x00, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce,
  0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x04, 0x27, 0x30, 0x25, 0x02, 0x01,
  0x01, 0x04, 0x20]);

/**
 * The creator's admin key, derived from a 32-byte seed so that the creator's own link can bring it back after a
 * reload. WebCrypto has no "key from seed" for ECDSA, so the seed is hashed to a scalar and imported as PKCS#8;
 * the one-in-2^32 scalar that is not below the group order is hashed again.
 * @returns {{sign: CryptoKey, pub: string}}
 */
export async function adminKeyFromSeed(seed) {
  let d = await hkdfBits(unb64u(seed), new Uint8Array(0), 'burnroom/v2/admin');
  for (let i = 0; i < 8; i++) {
    try {
      const der = concat(P256_PKCS8_HEAD, d);
      const extractable = await subtle.importKey('pkcs8', der, ECDSA_ALG, true, ['sign']);
      const jwk = await subtle.exportKey('jwk', extractable);
      const signKey = await subtle.importKey('pkcs8', der, ECDSA_ALG, false, ['sign']);
      der.fill(0);
      d.fill(0);
      const pub = b64u(concat(Uint8Array.of(4), unb64u(jwk.x), unb64u(jwk.y)));
      return { sign: signKey, pub };
    } catch (e) {
      d = await sha256(d);
    }
  }
  throw new Error('could not derive the admin key');
}

// ---------- the admin seed, wrapped under the PIN ----------

/**
 * PBKDF2 rounds for the PIN wrap: the server knows the PIN (it made it), a member knows the link; only the two
 * together unwrap the admin seed, and a member alone guessing the 8-character PIN offline pays this per guess.
 */
export const WRAP_ITERATIONS = 300_000;

async function wrapKey(pin, roomId, secret) {
  const base = await subtle.importKey('raw', utf8(String(pin).trim().toUpperCase()), 'PBKDF2', false, ['deriveKey']);
  return subtle.deriveKey(
    { name: 'PBKDF2', hash: 'SHA-256', salt: utf8(`burnroom/v2/adminwrap|${roomId}|${secret}`), iterations: WRAP_ITERATIONS },
    base, { name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt'],
  );
}

/**
 * The admin seed sealed under the PIN and the room secret `sid` names, so that whoever holds the link and types
 * the PIN (the creator on another device, or a member the creator told) can sign room changes too (P6).
 */
export async function wrapAdminSeed(seed, pin, roomId, secret, sid) {
  const iv = randomBytes(12);
  const ct = new Uint8Array(await subtle.encrypt({ name: 'AES-GCM', iv, additionalData: utf8(`burnroom/v2/adminwrap|${roomId}|${sid}`) },
    await wrapKey(pin, roomId, secret), unb64u(seed)));
  return { sid, iv: b64u(iv), ct: b64u(ct) };
}

export async function unwrapAdminSeed(aw, pin, roomId, secret) {
  const plain = await openAes(await wrapKey(pin, roomId, secret), unb64u(aw.iv), unb64u(aw.ct), utf8(`burnroom/v2/adminwrap|${roomId}|${aw.sid}`));
  if (plain.length !== 32) throw new VerifyError('bad_format', 'admin seed');
  return b64u(plain);
}

// ---------- AES-GCM ----------

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

function parseJson(bytes, what) {
  try {
    return JSON.parse(td.decode(bytes));
  } catch (e) {
    throw new VerifyError('bad_format', `${what} is not JSON`);
  }
}

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

// ---------- names ----------

// Bidi overrides and isolates, zero-width and other invisible format characters, and C0/C1 controls: they can
// make one name look like another ("evil" written right-to-left) or hide in a copy of someone's name.
const INVISIBLE = /[\u0000-\u001f\u007f-\u009f\u00ad\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u202a-\u202e\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0\ufff0-\ufffb]/gu;

/** The name as shown: NFC, invisible and direction-changing characters removed, spaces folded, at most 64. */
export function cleanName(name) {
  if (typeof name !== 'string') return '';
  return [...name.normalize('NFC').replace(INVISIBLE, '').replace(/\s+/gu, ' ').trim()].slice(0, MAX_NAME_CHARS).join('');
}

// Letters from other scripts that look like Latin ones, and digits that look like letters.
const LOOKALIKE = {
  а: 'a', е: 'e', о: 'o', р: 'p', с: 'c', у: 'y', х: 'x', і: 'i', ј: 'j', ѕ: 's', ԁ: 'd', һ: 'h', ӏ: 'l', ԛ: 'q',
  ԝ: 'w', к: 'k', м: 'm', т: 't', в: 'b', н: 'h', α: 'a', ο: 'o', ρ: 'p', ν: 'v', ι: 'i', κ: 'k', τ: 't', χ: 'x',
  υ: 'u', ε: 'e', 0: 'o', 1: 'l', 3: 'e', 5: 's', 8: 'b', '|': 'l', '!': 'i', ı: 'i', ɡ: 'g',
};

/** What a name looks like: two names with the same skeleton are flagged as confusable on every screen. */
export function nameSkeleton(name) {
  const folded = cleanName(name).normalize('NFKD').replace(/\p{M}/gu, '').toLowerCase();
  return [...folded].map((ch) => LOOKALIKE[ch] || ch).join('').replace(/rn/g, 'm').replace(/vv/g, 'w')
    .replace(/[\s._-]+/g, '');
}

// ---------- profiles ----------

const profileSigned = (roomId, p) => utf8(`burnroom/v2/profile|${roomId}|${canonical(p)}`);

/**
 * A profile is the member's name and public keys, signed by the member's own signing key (so nobody else, not
 * even someone holding the link, can put another name on those keys), then sealed for the server under the
 * room's profile key.
 */
export async function makeProfile(roomId, identity, name, dh) {
  const p = { v: 2, name: cleanName(name), sig: identity.sigPub, dh: dh.pub, di: dh.index };
  const ps = b64u(await sign(identity.sig.privateKey, profileSigned(roomId, p)));
  return { ...p, ps };
}

/** Checks a profile object (from a sealed profile or a key bundle) and imports its keys. */
export async function checkProfile(roomId, p) {
  if (!p || typeof p !== 'object' || p.v !== 2 || typeof p.name !== 'string' || typeof p.sig !== 'string'
      || typeof p.dh !== 'string' || !Number.isSafeInteger(p.di) || p.di < 0 || typeof p.ps !== 'string') {
    throw new VerifyError('bad_format', 'profile fields');
  }
  const name = cleanName(p.name);
  if (!name || name !== p.name) throw new VerifyError('bad_format', 'profile name');
  const sigKey = await importSigningPublic(p.sig);
  const dhKey = await importDhPublic(p.dh);
  const { ps, ...body } = p;
  await verify(sigKey, unb64u(ps), profileSigned(roomId, body));
  return { name, sigPub: p.sig, sigKey, fp: await fingerprint(p.sig), dh: { index: p.di, pub: p.dh, key: dhKey }, signed: p };
}

export async function sealProfile(profileKey, roomId, profile) {
  const { iv, ct } = await sealAes(profileKey, pad(utf8(JSON.stringify(profile))), utf8(`burnroom/v2/sealed|${roomId}`));
  return b64u(concat(iv, ct));
}

/** Opens a profile relayed by the server with one of the room keys we hold; throws VerifyError otherwise. */
export async function openProfile(profileKey, roomId, sealed) {
  const bytes = unb64u(sealed);
  if (bytes.length < 12 + 16) throw new VerifyError('bad_format', 'profile too short');
  const plain = unpad(await openAes(profileKey, bytes.subarray(0, 12), bytes.subarray(12), utf8(`burnroom/v2/sealed|${roomId}`)));
  return checkProfile(roomId, parseJson(plain, 'profile'));
}

// ---------- the charter: room state signed by the creator ----------

const charterSigned = (body) => utf8(`burnroom/v2/charter|${canonical(body)}`);

/**
 * Signs the room's state. Fields: r room id, n version (higher wins), exp expiry (epoch ms), lk locked,
 * kk kicked fingerprints, sid id of the current room secret and no its nonce (secret = SHA-256(a, no)),
 * aw the admin seed wrapped under the PIN (wrapAdminSeed), burn (the creator burned the room), a admin public key.
 */
export async function signCharter(admin, body) {
  const b = { ...body, a: admin.pub };
  return { ...b, s: b64u(await sign(admin.sign, charterSigned(b))) };
}

/**
 * Verifies a charter's form and signature. Which admin key is the room's is the caller's question: the key it
 * pinned before, or one the room secret it holds commits to (commitsTo).
 */
export async function checkCharter(roomId, c) {
  if (!c || typeof c !== 'object' || c.r !== roomId || !Number.isSafeInteger(c.n) || c.n < 1
      || !Number.isSafeInteger(c.exp) || c.exp <= 0 || typeof c.lk !== 'boolean' || !Array.isArray(c.kk)
      || c.kk.length > 1000 || !c.kk.every((k) => typeof k === 'string' && k.length === 22)
      || typeof c.sid !== 'string' || c.sid.length !== 12 || typeof c.no !== 'string' || c.no.length !== 43
      || (c.burn !== undefined && c.burn !== true) || typeof c.a !== 'string' || typeof c.s !== 'string'
      || (c.aw !== undefined && !(c.aw && typeof c.aw === 'object' && typeof c.aw.sid === 'string'
        && typeof c.aw.iv === 'string' && typeof c.aw.ct === 'string'))) {
    throw new VerifyError('bad_format', 'charter fields');
  }
  const { s, ...body } = c;
  await verify(await importSigningPublic(c.a), unb64u(s), charterSigned(body));
  return c;
}

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

// ---------- key bundles ----------

const entryInfo = (roomId, from, to, epoch, di, sid) => `burnroom/v2/entry|${roomId}|${from}|${to}|${epoch}|${di}|${sid}`;
const bodyAad = (roomId, from, epoch) => utf8(`burnroom/v2/body|${roomId}|${from}|${epoch}`);
const bundleSigned = (roomId, env) => utf8(`burnroom/v2/bundle|${roomId}|${canonical(env)}`);

/**
 * Seals one epoch's chain for a set of recipients. A fresh ephemeral ECDH key meets each recipient's current
 * ECDH key; the shared secret, salted with the room key of a secret that recipient holds (the current one, or
 * the one before a rotation the recipient has not heard of yet), wraps that recipient's entry {ck, n, sid, bk}.
 * The body (profile, roster, charter, current link, sequence state) is sealed once under the random bk. The
 * ephemeral private key exists only inside this call: a later theft of the sender's browser cannot reopen it.
 *
 * @param {object} o
 * @param {Array<{fp: string, dh: {index: number, key: CryptoKey}, sid: string, roomKey: Uint8Array}>} o.recipients
 */
export async function sealBundle({ roomId, fp, signKey, chain, recipients, body }) {
  const eph = await subtle.generateKey(ECDH_ALG, false, ['deriveBits']);
  const x = b64u(await subtle.exportKey('raw', eph.publicKey));
  const bk = randomBytes(32);
  const ent = [];
  const entryPlain = utf8(JSON.stringify({ ck: b64u(chain.ck), n: chain.n, sid: chain.sid, bk: b64u(bk) }));
  for (const r of recipients) {
    const info = entryInfo(roomId, fp, r.fp, chain.epoch, r.dh.index, r.sid);
    const shared = new Uint8Array(await subtle.deriveBits({ name: 'ECDH', public: r.dh.key }, eph.privateKey, 256));
    const raw = await hkdfBits(shared, r.roomKey, info);
    shared.fill(0);
    const key = await aesKey(raw);
    raw.fill(0);
    const { iv, ct } = await sealAes(key, entryPlain, utf8(info));
    ent.push([r.fp, r.dh.index, r.sid, b64u(iv), b64u(ct)]);
  }
  entryPlain.fill(0);
  const bodyKey = await aesKey(bk);
  bk.fill(0);
  const sealedBody = await sealAes(bodyKey, pad(utf8(JSON.stringify(body))), bodyAad(roomId, fp, chain.epoch));
  const env = { k: 'K', v: 2, s: fp, e: chain.epoch, x, ent, biv: b64u(sealedBody.iv), bct: b64u(sealedBody.ct) };
  return { ...env, sig: b64u(await sign(signKey, bundleSigned(roomId, env))) };
}

/**
 * Opens our entry of a bundle with our ECDH key of the index it names and the room key of the secret it names,
 * then the body. Does NOT verify the signature: the caller does that with the sender's known key, or with the
 * key of the profile inside the body once that profile's own signature checked out (verifyBundle).
 * @param {(index: number) => CryptoKeyPair|undefined} dhOf our ECDH key pair by index
 * @param {(sid: string) => Uint8Array|undefined} roomKeyOf the room key of a secret we hold
 */
export async function openBundle({ roomId, env, myFp, dhOf, roomKeyOf }) {
  if (!Number.isSafeInteger(env.e) || env.e < 0 || typeof env.s !== 'string' || typeof env.x !== 'string'
      || !Array.isArray(env.ent) || env.ent.length > 256 || typeof env.biv !== 'string' || typeof env.bct !== 'string'
      || typeof env.sig !== 'string') {
    throw new VerifyError('bad_format', 'bundle fields');
  }
  const mine = env.ent.find((e) => Array.isArray(e) && e[0] === myFp);
  if (!mine) return null; // not for us: we were not in this epoch's roster
  const [, di, sid, ivText, ctText] = mine;
  const pair = Number.isSafeInteger(di) ? dhOf(di) : undefined;
  if (!pair) throw new VerifyError('no_key', 'our ECDH key of that index is gone');
  const roomKey = typeof sid === 'string' ? roomKeyOf(sid) : undefined;
  if (!roomKey) throw new VerifyError('no_key', 'sealed under a room secret we do not hold');
  const info = entryInfo(roomId, env.s, myFp, env.e, di, sid);
  const x = await importDhPublic(env.x);
  const shared = new Uint8Array(await subtle.deriveBits({ name: 'ECDH', public: x }, pair.privateKey, 256));
  const raw = await hkdfBits(shared, roomKey, info);
  shared.fill(0);
  const key = await aesKey(raw);
  raw.fill(0);
  const entry = parseJson(await openAes(key, unb64u(ivText), unb64u(ctText), utf8(info)), 'entry');
  if (typeof entry.ck !== 'string' || !Number.isSafeInteger(entry.n) || entry.n < 0 || typeof entry.bk !== 'string'
      || typeof entry.sid !== 'string') {
    throw new VerifyError('bad_format', 'entry content');
  }
  const ck = unb64u(entry.ck);
  const bk = unb64u(entry.bk);
  if (ck.length !== 32 || bk.length !== 32) throw new VerifyError('bad_format', 'entry keys');
  const bodyKey = await aesKey(bk);
  bk.fill(0);
  const body = parseJson(unpad(await openAes(bodyKey, unb64u(env.biv), unb64u(env.bct), bodyAad(roomId, env.s, env.e))), 'bundle body');
  if (!body || typeof body !== 'object') throw new VerifyError('bad_format', 'bundle body');
  return { chain: { epoch: env.e, n: entry.n, ck, sid: entry.sid }, body };
}

export async function verifyBundle(roomId, verifyKey, env) {
  const { sig, ...rest } = env;
  await verify(verifyKey, unb64u(sig), bundleSigned(roomId, rest));
}

// ---------- transcript ----------

/** The hash chain over one sender's messages: each message names the value before it. */
export async function chainHash(prev, i, content) {
  const digest = await sha256(utf8(`burnroom/v2/transcript|${prev}|${i}|${canonical(content)}`));
  return b64u(digest.subarray(0, 18));
}

export const TRANSCRIPT_START = 'start';

// ---------- safety code and badges ----------

const EMOJI = ['🐶', '🐱', '🦊', '🐻', '🐼', '🐨', '🐯', '🦁', '🐮', '🐷', '🐸', '🐵', '🐔', '🐧', '🐦', '🦉',
  '🐝', '🦋', '🐌', '🐞', '🐢', '🐍', '🐙', '🦀', '🐬', '🐳', '🦈', '🐊', '🦒', '🐘', '🦔', '🦜',
  '🌵', '🌲', '🌴', '🍀', '🍁', '🍄', '🌻', '🌙', '⭐', '🔥', '🌈', '❄️', '🍎', '🍋', '🍌', '🍇',
  '🍓', '🥕', '🌽', '🍩', '🍪', '🎂', '☕', '🎈', '🎁', '🔑', '🔔', '⚓', '🚀', '🚲', '⛵', '🎸'];

/** A short key-derived badge beside a name: two emoji from the fingerprint, so a copied name looks different. */
export function badge(fp) {
  const b = unb64u(fp);
  return `${EMOJI[b[0] & 63]}${EMOJI[b[1] & 63]}`;
}

/**
 * SHA-256 over the room id and every member's name and signing key, sorted so every screen computes the same
 * code whatever the join order. A relabelled member (someone's keys under another name) changes the code.
 * Shown as 6 groups of 4 digits and 6 emoji.
 */
export async function safetyCode(roomId, members) {
  const keys = members.map((m) => `${m.sigPub}.${b64u(utf8(m.name))}`).sort();
  const h = await sha256(utf8(`burnroom/v2/safety|${roomId}|${keys.join('|')}`));
  const groups = [];
  for (let i = 0; i < 6; i++) groups.push(String(((h[2 * i] << 8) | h[2 * i + 1]) % 10000).padStart(4, '0'));
  const emoji = [];
  for (let i = 0; i < 6; i++) emoji.push(EMOJI[h[12 + i] & 63]);
  return { digits: groups.join(' '), emoji: emoji.join(' ') };
}
