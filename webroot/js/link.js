// The link: its secret (the part after '#', which browsers never send), the creator's fragment, the secret's
// commitment to the creator's admin key, and what one secret gives (profile key, join token, room key). The server
// only ever learns the join token's hash.

import { aesKey, b64u, concat, hkdfBits, randomBytes, sha256, unb64u, utf8 } from './primitives.js';

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
