// The creator's admin key and what it signs. The key comes from a seed so that the creator's own link brings it back
// after a reload; the seed also travels wrapped under the PIN so a PIN holder on another device can sign (P6); the
// charter is the room's state (expiry, lock, kicks, current link) under that key, which the link secret commits to.

import { b64u, canonical, concat, ECDSA_ALG, hkdfBits, importSigningPublic, openAes, randomBytes, sha256, sign, unb64u, utf8, verify, VerifyError } from './primitives.js';

const subtle = globalThis.crypto.subtle;

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
