// Encrypted attachments, the pure part: the manifest, chunk sealing and opening, reassembly. No DOM, no sockets;
// runs in Node 20 for the tests (docs/client.md "Attachments", decision 49).
//
// A file goes out as one ordinary E2EE message, its manifest {t:'file', a, name, mime, size, n, h, k} (sender
// authentication, sequence number, hash chain, replay after resume: all as for a text), then n chunk frames that
// the server relays without a seq. k is a fresh random file key, known only to the members the manifest was sealed
// for. Every chunk is the same size: CHUNK_BYTES of plaintext (the last one padded with zeros) under AES-GCM with
// a key derived from k and an IV made from its index, signed with the sender's ECDSA key over
// AAD = "burnroom/v2/chunk|room|sender fingerprint|attachment id|index|count" and the ciphertext. So the server
// (even with an ex-member's keys) cannot move a chunk to another index, another attachment or another sender,
// cannot forge one, and cannot make a shorter file: a file is complete only with all n chunks, and only shown
// when the SHA-256 of what was put together equals h.

import * as C from './primitives.js';

const subtle = globalThis.crypto.subtle;

/** Plaintext bytes per chunk; every chunk is padded to it, so the server sees one chunk size only. */
export const CHUNK_BYTES = 49_024;
const VERSION = 1;
const ID_BYTES = 16;
const SIG_BYTES = 64;
const TAG_BYTES = 16;
const HEADER_BYTES = 1 + ID_BYTES + 4 + SIG_BYTES;
/** Bytes of a chunk body before base64url: the one size every chunk frame has. */
export const CHUNK_BODY_BYTES = HEADER_BYTES + CHUNK_BYTES + TAG_BYTES;
/** Characters of a chunk body (65,500): fits the relay's 65,536-character body limit. */
export const CHUNK_BODY_CHARS = Math.ceil((CHUNK_BODY_BYTES * 4) / 3);
/** What a receiver ever holds for one file, whatever the server claims: a hostile server cannot make us buffer more. */
export const HARD_MAX_BYTES = 64 * 1024 * 1024;
export const MAX_FILE_NAME = 200;
/** Raster formats shown inline; anything else (SVG included) is a download of type application/octet-stream. */
export const INLINE_TYPES = new Set(['image/png', 'image/jpeg', 'image/gif', 'image/webp']);

export const chunkCount = (size) => Math.ceil(size / CHUNK_BYTES);

// Controls, bidi overrides and invisible characters ("photo<RLO>gpj.exe" would read as photo.exe backwards), and
// path separators: a file name is only ever a label and a download suggestion.
const BAD_NAME = /[\u0000-\u001f\u007f-\u009f\u00ad\u061c\u200b-\u200f\u202a-\u202e\u2060-\u206f\ufeff\ufff0-\ufffb/\\]/gu;

export function cleanFileName(name) {
  const clean = [...String(name ?? '').normalize('NFC').replace(BAD_NAME, '_').replace(/\s+/gu, ' ').trim()]
    .slice(0, MAX_FILE_NAME).join('').replace(/^\.+/, '');
  return clean || 'file';
}

export function cleanMime(type) {
  const t = String(type ?? '').toLowerCase();
  return /^[a-z0-9][a-z0-9.+-]{0,40}\/[a-z0-9][a-z0-9.+-]{0,80}$/.test(t) ? t : 'application/octet-stream';
}

/** Human size for labels: "3.0 MB", "512 KB", "80 bytes". */
export function formatSize(n) {
  if (n >= 1024 * 1024) return `${(n / (1024 * 1024)).toFixed(1)} MB`;
  if (n >= 1024) return `${Math.round(n / 1024)} KB`;
  return `${n} bytes`;
}

const isB64u = (v, bytes) => {
  try {
    return typeof v === 'string' && C.unb64u(v).length === bytes;
  } catch (e) {
    return false;
  }
};

/** A new outgoing file: its id, key and manifest (the content of the E2EE message that announces it). */
export async function newManifest({ name, type, bytes }, prev = null) {
  const a = C.b64u(C.randomBytes(ID_BYTES));
  const k = C.b64u(C.randomBytes(32));
  const m = {
    t: 'file', a, name: cleanFileName(name), mime: cleanMime(type), size: bytes.length, n: chunkCount(bytes.length),
    h: C.b64u(await C.sha256(bytes)), k,
  };
  if (prev) m.prev = prev;
  return m;
}

/** Checks a received manifest's form; a receiver holds at most maxBytes for it. */
export function validManifest(m, maxBytes) {
  return !!m && m.t === 'file' && isB64u(m.a, ID_BYTES) && typeof m.name === 'string' && m.name === cleanFileName(m.name)
    && typeof m.mime === 'string' && m.mime === cleanMime(m.mime) && Number.isSafeInteger(m.size) && m.size >= 1
    && m.size <= Math.min(maxBytes, HARD_MAX_BYTES) && m.n === chunkCount(m.size) && isB64u(m.h, 32) && isB64u(m.k, 32)
    && (m.prev === undefined || isB64u(m.prev, ID_BYTES));
}

/** The chunk key of one attachment of one sender: HKDF of the file key, bound to the room, sender and id. */
export async function chunkKey(roomId, fp, m) {
  const base = await subtle.importKey('raw', C.unb64u(m.k), 'HKDF', false, ['deriveKey']);
  return subtle.deriveKey(
    { name: 'HKDF', hash: 'SHA-256', salt: C.unb64u(m.a), info: C.utf8(`burnroom/v2/chunk-key|${roomId}|${fp}|${m.a}`) },
    base, { name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt'],
  );
}

const chunkAad = (roomId, fp, a, index, count) => C.utf8(`burnroom/v2/chunk|${roomId}|${fp}|${a}|${index}|${count}`);

/** The key is fresh for every attachment, so the index alone makes every IV unique. */
function chunkIv(index) {
  const iv = new Uint8Array(12);
  new DataView(iv.buffer).setUint32(8, index);
  return iv;
}

/**
 * Seals chunk `index` of an attachment: [version][attachment id][index][signature][AES-GCM(padded data)], as
 * base64url. A resend seals the same bytes again and gets the same body (same key, IV and data).
 */
export async function sealChunk({ key, signKey, roomId, fp, m, index, data }) {
  if (data.length > CHUNK_BYTES) throw new Error('chunk too big');
  const padded = new Uint8Array(CHUNK_BYTES);
  padded.set(data);
  const aad = chunkAad(roomId, fp, m.a, index, m.n);
  const ct = new Uint8Array(await subtle.encrypt({ name: 'AES-GCM', iv: chunkIv(index), additionalData: aad }, key, padded));
  padded.fill(0);
  const sig = new Uint8Array(await subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, signKey, C.concat(aad, ct)));
  const head = new Uint8Array(1 + ID_BYTES + 4);
  head[0] = VERSION;
  head.set(C.unb64u(m.a), 1);
  new DataView(head.buffer).setUint32(1 + ID_BYTES, index);
  return C.b64u(C.concat(head, sig, ct));
}

/** Reads a chunk body's clear header (which attachment, which index); null when it is not a chunk of ours. */
export function parseChunk(body) {
  if (typeof body !== 'string' || body.length !== CHUNK_BODY_CHARS) return null;
  let bytes;
  try {
    bytes = C.unb64u(body);
  } catch (e) {
    return null;
  }
  if (bytes.length !== CHUNK_BODY_BYTES || bytes[0] !== VERSION) return null;
  const index = new DataView(bytes.buffer, bytes.byteOffset).getUint32(1 + ID_BYTES);
  return {
    a: C.b64u(bytes.subarray(1, 1 + ID_BYTES)), index,
    sig: bytes.subarray(1 + ID_BYTES + 4, HEADER_BYTES), ct: bytes.subarray(HEADER_BYTES),
  };
}

/**
 * Verifies the sender's signature, then decrypts. Throws VerifyError (bad_signature, bad_ciphertext, bad_format)
 * for anything the sender did not seal as exactly this chunk of exactly this attachment.
 */
export async function openChunk({ key, verifyKey, roomId, fp, m, chunk }) {
  if (!Number.isSafeInteger(chunk.index) || chunk.index >= m.n) throw new C.VerifyError('bad_format', 'chunk index');
  const aad = chunkAad(roomId, fp, m.a, chunk.index, m.n);
  let ok = false;
  try {
    ok = await subtle.verify({ name: 'ECDSA', hash: 'SHA-256' }, verifyKey, chunk.sig, C.concat(aad, chunk.ct));
  } catch (e) {
    ok = false;
  }
  if (!ok) throw new C.VerifyError('bad_signature', 'chunk signature');
  try {
    return new Uint8Array(await subtle.decrypt({ name: 'AES-GCM', iv: chunkIv(chunk.index), additionalData: aad }, key, chunk.ct));
  } catch (e) {
    throw new C.VerifyError('bad_ciphertext', 'chunk');
  }
}

/** The plaintext of chunk `index` of a file: what sealChunk gets. */
export function sliceOf(bytes, index) {
  return bytes.subarray(index * CHUNK_BYTES, Math.min(bytes.length, (index + 1) * CHUNK_BYTES));
}

/**
 * One incoming file while its chunks arrive: each index is taken once (a resent or replayed chunk is a
 * duplicate), and the whole is only handed out after its SHA-256 matched the manifest.
 */
export class Reassembly {
  constructor(m) {
    this.m = m;
    this.parts = new Array(m.n).fill(null);
    this.got = 0;
    this.forged = 0;
  }

  has(index) {
    return !!this.parts[index];
  }

  complete() {
    return this.got === this.m.n;
  }

  /** @returns {boolean} true when the chunk was new */
  put(index, padded) {
    if (index < 0 || index >= this.m.n || this.parts[index]) return false;
    const last = index === this.m.n - 1;
    const len = last ? this.m.size - index * CHUNK_BYTES : CHUNK_BYTES;
    this.parts[index] = padded.slice(0, len);
    padded.fill(0);
    this.got++;
    return true;
  }

  /** Puts the file together and checks its hash; throws VerifyError('bad_hash') when it is not what was announced. */
  async assemble() {
    if (!this.complete()) throw new C.VerifyError('incomplete', 'chunks missing');
    const out = new Uint8Array(this.m.size);
    let o = 0;
    for (const p of this.parts) {
      out.set(p, o);
      o += p.length;
    }
    this.wipe();
    if (C.b64u(await C.sha256(out)) !== this.m.h) {
      out.fill(0);
      throw new C.VerifyError('bad_hash', 'file hash');
    }
    return out;
  }

  wipe() {
    for (const p of this.parts) if (p) p.fill(0);
    this.parts = [];
  }
}
