// Who a member is, as others can check it: a signing key (its hash is the fingerprint, the member's identity, never
// the server's seat id) and an ECDH key that turns over; the self-signed profile that binds a cleaned-up name to
// those keys; and what the page shows of them (key badges, look-alike skeletons, the room's safety code).

import { b64u, canonical, concat, ECDH_ALG, ECDSA_ALG, importDhPublic, importSigningPublic, openAes, pad, parseJson, sealAes, sha256, sign, unb64u, unpad, utf8, verify, VerifyError } from './primitives.js';

const subtle = globalThis.crypto.subtle;

export const MAX_NAME_CHARS = 64;

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
