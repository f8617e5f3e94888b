// The WebCrypto primitives every other crypto module builds on, and the encodings they share: base64url, UTF-8,
// canonical JSON, envelopes, HKDF, AES-GCM with padding, ECDSA. WebCrypto only (globalThis.crypto.subtle), so the
// same code runs in the browser and in Node 20 for the tests. Nothing here touches the network, the DOM or storage.
// A failed check is always a VerifyError with a stable reason, so callers never parse messages.
// How the crypto modules fit together (link, identity, admin key, chains, bundles): docs/client.md, "Cryptography
// as built", and decision 35. The server is untrusted and active (docs/security.md).

const subtle = globalThis.crypto.subtle;
const te = new TextEncoder();
const td = new TextDecoder('utf-8', { fatal: true });

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

// ---------- HKDF and AES keys ----------

export async function hkdfBits(ikm, salt, info, bits = 256) {
  const base = await subtle.importKey('raw', ikm, 'HKDF', false, ['deriveBits']);
  return new Uint8Array(await subtle.deriveBits({ name: 'HKDF', hash: 'SHA-256', salt, info: utf8(info) }, base, bits));
}

export async function aesKey(raw, usages = ['encrypt', 'decrypt']) {
  return subtle.importKey('raw', raw, { name: 'AES-GCM' }, false, usages);
}

// ---------- signatures and public keys ----------

export const ECDSA_ALG = { name: 'ECDSA', namedCurve: 'P-256' };
export const ECDH_ALG = { name: 'ECDH', namedCurve: 'P-256' };
const ECDSA = { name: 'ECDSA', hash: 'SHA-256' };

export async function sign(privateKey, data) {
  return new Uint8Array(await subtle.sign(ECDSA, privateKey, data));
}

export async function verify(publicKey, sig, data) {
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

// ---------- AES-GCM ----------

export async function sealAes(key, plaintext, aad) {
  const iv = randomBytes(12); // fresh 96-bit IV for every encryption
  const ct = new Uint8Array(await subtle.encrypt({ name: 'AES-GCM', iv, additionalData: aad }, key, plaintext));
  return { iv, ct };
}

export async function openAes(key, iv, ct, aad) {
  try {
    return new Uint8Array(await subtle.decrypt({ name: 'AES-GCM', iv, additionalData: aad }, key, ct));
  } catch (e) {
    throw new VerifyError('bad_ciphertext', 'decryption failed');
  }
}

export function parseJson(bytes, what) {
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
