// Key bundles: how one epoch's sending chain reaches exactly the members present (decision 35). A fresh ephemeral
// ECDH key per bundle, one sealed entry per recipient, one sealed body; the ephemeral private key never leaves the
// sealing call, and a recipient's entry opens only with its current ECDH key and a room key it holds.

import { aesKey, b64u, canonical, ECDH_ALG, hkdfBits, importDhPublic, openAes, pad, parseJson, randomBytes, sealAes, sign, unb64u, unpad, utf8, verify, VerifyError } from './primitives.js';

const subtle = globalThis.crypto.subtle;

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
