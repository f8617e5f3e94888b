import test from 'node:test';
import assert from 'node:assert/strict';
import * as C from '../js/crypto.js';

const ROOM = 'zS_ErV-2RuLol9gu9zKpTw';

async function member(id, secret = C.newLinkSecret(), roomId = ROOM) {
  const identity = await C.generateIdentity();
  const profileKey = await C.deriveProfileKey(secret, roomId);
  return { id, identity, profileKey, secret };
}

/** Flips one bit in a base64url string's bytes. */
function flip(b64, at = 0) {
  const bytes = C.unb64u(b64);
  bytes[at] ^= 1;
  return C.b64u(bytes);
}

async function rejects(promise, reason) {
  await assert.rejects(promise, (e) => {
    assert.ok(e instanceof C.VerifyError, `expected VerifyError, got ${e}`);
    if (reason) assert.equal(e.reason, reason);
    return true;
  });
}

test('base64url round trips all byte values and refuses other alphabets', () => {
  const all = new Uint8Array(256).map((_, i) => i);
  assert.deepEqual(C.unb64u(C.b64u(all)), all);
  assert.match(C.b64u(all), /^[A-Za-z0-9_-]+$/);
  assert.throws(() => C.unb64u('ab+/'), C.VerifyError);
  assert.ok(C.isLinkSecret(C.newLinkSecret()));
  assert.ok(!C.isLinkSecret('short'));
});

test('a profile opens with the same link secret and room, and nothing else', async () => {
  const secret = C.newLinkSecret();
  const a = await member('a', secret);
  const profile = await C.sealProfile(a.profileKey, ROOM, a.identity, 'Alice');
  const b = await member('b', secret);
  const opened = await C.openProfile(b.profileKey, ROOM, profile);
  assert.equal(opened.name, 'Alice');
  assert.equal(opened.ecdhPub, a.identity.ecdhPub);
  assert.equal(opened.ecdsaPub, a.identity.ecdsaPub);
  assert.ok(!profile.includes('Alice'));
  assert.ok(!new TextDecoder().decode(C.unb64u(profile)).includes('Alice'));

  // forged: a server without the link makes its own profile
  const outsider = await member('x');
  const forged = await C.sealProfile(outsider.profileKey, ROOM, outsider.identity, 'Mallory');
  await rejects(C.openProfile(b.profileKey, ROOM, forged), 'bad_ciphertext');
  // the same profile replayed into another room (AAD = roomId)
  const otherRoomKey = await C.deriveProfileKey(secret, 'AAAAAAAAAAAAAAAAAAAAAA');
  await rejects(C.openProfile(otherRoomKey, 'AAAAAAAAAAAAAAAAAAAAAA', profile), 'bad_ciphertext');
  const sameKeyOtherAad = await C.openProfile(b.profileKey, 'AAAAAAAAAAAAAAAAAAAAAA', profile).catch((e) => e);
  assert.ok(sameKeyOtherAad instanceof C.VerifyError);
  // tampered: any flipped bit in iv or ciphertext
  await rejects(C.openProfile(b.profileKey, ROOM, flip(profile, 3)), 'bad_ciphertext');
  await rejects(C.openProfile(b.profileKey, ROOM, flip(profile, 40)), 'bad_ciphertext');
  await rejects(C.openProfile(b.profileKey, ROOM, 'not base64!'), 'bad_format');
});

test('a message round trips and every tampering is rejected', async () => {
  const a = await member('A');
  const chain = C.newChain(1);
  const rx = new C.ReceiveChains();
  rx.install('A', { epoch: 1, n: 0, ck: chain.ck });
  const verifyKey = a.identity.ecdsa.publicKey;
  const env = await C.sealMessage({ chain, signKey: a.identity.ecdsa.privateKey, roomId: ROOM, senderId: 'A', content: { text: 'hello' } });
  assert.ok(!JSON.stringify(env).includes('hello'));

  const tampered = [
    { ...env, ct: flip(env.ct, 5) },
    { ...env, iv: flip(env.iv, 0) },
    { ...env, sig: flip(env.sig, 10) },
    { ...env, n: env.n + 1 },
    { ...env, e: env.e + 1 },
  ];
  for (const t of tampered) {
    await rejects(rx.open({ roomId: ROOM, senderId: 'A', verifyKey, env: t }), 'bad_signature');
  }
  // AAD binds room and sender: the same bytes attributed to another sender or room do not verify
  await rejects(rx.open({ roomId: 'AAAAAAAAAAAAAAAAAAAAAA', senderId: 'A', verifyKey, env }), 'bad_signature');
  await rejects(rx.open({ roomId: ROOM, senderId: 'B', verifyKey, env }), 'bad_signature');
  // signed by somebody else
  const m = await member('M');
  await rejects(rx.open({ roomId: ROOM, senderId: 'A', verifyKey: m.identity.ecdsa.publicKey, env }), 'bad_signature');

  // none of the failures advanced the chain: the genuine message still opens
  assert.deepEqual(await rx.open({ roomId: ROOM, senderId: 'A', verifyKey, env }), { text: 'hello' });
  // and a replay of it is refused
  await rejects(rx.open({ roomId: ROOM, senderId: 'A', verifyKey, env }), 'replay');
});

test('a correctly signed message with a wrong key or broken ciphertext is still refused', async () => {
  // The signer is honest but the AES layer is wrong (e.g. a member encrypting to a chain nobody has).
  const a = await member('A');
  const real = C.newChain(1);
  const rx = new C.ReceiveChains();
  rx.install('A', { epoch: 1, n: 0, ck: C.randomBytes(32) });
  const env = await C.sealMessage({ chain: real, signKey: a.identity.ecdsa.privateKey, roomId: ROOM, senderId: 'A', content: { text: 'x' } });
  await rejects(rx.open({ roomId: ROOM, senderId: 'A', verifyKey: a.identity.ecdsa.publicKey, env }), 'bad_ciphertext');
  // no chain at all for that sender or epoch
  await rejects(new C.ReceiveChains().open({ roomId: ROOM, senderId: 'A', verifyKey: a.identity.ecdsa.publicKey, env }), 'no_key');
});

test('the ratchet deletes used keys: old chain keys are zeroed, replays and far-future counters are refused', async () => {
  const a = await member('A');
  const chain = C.newChain(7);
  const first = chain.ck;
  const firstCopy = new Uint8Array(first);
  const rx = new C.ReceiveChains(4);
  rx.install('A', { epoch: 7, n: 0, ck: firstCopy });
  const sign = a.identity.ecdsa.privateKey;
  const verifyKey = a.identity.ecdsa.publicKey;
  const seal = (text) => C.sealMessage({ chain, signKey: sign, roomId: ROOM, senderId: 'A', content: { text } });

  const m0 = await seal('zero');
  assert.ok(first.every((b) => b === 0), 'the sender wiped the chain key it used');
  assert.notDeepEqual(chain.ck, firstCopy);
  assert.equal(chain.n, 1);
  const m1 = await seal('one');
  const m2 = await seal('two');

  // out of order inside the window: m2 first keeps a skipped key for m1 (and m0), each usable once
  assert.equal((await rx.open({ roomId: ROOM, senderId: 'A', verifyKey, env: m2 })).text, 'two');
  const state = rx.bySender.get('A').get(7);
  assert.equal(state.n, 3);
  assert.deepEqual([...state.skipped.keys()].sort(), [0, 1]);
  assert.equal((await rx.open({ roomId: ROOM, senderId: 'A', verifyKey, env: m1 })).text, 'one');
  assert.deepEqual([...state.skipped.keys()], [0], 'the used message key is gone');
  assert.equal((await rx.open({ roomId: ROOM, senderId: 'A', verifyKey, env: m0 })).text, 'zero');
  assert.equal(state.skipped.size, 0);
  for (const m of [m0, m1, m2]) await rejects(rx.open({ roomId: ROOM, senderId: 'A', verifyKey, env: m }), 'replay');

  // counters beyond the window are refused without moving the chain
  for (let i = 0; i < 5; i++) await seal(`skip${i}`);
  const far = await seal('far');
  await rejects(rx.open({ roomId: ROOM, senderId: 'A', verifyKey, env: far }), 'out_of_window');
  assert.equal(state.n, 3);
});

test('padding hides lengths inside a bucket', async () => {
  const a = await member('A');
  const chain = C.newChain(1);
  const seal = (text) => C.sealMessage({ chain, signKey: a.identity.ecdsa.privateKey, roomId: ROOM, senderId: 'A', content: { text } });
  const short = await seal('x');
  const longer = await seal('y'.repeat(200));
  assert.equal(C.unb64u(short.ct).length, C.unb64u(longer.ct).length);
  assert.ok(C.unb64u((await seal('z'.repeat(300))).ct).length > C.unb64u(short.ct).length);
  assert.deepEqual(C.unpad(C.pad(C.utf8('abc'))), C.utf8('abc'));
});

test('a key bundle reaches only its addressee and only from its sender', async () => {
  const a = await member('A');
  const b = await member('B');
  const c = await member('C');
  const ab = await C.pairwiseKey(a.identity.ecdh.privateKey, b.identity.ecdh.publicKey, ROOM);
  const ba = await C.pairwiseKey(b.identity.ecdh.privateKey, a.identity.ecdh.publicKey, ROOM);
  const ca = await C.pairwiseKey(c.identity.ecdh.privateKey, a.identity.ecdh.publicKey, ROOM);
  const chain = C.newChain(3);
  chain.n = 5;
  const env = await C.sealKeyBundle({ pairKey: ab, signKey: a.identity.ecdsa.privateKey, roomId: ROOM, from: 'A', to: 'B', chain });
  const got = await C.openKeyBundle({ pairKey: ba, verifyKey: a.identity.ecdsa.publicKey, roomId: ROOM, from: 'A', to: 'B', env });
  assert.deepEqual(got, { epoch: 3, n: 5, ck: chain.ck });
  // C cannot open it (wrong pairwise key), not even when the relay readdresses it
  await rejects(C.openKeyBundle({ pairKey: ca, verifyKey: a.identity.ecdsa.publicKey, roomId: ROOM, from: 'A', to: 'B', env }), 'bad_ciphertext');
  await rejects(C.openKeyBundle({ pairKey: ca, verifyKey: a.identity.ecdsa.publicKey, roomId: ROOM, from: 'A', to: 'C', env }), 'bad_signature');
  // claimed to come from C
  await rejects(C.openKeyBundle({ pairKey: ba, verifyKey: c.identity.ecdsa.publicKey, roomId: ROOM, from: 'A', to: 'B', env }), 'bad_signature');
});

test('after a rekey a departed member cannot decrypt new messages', async () => {
  const a = await member('A');
  const old = C.newChain(1);
  const departed = new C.ReceiveChains();
  const stays = new C.ReceiveChains();
  departed.install('A', { epoch: 1, n: 0, ck: old.ck });
  stays.install('A', { epoch: 1, n: 0, ck: old.ck });
  const fresh = C.newChain(2); // the rekey: only the member who stays gets it
  stays.install('A', { epoch: 2, n: 0, ck: fresh.ck });
  const env = await C.sealMessage({ chain: fresh, signKey: a.identity.ecdsa.privateKey, roomId: ROOM, senderId: 'A', content: { text: 'after' } });
  assert.equal((await stays.open({ roomId: ROOM, senderId: 'A', verifyKey: a.identity.ecdsa.publicKey, env })).text, 'after');
  await rejects(departed.open({ roomId: ROOM, senderId: 'A', verifyKey: a.identity.ecdsa.publicKey, env }), 'no_key');
  // Even forcing the old chain under the new epoch number gives garbage, not plaintext.
  const forced = new C.ReceiveChains();
  forced.install('A', { epoch: 2, n: 0, ck: C.randomBytes(32) });
  await rejects(forced.open({ roomId: ROOM, senderId: 'A', verifyKey: a.identity.ecdsa.publicKey, env }), 'bad_ciphertext');
  // an older epoch never replaces a newer one
  assert.equal(stays.install('A', { epoch: 1, n: 0, ck: C.randomBytes(32) }), false);
});

test('the safety code does not depend on member order and changes with membership', async () => {
  const ms = await Promise.all(['A', 'B', 'C'].map(async (id) => (await member(id)).identity));
  const one = await C.safetyCode(ROOM, [ms[0], ms[1], ms[2]]);
  const two = await C.safetyCode(ROOM, [ms[2], ms[0], ms[1]]);
  assert.deepEqual(one, two);
  assert.match(one.digits, /^\d{4}( \d{4}){5}$/);
  assert.equal(one.emoji.split(' ').length, 6);
  assert.notDeepEqual(await C.safetyCode(ROOM, [ms[0], ms[1]]), one);
  assert.notDeepEqual(await C.safetyCode('AAAAAAAAAAAAAAAAAAAAAA', ms), one);
});
