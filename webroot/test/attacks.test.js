// The eleven attacks of issue 26, each by a relay that edits frames (HostileRelay) or, where the attack works
// with an honest server, by the colluding ex-member. Each of these succeeded against the v1 client.

import test, { afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { HostileRelay, kindOf } from './support/hostile-relay.js';
import { decodeEnvelope } from '../js/primitives.js';
import { sealProfile } from '../js/identity.js';
import { deriveRoomSecrets, newLinkSecret } from '../js/link.js';
import { ReceiveChains } from '../js/chains.js';
import { openBundle } from '../js/bundles.js';
import { ROOM, room, person, inviteOf, settled, waitFor, cleanup } from './support/people.js';

afterEach(cleanup);

const pause = (ms) => new Promise((r) => setTimeout(r, ms));
const hostileRoom = (names) => room(names, HostileRelay);

test('1. replay: a member dropped and re-added by the server, with her old bundle and message, is shown once and warned', async () => {
  const { relay, people: [alice, bob] } = await hostileRoom(['Alice', 'Bob']);
  await alice.send('transfer 100 EUR to Mallory');
  await waitFor(() => bob.texts().length === 1, 'delivered');
  const bundle = relay.relayedFrom(alice.memberId, 'K').at(-1);
  const message = relay.relayedFrom(alice.memberId, 'm').at(-1);
  const joinedWith = (members) => ({
    type: 'joined', memberId: bob.memberId, resumeToken: 'x', members, expiresAt: relay.expiresAt, serverTime: Date.now(), locked: false, seq: relay.seq,
  });
  const everyone = relay.members();
  // unsolicited: a member list nobody asked for
  relay.push(bob.memberId, joinedWith(everyone.filter((m) => m.memberId !== alice.memberId)));
  await waitFor(() => bob.warnings().some((w) => w.includes('nobody asked for')), 'unsolicited joined refused');
  assert.equal(bob.verifiedMembers().length, 2, 'an unsolicited joined changes nothing');
  // the same through a resume the server provokes: Alice "left", then is back with the same keys
  const dropAlice = relay.edit((to, f) => (to === bob.memberId && f.type === 'joined'
    ? [{ ...f, members: f.members.filter((m) => m.memberId !== alice.memberId) }] : undefined));
  relay.drop(bob.memberId);
  await waitFor(() => bob.verifiedMembers().length === 1, 'alice gone from bob\'s view');
  dropAlice();
  relay.drop(bob.memberId);
  await waitFor(() => bob.warnings().some((w) => w.includes('Alice left this room earlier')), 'return refused');
  relay.push(bob.memberId, { ...bundle, seq: ++relay.seq });
  relay.push(bob.memberId, { ...message, seq: ++relay.seq });
  await pause(300);
  assert.deepEqual(bob.texts(), ['Alice:transfer 100 EUR to Mallory'], 'shown once');
  assert.ok(bob.warnings().some((w) => w.includes('Alice') && /no longer in the room/.test(w)));
  assert.notDeepEqual(bob.safety, alice.safety, 'Bob\'s safety code shows a different room');
});

test('2. relabel: profiles swapped between seats, or re-signed under another name, never put one member\'s words under another\'s name', async () => {
  const { relay, link, people: [alice, mallory] } = await hostileRoom(['Alice', 'Mallory']);
  // The server hands Carol Alice's genuine profile on Mallory's seat and Mallory's on Alice's.
  const profiles = new Map(relay.members().map((m) => [m.memberId, m.profile]));
  relay.edit((to, f) => {
    if (f.type !== 'joined' || f.memberId === alice.memberId || f.memberId === mallory.memberId) return undefined;
    return [{
      ...f,
      members: f.members.map((m) => {
        if (m.memberId === alice.memberId) return { ...m, profile: profiles.get(mallory.memberId) };
        if (m.memberId === mallory.memberId) return { ...m, profile: profiles.get(alice.memberId) };
        return m;
      }),
    }];
  });
  const carol = person(relay, 'Carol', inviteOf(link));
  await carol.start();
  await waitFor(() => carol.state === 'joined', 'carol joined');
  await alice.send('the plan is off');
  await mallory.send('send me the money');
  await waitFor(() => carol.warnings().some((w) => w.includes('seat')), 'relabel seen');
  await pause(600);
  for (const t of carol.texts()) {
    assert.ok(!(t === 'Mallory:the plan is off' || t === 'Alice:send me the money'), `relabelled: ${t}`);
  }
  // The colluding ex-member re-seals Alice's signed profile under the name "Mallory": it does not verify.
  const own = await deriveRoomSecrets(link.secret, ROOM);
  const signed = alice.profileObj;
  relay.inject('relabel', await sealProfile(own.profileKey, ROOM, { ...signed, name: 'Mallory' }));
  await waitFor(() => carol.warnings().some((w) => w.includes('unverified')), 'forged profile not verified');
  assert.ok(!carol.verifiedMembers().some((m) => m.memberId === 'relabel'));
});

test('3. a kick lasts: the kicked member reopening the old link with an honest server reads nothing new', async () => {
  const { relay, link, people: [alice, bob, kim] } = await room(['Alice', 'Bob', 'Kim']);
  alice.admin('kick', { target: kim.memberId });
  await waitFor(() => kim.state === 'closed' && bob.link.secret !== link.secret, 'kicked and rotated');
  const again = person(relay, 'Kim', inviteOf(link));
  await again.start();
  await waitFor(() => again.state === 'closed', 'refused');
  assert.equal(again.events.find((e) => e.type === 'closed').why, 'link_rotated');
  await alice.send('after the kick');
  await waitFor(() => bob.texts().includes('Alice:after the kick'), 'bob reads');
  assert.ok(!again.events.some((e) => e.type === 'message'));
  // the creator's new invite link works
  const fresh = person(relay, 'Dana', inviteOf({ ...link, secret: alice.link.secret }));
  await fresh.start();
  await waitFor(() => fresh.state === 'joined' && settled([alice, bob, fresh]), 'dana in with the new link');
  await bob.send('welcome dana');
  await waitFor(() => fresh.texts().includes('Bob:welcome dana'), 'dana reads');
  assert.deepEqual(fresh.warnings(), []);
});

test('4. split kick: the server tells only the creator; Bob warns on the creator\'s next frame and Kim reads nothing Bob sends after', async () => {
  const { relay, people: [alice, bob, kim] } = await hostileRoom(['Alice', 'Bob', 'Kim']);
  const kimId = kim.memberId;
  // The server tells only Alice: Bob gets no member_left, Kim keeps her socket and gets every broadcast.
  relay.kick = (target) => {
    relay.deliver(relay.seats.get(alice.memberId).sock, { type: 'member_left', memberId: target, reason: 'kicked' });
  };
  alice.admin('kick', { target: kimId });
  await waitFor(() => bob.warnings().some((w) => w.includes('Kim') && w.includes('did not tell you')), 'bob warned');
  await waitFor(() => bob.verifiedMembers().length === 2 && alice.verifiedMembers().length === 2, 'kim out for both');
  await bob.send('kim must not read this');
  await alice.send('nor this');
  await waitFor(() => alice.texts().includes('Bob:kim must not read this'), 'alice reads bob');
  await pause(600);
  assert.ok(!kim.texts().some((t) => t.includes('must not read') || t.includes('nor this')), kim.texts().join());
  assert.ok(relay.sent.some((s) => s.to === kimId && kindOf(s.frame) === 'm' && s.frame.from === bob.memberId), 'the frame did reach Kim');
});

test('5. offline outbox: a message typed offline during a kick is re-sealed under the new epoch', async () => {
  const { relay, people: [alice, bob, kim] } = await hostileRoom(['Alice', 'Bob', 'Kim']);
  const kimChains = new ReceiveChains();
  const kimKeys = new Map([...kim.secrets].map(([sid, s]) => [sid, s.roomKey]));
  const bobChainsAtKim = () => kim.chains.bySender.get(bob.identity.fp);
  for (const [epoch, ch] of bobChainsAtKim()) kimChains.install(bob.identity.fp, { epoch, n: ch.n, ck: ch.ck, sid: ch.sid });
  bob.backoff = [400];
  relay.drop(bob.memberId);
  await waitFor(() => bob.state === 'reconnecting', 'bob offline');
  alice.admin('kick', { target: kim.memberId });
  await waitFor(() => kim.state === 'closed', 'kim kicked');
  await bob.send('typed while offline');
  await waitFor(() => alice.texts().includes('Bob:typed while offline'), 'delivered after resume', 4000);
  const frame = relay.relayedFrom(bob.memberId, 'm').at(-1);
  const env = decodeEnvelope(frame.body);
  await assert.rejects(kimChains.open({ roomId: ROOM, verifyKey: bob.identity.sig.publicKey, env, roomKeyOf: (sid) => kimKeys.get(sid) }),
    (e) => e.reason === 'no_key');
});

test('6. forward secrecy of key bundles: a recording plus Bob\'s later keys recovers nothing of earlier epochs', async () => {
  const { relay, people: [alice, bob] } = await hostileRoom(['Alice', 'Bob']);
  await alice.send('early secret');
  await waitFor(() => bob.texts().includes('Alice:early secret'), 'delivered');
  const recorded = relay.relayedFrom(alice.memberId, 'K').map((f) => decodeEnvelope(f.body));
  assert.ok(recorded.length > 0);
  // time passes: both rekey a few times, which turns Bob's ECDH key over
  for (let i = 0; i < 6; i++) {
    await bob.enqueue(() => bob.rekey());
    await alice.enqueue(() => alice.rekey());
  }
  await waitFor(() => settled([alice, bob]), 'settled');
  await alice.send('later');
  await waitFor(() => bob.texts().includes('Alice:later'), 'later delivered');
  // Now the attacker gets everything Bob's browser holds: his ECDH keys and every room key.
  const stolenDh = new Map(bob.dhKeys.map((d) => [d.index, d.pair]));
  const stolenRoomKeys = new Map([...bob.secrets].map(([sid, s]) => [sid, s.roomKey]));
  const open = (env) => openBundle({ roomId: ROOM, env, myFp: bob.identity.fp, dhOf: (i) => stolenDh.get(i), roomKeyOf: (sid) => stolenRoomKeys.get(sid) });
  for (const env of recorded) await assert.rejects(open(env), (e) => e.reason === 'no_key', 'an early bundle opened');
  // the attack code itself works: the newest bundle, sealed to a key Bob still holds, does open
  const newest = decodeEnvelope(relay.relayedFrom(alice.memberId, 'K').at(-1).body);
  assert.ok(await open(newest));
  // and the early message needs a chain key that nothing recovers
  const early = decodeEnvelope(relay.relayedFrom(alice.memberId, 'm')[0].body);
  assert.ok(!bob.chains.has(alice.identity.fp, early.e), 'Bob deleted that epoch');
});

test('7. gaps and reorders: message 2 of 4 dropped and 3, 4 swapped are warned at once and shown in the sender\'s order', async () => {
  const { relay, people: [alice, bob] } = await hostileRoom(['Alice', 'Bob']);
  let k = 0;
  let heldThird = null;
  relay.edit((to, f) => {
    if (to !== bob.memberId || f.from !== alice.memberId || kindOf(f) !== 'm') return undefined;
    k++;
    if (k === 2) return null;
    if (k === 3) {
      heldThird = f;
      return null;
    }
    if (k === 4) return [f, heldThird];
    return undefined;
  });
  for (const t of ['one', 'two', 'three', 'four']) await alice.send(t);
  await waitFor(() => bob.warnings().some((w) => w.includes('Alice') && w.includes('missing or out of order')), 'gap warned');
  await waitFor(() => bob.warnings().some((w) => w.includes('never arrived')), 'drop named');
  await waitFor(() => bob.texts().length === 3, 'the rest shown').catch((e) => {
    throw new Error(`${e.message}: ${JSON.stringify({ texts: bob.texts(), warnings: bob.warnings() })}`);
  });
  assert.deepEqual(bob.texts(), ['Alice:one', 'Alice:three', 'Alice:four']);
  assert.ok(bob.warnings().some((w) => w.includes('1 message(s) from Alice never arrived (#2)')));
});

test('8. the room id alone is no seat: a join without the link\'s token is refused', async () => {
  const { relay, link, people: [alice] } = await room(['Alice']);
  const stranger = person(relay, 'Eve', { secret: newLinkSecret(), adminCommit: link.adminCommit, adminSeed: null });
  await stranger.start();
  await waitFor(() => stranger.state === 'closed', 'refused');
  assert.equal(stranger.events.find((e) => e.type === 'closed').why, 'link_rotated');
  assert.equal(relay.seats.size, 1);
  assert.equal(alice.verifiedMembers().length, 1);
  // a raw join with no token at all
  const Sock = relay.Socket;
  const raw = new Sock('x');
  const got = [];
  raw.onmessage = (e) => got.push(JSON.parse(e.data));
  raw.onclose = (e) => got.push({ closed: e.code });
  raw.onopen = () => raw.send(JSON.stringify({ type: 'join', profile: 'AAAA' }));
  await waitFor(() => got.some((g) => g.closed), 'closed');
  assert.deepEqual(got.map((g) => g.code || g.closed), ['join_token_invalid', 4010]);
});

test('9. the server does not own the clock: a bogus tick is ignored and every screen burns at the signed expiry without `burned`', async () => {
  class ShortRoom extends HostileRelay {
    constructor(id, o) {
      super(id, o);
      this.expiresAt = Date.now() + 2500;
    }
  }
  const { relay, people: [ann, ben] } = await room(['Ann', 'Ben'], ShortRoom);
  await waitFor(() => ben.charter, 'ben has the signed charter');
  const signed = ann.charter.exp;
  // The server never says `burned`, never closes, and lies about the time.
  relay.edit((to, f) => (f.type === 'burned' || f.type === 'tick' ? null : undefined));
  relay.push(ben.memberId, { type: 'tick', expiresAt: 'soon', serverTime: Date.now(), remainingMs: 1 });
  relay.push(ben.memberId, { type: 'tick', expiresAt: Date.now() + 3_600_000, serverTime: Date.now() - 3_600_000, remainingMs: 3_600_000 });
  await waitFor(() => ben.warnings().some((w) => w.includes('malformed')), 'bogus tick refused');
  await waitFor(() => ann.state === 'burned' && ben.state === 'burned', 'burned on their own', 6000);
  for (const p of [ann, ben]) {
    const e = p.events.find((x) => x.type === 'burned');
    assert.equal(e.source, 'clock');
    assert.ok(e.at - signed < 1000 && e.at >= signed - 150, `burned ${e.at - signed} ms from the signed expiry`);
  }
  assert.ok(!relay.sent.some((x) => x.frame.type === 'burned'), 'nobody was told `burned`');
});

test('10. server text is never shown: an error frame reaches the UI as its code only', async () => {
  const { relay, people: [alice] } = await hostileRoom(['Alice']);
  relay.push(alice.memberId, { type: 'error', code: 'wrong_pin', message: 're-enter your link at https://evil.example' });
  relay.push(alice.memberId, { type: 'error', code: 'made_up', message: 're-enter your link at https://evil.example' });
  relay.push(alice.memberId, { type: 'error', code: 'Visit https://evil.example', message: 'x' });
  await waitFor(() => alice.events.filter((e) => e.type === 'error').length === 2, 'two errors');
  await pause(50);
  assert.ok(!JSON.stringify(alice.events).includes('evil.example'));
  assert.deepEqual(alice.events.filter((e) => e.type === 'error').map((e) => e.code), ['wrong_pin', 'made_up']);
});

test('11. malformed server frames change nothing', async () => {
  const { relay, people: [alice, bob] } = await hostileRoom(['Alice', 'Bob']);
  const before = { id: bob.memberId, n: bob.verifiedMembers().length, exp: bob.expiresAt(), seq: bob.lastSeq };
  relay.drop(bob.memberId);
  relay.edit((to, f) => (to === bob.memberId && f.type === 'joined' ? [{ ...f, memberId: 'evil-id', members: 'none' }] : undefined));
  await waitFor(() => bob.warnings().some((w) => w.includes('malformed')), 'refused');
  assert.equal(bob.memberId, before.id);
  assert.equal(bob.verifiedMembers().length, before.n);
  for (const f of [
    { type: 'msg', from: alice.memberId, seq: 'x', id: 'a', body: 'AAAA' },
    { type: 'msg', from: alice.memberId, seq: 1e300, id: 'a', body: 'AAAA' },
    { type: 'member_left', memberId: alice.memberId, reason: 'vanished' },
    { type: 'member_joined', memberId: '<script>', profile: 'AAAA' },
    { type: 'extended', expiresAt: -1 },
    { type: 'locked', locked: 'yes' },
    { type: 'joined' },
    [1, 2, 3],
    null,
  ]) relay.push(bob.memberId, f);
  await pause(100);
  assert.equal(bob.memberId, before.id);
  assert.equal(bob.verifiedMembers().length, before.n);
  assert.equal(bob.expiresAt(), before.exp);
  assert.equal(bob.locked, false);
});
