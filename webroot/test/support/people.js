// Builds rooms of Session objects on a FakeRelay (or a hostile subclass of it) the way the web client does:
// the creator makes the link (secret + admin commitment + admin seed), registers the join hash, and joins first.

import { b64u, randomBytes } from '../../js/primitives.js';
import { deriveRoomSecrets, firstNonce, newRoomSecret } from '../../js/link.js';
import { adminKeyFromSeed } from '../../js/adminkey.js';
import { Session } from '../../js/session.js';
import { FakeRelay, waitFor } from './fake-relay.js';

export const ROOM = 'zS_ErV-2RuLol9gu9zKpTw';

/** A creator's link, as the home page makes it before `POST /api/rooms`: the secret commits to the admin key. */
export async function newLink() {
  const adminSeed = b64u(randomBytes(32));
  const admin = await adminKeyFromSeed(adminSeed);
  const { secret, nonce } = await newRoomSecret(admin.pub, await firstNonce(adminSeed));
  const derived = await deriveRoomSecrets(secret, ROOM);
  return { secret, adminSeed, nonce, joinHash: derived.joinHash };
}

const live = new Set();

/** Ends every session a test made, so no timer (expiry checks, periodic rekeys) outlives its test. */
export function cleanup() {
  for (const s of live) s.wipe();
  live.clear();
}

export function person(relay, name, link, extra = {}) {
  const events = [];
  const s = new Session({
    roomId: ROOM, link, name, url: `ws://test/ws/rooms/${ROOM}`, WebSocketImpl: relay.Socket,
    onEvent: (e) => events.push(e), backoff: [5, 10], heldMs: 400, reorderMs: 300, settleMs: 300, dhRotateMs: 0,
    ...extra,
  });
  live.add(s);
  s.events = events;
  s.texts = () => events.filter((e) => e.type === 'message' && !e.self).map((e) => `${e.name}:${e.text}`);
  s.warnings = () => events.filter((e) => e.type === 'integrity').map((e) => e.text);
  s.rejections = () => events.filter((e) => e.type === 'rejected');
  return s;
}

export function inviteOf(link) {
  return { secret: link.secret, adminSeed: null };
}

/** Everyone knows everyone's current epoch key. */
export function settled(people) {
  const live = people.filter((p) => p.state === 'joined');
  return live.every((p) => p.verifiedMembers().length === live.length
    && live.every((q) => q === p || p.chains.has(q.identity.fp, q.epoch)));
}

/**
 * A room whose first person is the creator (admin seed, PIN, create reply); the others join with the invite link.
 * @param {string[]} names
 * @param {typeof FakeRelay} [Relay] a hostile subclass for attack tests
 */
export async function room(names, Relay = FakeRelay) {
  const link = await newLink();
  const relay = new Relay(ROOM, { joinHash: link.joinHash });
  const people = [];
  for (const [k, n] of names.entries()) {
    const p = k === 0
      ? person(relay, n, link, { created: { expiresAt: relay.expiresAt, serverTime: Date.now(), nonce: link.nonce } })
      : person(relay, n, inviteOf(link));
    if (k === 0) p.setPin('PIN12345');
    await p.start();
    await waitFor(() => p.state === 'joined', `${n} joined`);
    people.push(p);
    await waitFor(() => settled(people), 'everyone has everyone\'s keys');
  }
  return { relay, link, people };
}

export { waitFor };
