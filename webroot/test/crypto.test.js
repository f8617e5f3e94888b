import test from 'node:test';
import assert from 'node:assert/strict';
import { b64u, importDhPublic, pad, randomBytes, sha256, unb64u, unpad, utf8, VerifyError } from '../js/primitives.js';
import { badge, checkProfile, cleanName, generateIdentity, makeProfile, nameSkeleton, newDhKey, openProfile, safetyCode, sealProfile } from '../js/identity.js';
import { commitsTo, deriveRoomSecrets, fragmentOf, isLinkSecret, newLinkSecret, newRoomSecret, parseFragment } from '../js/link.js';
import { adminKeyFromSeed, checkCharter, signCharter } from '../js/adminkey.js';
import { chainHash, newChain, ReceiveChains, sealMessage, TRANSCRIPT_START } from '../js/chains.js';
import { openBundle, sealBundle, verifyBundle } from '../js/bundles.js';

const ROOM = 'zS_ErV-2RuLol9gu9zKpTw';
const OTHER_ROOM = 'AAAAAAAAAAAAAAAAAAAAAA';

async function member(name, secret = newLinkSecret(), roomId = ROOM) {
  const identity = await generateIdentity();
  const dh = { ...(await newDhKey()), index: 0 };
  const room = await deriveRoomSecrets(secret, roomId);
  const profile = await makeProfile(roomId, identity, name, dh);
  return { name, identity, dh, room, profile, secret };
}

/** Flips one bit in a base64url string's bytes. */
function flip(b64, at = 0) {
  const bytes = unb64u(b64);
  bytes[at] ^= 1;
  return b64u(bytes);
}

async function rejects(promise, reason) {
  await assert.rejects(promise, (e) => {
    assert.ok(e instanceof VerifyError, `expected VerifyError, got ${e}`);
    if (reason) assert.equal(e.reason, reason);
    return true;
  });
}

const keyOf = (room) => () => room.roomKey;

test('base64url round trips all byte values and refuses other alphabets', () => {
  const all = new Uint8Array(256).map((_, i) => i);
  assert.deepEqual(unb64u(b64u(all)), all);
  assert.match(b64u(all), /^[A-Za-z0-9_-]+$/);
  assert.throws(() => unb64u('ab+/'), VerifyError);
  assert.ok(isLinkSecret(newLinkSecret()));
  assert.ok(!isLinkSecret('short'));
});

test('a link fragment is the secret for invites and secret.seed for the creator, nothing else', async () => {
  const seed = b64u(randomBytes(32));
  const admin = await adminKeyFromSeed(seed);
  assert.equal(admin.pub, (await adminKeyFromSeed(seed)).pub, 'the admin key is a function of the seed (so the creator link restores it)');
  const { secret, nonce } = await newRoomSecret(admin.pub);
  assert.ok(isLinkSecret(secret), 'an invite link is 43 characters after the #, like any 32-byte secret');
  assert.ok(await commitsTo(secret, admin.pub, nonce));
  const other = await adminKeyFromSeed(b64u(randomBytes(32)));
  assert.ok(!(await commitsTo(secret, other.pub, nonce)), 'the secret commits to one admin key');
  assert.ok(!(await commitsTo(secret, admin.pub, b64u(randomBytes(32)))));
  assert.deepEqual(parseFragment(`#${secret}`), { secret, adminSeed: null });
  assert.deepEqual(parseFragment(`${secret}.${seed}`), { secret, adminSeed: seed });
  assert.equal(fragmentOf({ secret, adminSeed: seed }), `${secret}.${seed}`);
  for (const bad of [`${secret}.`, `${secret}.short`, `${secret}.${seed}.${seed}`, 'a.b', '', null, secret.slice(1)]) {
    assert.equal(parseFragment(bad), null, `accepted ${bad}`);
  }
});

test('a room secret gives a join token only its holder knows, and a different one per secret', async () => {
  const s1 = await deriveRoomSecrets(newLinkSecret(), ROOM);
  const s2 = await deriveRoomSecrets(newLinkSecret(), ROOM);
  assert.notEqual(s1.token, s2.token);
  assert.equal(s1.joinHash, b64u(await sha256(unb64u(s1.token))));
  assert.equal(unb64u(s1.token).length, 32);
  assert.equal(s1.joinHash.length, 43);
  assert.equal(s1.sid.length, 12);
});

test('a profile is self-signed: it opens with the link, and no name can be put on someone else\'s keys', async () => {
  const secret = newLinkSecret();
  const a = await member('Alice', secret);
  const sealed = await sealProfile(a.room.profileKey, ROOM, a.profile);
  const b = await member('Bob', secret);
  const opened = await openProfile(b.room.profileKey, ROOM, sealed);
  assert.equal(opened.name, 'Alice');
  assert.equal(opened.fp, a.identity.fp);
  assert.ok(!new TextDecoder().decode(unb64u(sealed)).includes('Alice'));

  // relabel: someone with the link re-seals Alice's keys under another name
  const relabelled = await sealProfile(b.room.profileKey, ROOM, { ...a.profile, name: 'Mallory' });
  await rejects(openProfile(b.room.profileKey, ROOM, relabelled), 'bad_signature');
  // Alice's signed profile with Bob's keys swapped in
  await rejects(checkProfile(ROOM, { ...a.profile, sig: b.profile.sig }), 'bad_signature');
  await rejects(checkProfile(ROOM, { ...a.profile, dh: b.profile.dh }), 'bad_signature');
  // carried into another room
  await rejects(checkProfile(OTHER_ROOM, a.profile), 'bad_signature');
  // a server without the link cannot make one that opens
  const outsider = await member('Mallory');
  await rejects(openProfile(b.room.profileKey, ROOM, await sealProfile(outsider.room.profileKey, ROOM, outsider.profile)), 'bad_ciphertext');
  await rejects(openProfile(b.room.profileKey, ROOM, flip(sealed, 40)), 'bad_ciphertext');
  await rejects(openProfile(b.room.profileKey, ROOM, 'not base64!'), 'bad_format');
});

test('names lose control and direction characters, and look-alike names share a skeleton', () => {
  assert.equal(cleanName('  Al\u202Eice\u200B \n Smith '), 'Alice Smith');
  assert.equal(cleanName('x'.repeat(100)).length, 64);
  assert.equal(nameSkeleton('Alice'), nameSkeleton('Аlice')); // Cyrillic А
  assert.equal(nameSkeleton('bob'), nameSkeleton('B0B'));
  assert.equal(nameSkeleton('Kim'), nameSkeleton('Klm'.replace('l', 'i')));
  assert.equal(nameSkeleton('rnallory'), nameSkeleton('Mallory'));
  assert.notEqual(nameSkeleton('Alice'), nameSkeleton('Alina'));
});

test('a charter verifies only with its own signature, over every field', async () => {
  const admin = await adminKeyFromSeed(b64u(randomBytes(32)));
  const { nonce } = await newRoomSecret(admin.pub);
  const body = { r: ROOM, n: 1, exp: Date.now() + 60_000, lk: false, kk: [], sid: 'abcdefghijkl', no: nonce };
  const c = await signCharter(admin, body);
  assert.deepEqual(await checkCharter(ROOM, c), c);
  await rejects(checkCharter(ROOM, { ...c, exp: c.exp + 3_600_000 }), 'bad_signature');
  await rejects(checkCharter(ROOM, { ...c, kk: ['x'.repeat(22)] }), 'bad_signature');
  await rejects(checkCharter(OTHER_ROOM, c), 'bad_format');
  await rejects(checkCharter(ROOM, { ...c, exp: 'soon' }), 'bad_format');
  // an ex-member signs one with a key of their own: it verifies as a signature, but the link commits to another key
  const mallory = await adminKeyFromSeed(b64u(randomBytes(32)));
  const forged = await signCharter(mallory, body);
  await checkCharter(ROOM, forged);
  const { secret } = await newRoomSecret(admin.pub);
  assert.ok(!(await commitsTo(secret, forged.a, forged.no)));
});

test('a message round trips and every tampering is rejected', async () => {
  const a = await member('A');
  const chain = newChain(1, a.room.sid);
  const rx = new ReceiveChains();
  rx.install(a.identity.fp, { epoch: 1, n: 0, ck: chain.ck, sid: a.room.sid });
  const verifyKey = a.identity.sig.publicKey;
  const seal = (content) => sealMessage({ chain, roomKey: a.room.roomKey, signKey: a.identity.sig.privateKey, roomId: ROOM, fp: a.identity.fp, content });
  const env = await seal({ text: 'hello' });
  assert.ok(!JSON.stringify(env).includes('hello'));
  const open = (e, roomId = ROOM, key = verifyKey) => rx.open({ roomId, verifyKey: key, env: e, roomKeyOf: keyOf(a.room) });

  for (const t of [{ ...env, ct: flip(env.ct, 5) }, { ...env, iv: flip(env.iv, 0) }, { ...env, sig: flip(env.sig, 10) },
    { ...env, n: env.n + 1 }, { ...env, e: env.e + 1 }, { ...env, s: 'B'.repeat(22) }]) {
    await rejects(open(t), 'bad_signature');
  }
  await rejects(open(env, OTHER_ROOM), 'bad_signature');
  const m = await member('M');
  await rejects(open(env, ROOM, m.identity.sig.publicKey), 'bad_signature');
  assert.deepEqual(await open(env), { text: 'hello' });
  await rejects(open(env), 'replay');
});

test('the ratchet is salted with the room key: the same chain key without the link opens nothing', async () => {
  const a = await member('A');
  const chain = newChain(1, a.room.sid);
  const stolen = new ReceiveChains();
  stolen.install(a.identity.fp, { epoch: 1, n: 0, ck: chain.ck, sid: 'x' });
  const env = await sealMessage({ chain, roomKey: a.room.roomKey, signKey: a.identity.sig.privateKey, roomId: ROOM, fp: a.identity.fp, content: { t: 1 } });
  await rejects(stolen.open({ roomId: ROOM, verifyKey: a.identity.sig.publicKey, env, roomKeyOf: () => randomBytes(32) }), 'bad_ciphertext');
});

test('the ratchet deletes used keys: old chain keys are zeroed, replays and far-future counters are refused', async () => {
  const a = await member('A');
  const chain = newChain(7, a.room.sid);
  const first = chain.ck;
  const rx = new ReceiveChains(4);
  rx.install(a.identity.fp, { epoch: 7, n: 0, ck: new Uint8Array(first), sid: a.room.sid });
  const verifyKey = a.identity.sig.publicKey;
  const seal = (text) => sealMessage({ chain, roomKey: a.room.roomKey, signKey: a.identity.sig.privateKey, roomId: ROOM, fp: a.identity.fp, content: { text } });
  const open = (env) => rx.open({ roomId: ROOM, verifyKey, env, roomKeyOf: keyOf(a.room) });

  const m0 = await seal('zero');
  assert.ok(first.every((b) => b === 0), 'the sender wiped the chain key it used');
  const m1 = await seal('one');
  const m2 = await seal('two');
  assert.equal((await open(m2)).text, 'two');
  const state = rx.bySender.get(a.identity.fp).get(7);
  assert.deepEqual([...state.skipped.keys()].sort(), [0, 1]);
  assert.equal((await open(m1)).text, 'one');
  assert.equal((await open(m0)).text, 'zero');
  assert.equal(state.skipped.size, 0);
  for (const m of [m0, m1, m2]) await rejects(open(m), 'replay');
  for (let i = 0; i < 5; i++) await seal(`skip${i}`);
  await rejects(open(await seal('far')), 'out_of_window');
  assert.equal(state.n, 3);

  // forgetting a sender keeps its high-water mark: the same epoch's bundle replayed later installs nothing
  rx.forget(a.identity.fp);
  assert.equal(rx.install(a.identity.fp, { epoch: 7, n: 0, ck: randomBytes(32), sid: a.room.sid }), false);
  await rejects(open(m0), 'replay');
});

test('padding hides lengths inside a bucket', async () => {
  assert.equal(pad(utf8('x')).length, pad(utf8('y'.repeat(200))).length);
  assert.ok(pad(utf8('z'.repeat(300))).length > 256);
  assert.deepEqual(unpad(pad(utf8('abc'))), utf8('abc'));
});

test('a bundle opens only for its recipients, only with their current ECDH key, and carries a signed body', async () => {
  const secret = newLinkSecret();
  const [a, b, c, kim] = await Promise.all(['A', 'B', 'C', 'Kim'].map((n) => member(n, secret)));
  const recipient = async (m) => ({
    fp: m.identity.fp, dh: { index: 0, key: await importDhPublic(m.dh.pub) }, sid: m.room.sid, roomKey: m.room.roomKey,
  });
  const chain = newChain(3, a.room.sid);
  chain.n = 5;
  const env = await sealBundle({
    roomId: ROOM, fp: a.identity.fp, signKey: a.identity.sig.privateKey, chain,
    recipients: [await recipient(b), await recipient(c)], body: { prof: a.profile, ro: ['x'] },
  });
  await verifyBundle(ROOM, a.identity.sig.publicKey, env);
  const forB = await openBundle({ roomId: ROOM, env, myFp: b.identity.fp, dhOf: (i) => (i === 0 ? b.dh.pair : undefined), roomKeyOf: keyOf(b.room) });
  assert.deepEqual(forB.chain, { epoch: 3, n: 5, ck: chain.ck, sid: a.room.sid });
  assert.deepEqual(forB.body.ro, ['x']);
  // Kim was left out of the epoch: no entry, nothing to open
  assert.equal(await openBundle({ roomId: ROOM, env, myFp: kim.identity.fp, dhOf: () => kim.dh.pair, roomKeyOf: keyOf(kim.room) }), null);
  // Kim claims to be B: B's entry does not open with Kim's ECDH key
  await rejects(openBundle({ roomId: ROOM, env, myFp: b.identity.fp, dhOf: () => kim.dh.pair, roomKeyOf: keyOf(kim.room) }), 'bad_ciphertext');
  // B's ECDH key of that index is gone (rotated and deleted): forward secrecy
  await rejects(openBundle({ roomId: ROOM, env, myFp: b.identity.fp, dhOf: () => undefined, roomKeyOf: keyOf(b.room) }), 'no_key');
  // B's key but not the link's room key: nothing (a recording plus a broken P-256 is not enough without the link)
  await rejects(openBundle({ roomId: ROOM, env, myFp: b.identity.fp, dhOf: () => b.dh.pair, roomKeyOf: () => randomBytes(32) }), 'bad_ciphertext');
  await rejects(openBundle({ roomId: ROOM, env, myFp: b.identity.fp, dhOf: () => b.dh.pair, roomKeyOf: () => undefined }), 'no_key');
  // any change to what was signed
  await rejects(verifyBundle(ROOM, a.identity.sig.publicKey, { ...env, e: 4 }), 'bad_signature');
  await rejects(verifyBundle(ROOM, a.identity.sig.publicKey, { ...env, ent: env.ent.slice(1) }), 'bad_signature');
  await rejects(verifyBundle(ROOM, c.identity.sig.publicKey, env), 'bad_signature');
});

test('the transcript hash chains each message to the one before', async () => {
  const h1 = await chainHash(TRANSCRIPT_START, 1, { t: 'text', text: 'a' });
  const h2 = await chainHash(h1, 2, { t: 'text', text: 'b' });
  assert.notEqual(h1, h2);
  assert.equal(h1, await chainHash(TRANSCRIPT_START, 1, { text: 'a', t: 'text' }), 'key order does not matter');
  assert.notEqual(h2, await chainHash(h1, 3, { t: 'text', text: 'b' }));
  assert.notEqual(h2, await chainHash(TRANSCRIPT_START, 2, { t: 'text', text: 'b' }));
});

test('the safety code covers names and keys, not member order', async () => {
  const ms = await Promise.all(['Alice', 'Bob', 'Carol'].map(async (n) => {
    const m = await member(n);
    return { name: n, sigPub: m.identity.sigPub };
  }));
  const one = await safetyCode(ROOM, ms);
  assert.deepEqual(one, await safetyCode(ROOM, [ms[2], ms[0], ms[1]]));
  assert.match(one.digits, /^\d{4}( \d{4}){5}$/);
  assert.equal(one.emoji.split(' ').length, 6);
  assert.notDeepEqual(await safetyCode(ROOM, ms.slice(0, 2)), one);
  assert.notDeepEqual(await safetyCode(OTHER_ROOM, ms), one);
  // the same keys under swapped names give another code
  const swapped = [{ ...ms[0], name: 'Bob' }, { ...ms[1], name: 'Alice' }, ms[2]];
  assert.notDeepEqual(await safetyCode(ROOM, swapped), one);
  assert.match(badge(b64u(randomBytes(16))), /^\S+$/u);
});
