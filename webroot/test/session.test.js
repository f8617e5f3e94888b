import test, { afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { FakeRelay } from './support/fake-relay.js';
import { decodeEnvelope, unb64u } from '../js/primitives.js';
import { generateIdentity, makeProfile, newDhKey, sealProfile } from '../js/identity.js';
import { deriveRoomSecrets, newLinkSecret, parseFragment } from '../js/link.js';
import { ReceiveChains } from '../js/chains.js';
import { ROOM, room, person, inviteOf, newLink, settled, waitFor, cleanup } from './support/people.js';

afterEach(cleanup);

/** Everything the relay saw, with base64 payloads decoded too, so text hidden in base64 would still be found. */
function relayView(relay) {
  const out = [];
  for (const { data } of relay.log) {
    out.push(data);
    const f = JSON.parse(data);
    for (const field of [f.body, f.profile, ...(f.members || []).map((m) => m.profile)]) {
      if (typeof field === 'string') out.push(new TextDecoder().decode(unb64u(field)));
    }
  }
  return out.join('\n');
}

const pause = (ms) => new Promise((r) => setTimeout(r, ms));

test('three members exchange messages; the relay sees neither text nor names; safety codes agree', async () => {
  const { relay, people: [a, b, c] } = await room(['Alice Amberwood', 'Bob Brightwater', 'Carol Cinderby']);
  await a.send('secret plans at noon');
  await b.send('bring cake');
  await waitFor(() => c.texts().length === 2 && a.texts().length === 1 && b.texts().length === 1, 'deliveries');
  assert.deepEqual(c.texts().sort(), ['Alice Amberwood:secret plans at noon', 'Bob Brightwater:bring cake']);
  assert.deepEqual(a.texts(), ['Bob Brightwater:bring cake']);
  await waitFor(() => a.outbox.length === 0 && b.outbox.length === 0, 'acks');
  const seen = relayView(relay);
  // Every needle has a space: base64 text can contain a short word by chance, never a space.
  for (const secret of ['secret plans', 'bring cake', 'Alice Amberwood', 'Bob Brightwater', 'Carol Cinderby']) {
    assert.ok(!seen.includes(secret), `relay saw ${secret}`);
  }
  assert.ok(a.safety.digits.length > 0);
  assert.deepEqual(a.safety, b.safety);
  assert.deepEqual(b.safety, c.safety);
  for (const p of [a, b, c]) assert.deepEqual(p.warnings(), []);
  // every join was a new epoch for everyone already there
  assert.ok(a.epoch >= 3 && b.epoch >= 2);
});

test('every membership change is announced, and the joiner\'s own join answers with a full roster', async () => {
  const { people: [a, b, c] } = await room(['Alice', 'Bob', 'Carol']);
  const notices = (p) => p.events.filter((e) => e.type === 'notice').map((e) => e.text);
  assert.ok(notices(a).includes('Bob joined.') && notices(a).includes('Carol joined.'));
  assert.ok(notices(b).includes('Carol joined.'));
  c.leave();
  await waitFor(() => notices(a).includes('Carol left.') && notices(b).includes('Carol left.'), 'leave announced');
  await waitFor(() => a.verifiedMembers().length === 2, 'roster');
});

test('kick: the others rekey under a new link secret, keep talking, and the removed member\'s keys read nothing', async () => {
  const { relay, link, people: [a, b, c] } = await room(['Alice', 'Bob', 'Carol']);
  const before = a.safety;
  // what Carol could have kept if her client were malicious: a copy of every receive chain and room key she holds
  const stolen = new ReceiveChains();
  for (const [fp, epochs] of c.chains.bySender) {
    for (const [epoch, ch] of epochs) stolen.install(fp, { epoch, n: ch.n, ck: ch.ck, sid: ch.sid });
  }
  const carolKeys = new Map([...c.secrets].map(([sid, s]) => [sid, s.roomKey]));
  const epochBefore = a.chain.epoch;
  a.admin('kick', { target: c.memberId });
  await waitFor(() => c.state === 'closed', 'carol closed');
  assert.equal(c.events.find((e) => e.type === 'closed').why, 'kicked');
  assert.equal(c.chains.bySender.size, 0, 'a kicked client wipes its keys');
  await waitFor(() => a.sid !== parseFragment(`${link.secret}.${link.adminCommit}`) && b.link.secret !== link.secret, 'bob got the new link');
  assert.equal(a.link.secret, b.link.secret, 'everyone who stays has the rotated secret');
  assert.ok(a.events.some((e) => e.type === 'link' && e.link.startsWith(a.link.secret)), 'the creator is shown the new invite link');
  await waitFor(() => settled([a, b]), 'rekeyed');
  assert.ok(a.chain.epoch > epochBefore);
  assert.notDeepEqual(a.safety, before, 'the safety code changes when membership changes');
  assert.deepEqual(a.safety, b.safety);
  await a.send('after carol');
  await waitFor(() => b.texts().includes('Alice:after carol'), 'bob reads on');
  const env = decodeEnvelope(relay.relayedFrom(a.memberId, 'm').at(-1).body);
  await assert.rejects(stolen.open({ roomId: ROOM, verifyKey: a.identity.sig.publicKey, env, roomKeyOf: (sid) => carolKeys.get(sid) }),
    (e) => e.reason === 'no_key');
  assert.deepEqual(b.warnings(), []);
});

test('a member the server made up is shown unverified, never gets a key, and is warned about', async () => {
  const { relay, people: [a, b] } = await room(['Alice', 'Bob']);
  const outsider = await generateIdentity();
  const dh = { ...(await newDhKey()), index: 0 };
  const fake = await deriveRoomSecrets(newLinkSecret(), ROOM);
  relay.inject('evil', await sealProfile(fake.profileKey, ROOM, await makeProfile(ROOM, outsider, 'Eve', dh)));
  await waitFor(() => a.warnings().some((w) => w.includes('unverified')) && b.warnings().length > 0, 'warned');
  const shown = a.events.filter((e) => e.type === 'members').at(-1).members;
  assert.ok(shown.some((m) => m.memberId === 'evil' && !m.verified));
  await a.send('not for eve');
  await waitFor(() => b.texts().includes('Alice:not for eve'), 'delivery');
  const bundles = relay.relayed.filter((r) => r.frame.from === a.memberId && decodeEnvelope(r.frame.body).k === 'K');
  assert.ok(bundles.length > 0);
  for (const r of bundles) {
    assert.ok(!decodeEnvelope(r.frame.body).ent.some((e) => e[0] === outsider.fp), 'no key entry for the made-up member');
  }
  assert.deepEqual(a.safety, b.safety);
  // a copy of Alice's own profile under another seat is not a member either
  relay.inject('copy', relay.seats.get(a.memberId).profile);
  await waitFor(() => b.warnings().some((w) => w.includes('Alice')), 'copy refused');
  assert.equal(b.verifiedMembers().length, 2);
});

test('reconnect: resume with token and lastSeq, resend the unacknowledged message with its original id, no duplicates', async () => {
  const { relay, people: [a, b] } = await room(['Alice', 'Bob']);
  const aliceId = a.memberId;
  relay.dropBeforeAck = a.memberId;
  await a.send('during a drop');
  const sentId = a.outbox[0] && a.outbox[0].id;
  assert.ok(sentId);
  await waitFor(() => a.events.some((e) => e.type === 'state' && e.state === 'reconnecting'), 'reconnecting');
  await b.send('while you were away');
  await waitFor(() => a.state === 'joined' && a.outbox.length === 0, 'resumed and acked');
  assert.equal(a.memberId, aliceId, 'same seat');
  const joins = relay.log.filter((l) => l.dir === 'in' && JSON.parse(l.data).type === 'join').map((l) => JSON.parse(l.data));
  const resume = joins.at(-1);
  assert.ok(resume.resume);
  assert.equal(typeof resume.lastSeq, 'number');
  assert.equal(typeof resume.token, 'string');
  const resends = relay.log.filter((l) => l.dir === 'in' && JSON.parse(l.data).id === sentId);
  assert.equal(resends.length, 2, 'sent once, resent once with the same id');
  await waitFor(() => a.texts().includes('Bob:while you were away'), 'missed message replayed');
  await pause(50);
  assert.deepEqual(b.texts(), ['Alice:during a drop'], 'relayed exactly once');
  assert.deepEqual(a.texts(), ['Bob:while you were away']);
  assert.deepEqual(a.warnings(), []);
  assert.deepEqual(b.warnings(), []);
});

test('burn now reaches everyone signed by the creator, and wipes every key', async () => {
  const { relay, people: [a, b] } = await room(['Alice', 'Bob']);
  a.admin('burn');
  await waitFor(() => a.state === 'burned' && b.state === 'burned', 'both burned');
  for (const p of [a, b]) {
    assert.equal(p.chain, null);
    assert.equal(p.identity, null);
    assert.equal(p.link.secret, null);
    assert.equal(p.secrets.size, 0);
    assert.equal(p.roster.byId.size, 0);
    assert.equal(p.chains.bySender.size, 0);
    assert.ok(p.events.some((e) => e.type === 'burned'));
  }
  const joins = relay.log.filter((l) => JSON.parse(l.data).type === 'join').length;
  await pause(50);
  assert.equal(relay.log.filter((l) => JSON.parse(l.data).type === 'join').length, joins, 'no reconnect after a burn');
});

test('close codes end the session with a reason and wipe the keys', async () => {
  const codes = { 4004: 'not_found', 4003: 'refused', 4029: 'lockout', 4010: 'link_rotated', 4001: 'kicked' };
  for (const [code, why] of Object.entries(codes)) {
    const link = await newLink();
    const r = new FakeRelay(ROOM, { joinHash: link.joinHash });
    const p = person(r, 'Zed', inviteOf(link));
    await p.start();
    await waitFor(() => p.state === 'joined', 'joined');
    r.closeSocket(r.seats.get(p.memberId).sock, Number(code), '', false);
    await waitFor(() => p.state === 'closed', `closed on ${code}`);
    assert.equal(p.events.find((e) => e.type === 'closed').why, why);
    assert.equal(p.chains.bySender.size, 0);
  }
});

test('the clock follows serverTime, and the server can shorten the room but never lengthen it past the signed expiry', async () => {
  const { relay, people: [a, b] } = await room(['Alice', 'Bob']);
  const signed = a.charter.exp;
  await waitFor(() => b.charter && b.charter.exp === signed, 'bob has the signed charter');
  const sock = relay.seats.get(b.memberId).sock;
  relay.deliver(sock, { type: 'tick', expiresAt: Date.now() + 60_000 + 5_000, serverTime: Date.now() + 5_000, remainingMs: 60_000 });
  await waitFor(() => Math.abs(b.offsetMs - 5_000) < 100, 'offset measured');
  assert.ok(Math.abs(b.remainingMs() - 60_000) < 300);
  relay.deliver(sock, { type: 'extended', expiresAt: signed + 3_600_000 });
  await waitFor(() => b.serverExp === signed + 3_600_000, 'server claim seen');
  assert.equal(b.expiresAt(), signed, 'not beyond what the creator signed');
  // the creator extends: the signed charter moves, and with it the expiry
  a.admin('extend', { seconds: 900 });
  await waitFor(() => b.charter.exp === signed + 900_000, 'signed extension');
  assert.equal(b.expiresAt(), signed + 900_000);
  assert.ok(b.events.some((e) => e.type === 'notice' && e.text.includes('extended')));
});

test('outgoing frames are paced below the relay rate limit and still all arrive, in order, once', async () => {
  const { relay, people: [a, b] } = await room(['Alice', 'Bob']);
  const sent = [];
  for (let i = 0; i < 45; i++) sent.push(a.send(`burst ${i}`));
  await Promise.all(sent);
  await waitFor(() => b.texts().length === 45, 'all 45 delivered', 10_000);
  assert.deepEqual(b.texts(), Array.from({ length: 45 }, (_, i) => `Alice:burst ${i}`));
  const times = relay.log.filter((l) => l.dir === 'in' && l.memberId === a.memberId).map((l) => l.at);
  assert.ok(times.at(-1) - times[0] >= 500, 'the burst was spread out');
  let tokens = 40;
  let last = times[0];
  for (const t of times) {
    tokens = Math.min(40, tokens + ((t - last) * 20) / 1000);
    last = t;
    tokens -= 1;
    assert.ok(tokens >= 0, 'a frame the relay would have dropped as rate_limited');
  }
  assert.deepEqual(b.warnings(), []);
});

test('a new epoch comes at least every 100 messages (post-compromise recovery)', async () => {
  const { people: [a, b] } = await room(['Alice', 'Bob']);
  const start = a.epoch;
  for (let i = 0; i < 105; i++) await a.send(`m${i}`);
  await waitFor(() => b.texts().length === 105, 'all delivered', 20_000);
  assert.ok(a.epoch > start, 'rekeyed after 100 messages');
  assert.deepEqual(b.warnings(), []);
});

test('a message whose key never arrives is reported, not silently lost; one whose key comes late is read', async () => {
  const { relay, people: [a, b] } = await room(['Alice', 'Bob']);
  const isBundle = (f) => f.type === 'msg' && decodeEnvelope(f.body).k === 'K';
  const held = [];
  const deliver = relay.deliver.bind(relay);
  relay.deliver = (sock, frame) => (isBundle(frame) ? held.push([sock, frame]) : deliver(sock, frame));
  await a.enqueue(() => a.rekey());
  await a.send('late key');
  await waitFor(() => held.length === 1, 'bundle held back');
  deliver(...held[0]);
  await waitFor(() => b.texts().includes('Alice:late key'), 'read once the key came');
  await a.enqueue(() => a.rekey());
  await a.send('never readable');
  await waitFor(() => b.rejections().some((r) => r.reason === 'no_key'), 'reported');
  assert.ok(!b.texts().includes('Alice:never readable'));
  relay.deliver = deliver;
});

test('look-alike names are flagged and every name carries a key badge', async () => {
  const { people: [a] } = await room(['Alice', 'Аlice']);
  const members = a.events.filter((e) => e.type === 'members').at(-1).members;
  assert.equal(members.length, 2);
  assert.ok(members.every((m) => m.confusable && m.badge));
  assert.notEqual(members[0].badge + members[0].fp, members[1].badge + members[1].fp);
  assert.ok(a.warnings().some((w) => w.includes('look alike')));
});

test('a member who types the PIN unwraps the creator key and signs: an extend by them moves everyone\'s expiry', async () => {
  const { people: [a, b, c] } = await room(['Alice', 'Bob', 'Carol']);
  assert.ok(a.charter.aw, 'the creator wrapped the admin seed under the PIN');
  const signed = a.charter.exp;
  b.setPin('WRONG123');
  await b.enqueue(() => {});
  assert.equal(b.isCreator(), false, 'a wrong PIN unwraps nothing');
  b.setPin('PIN12345');
  await waitFor(() => b.isCreator(), 'bob holds the admin key');
  await b.admin('extend', { seconds: 900 });
  await waitFor(() => c.charter.exp === signed + 900_000 && a.charter.exp === signed + 900_000, 'signed extension everywhere');
  assert.equal(c.expiresAt(), Math.min(c.serverExp, signed + 900_000));
  assert.deepEqual(c.warnings(), []);
});

test('replies quote the message they answer and reactions toggle, both inside the ciphertext', async () => {
  const { relay, people: [a, b, c] } = await room(['Alice', 'Bob', 'Carol']);
  await a.send('lunch at one?');
  await waitFor(() => b.texts().length === 1, 'delivered');
  const original = b.events.find((e) => e.type === 'message');
  assert.ok(original.key.startsWith(a.identity.fp));
  await b.send('yes, the usual place', { key: original.key, name: original.name, text: original.text });
  await b.react(original.key, '👍', true);
  await waitFor(() => c.events.some((e) => e.type === 'reaction') && c.texts().length === 2, 'reply and reaction');
  const reply = c.events.filter((e) => e.type === 'message').at(-1);
  assert.deepEqual(reply.re, { k: original.key, n: 'Alice', x: 'lunch at one?' });
  const mine = a.events.find((e) => e.type === 'message' && e.self);
  assert.equal(mine.key, original.key, 'everyone names the message alike');
  const reaction = c.events.find((e) => e.type === 'reaction');
  assert.deepEqual([reaction.key, reaction.emoji, reaction.on, reaction.name], [original.key, '👍', true, 'Bob']);
  await b.react(original.key, '👍', false);
  await waitFor(() => a.events.filter((e) => e.type === 'reaction').length === 2, 'toggled off');
  assert.equal(a.events.filter((e) => e.type === 'reaction').at(-1).on, false);
  const seen = relayView(relay);
  assert.ok(!seen.includes('the usual place') && !seen.includes('lunch at one'), 'no reply text or quote reaches the relay');
  assert.equal(await b.react(original.key, '🦄', true), null, 'only the fixed set');
});

test('a resume after a gap longer than the replay buffer says how many messages may be missing', async () => {
  const { relay, people: [a, b] } = await room(['Alice', 'Bob']);
  b.backoff = [300];
  relay.drop(b.memberId);
  for (let i = 0; i < 5; i++) await a.send(`while away ${i}`);
  await waitFor(() => a.outbox.length === 0, 'acked');
  // the relay's replay buffer kept only the last two
  relay.relayed = relay.relayed.filter((r) => r.seq > relay.seq - 2);
  await waitFor(() => b.events.some((e) => e.type === 'away'), 'away notice', 4000);
  // counted from the room's seq: the three evicted texts, and any key bundle evicted with them
  const missed = b.events.find((e) => e.type === 'away').missed;
  assert.ok(missed >= 3 && missed <= 5, `missed ${missed}`);
  assert.ok(b.texts().includes('Alice:while away 4'));
});

test('the creator back after a reload with the creator link and no member left signs the room again', async () => {
  const { relay, link, people: [a] } = await room(['Alice']);
  const exp = a.charter.exp;
  a.leave();
  const again = person(relay, 'Alice', { secret: link.secret, adminSeed: link.adminSeed });
  again.setPin('PIN12345');
  await again.start();
  await waitFor(() => again.state === 'joined' && again.charter, 'charter rebuilt');
  assert.equal(again.charter.exp, exp);
  const bob = person(relay, 'Bob', inviteOf(link));
  await bob.start();
  await waitFor(() => bob.charter && bob.charter.a === again.adminKey.pub, 'bob trusts it: the link commits to that key');
  await again.admin('extend', { seconds: 300 });
  await waitFor(() => bob.charter.exp === exp + 300_000, 'signed extension');
  assert.deepEqual(bob.warnings(), []);
});

test('a seat lost to the grace comes back under new keys it offered in the resume, with no false alarm', async () => {
  const { relay, people: [a, b] } = await room(['Alice', 'Bob']);
  const oldFp = b.identity.fp;
  b.backoff = [200];
  relay.drop(b.memberId);
  relay.leave(b.memberId, 'left'); // the grace ran out before Bob came back
  await a.send('while you were gone');
  await waitFor(() => b.events.some((e) => e.type === 'away'), 'away');
  await waitFor(() => settled([a, b]), 'settled again');
  assert.notEqual(b.identity.fp, oldFp);
  assert.ok(a.verifiedMembers().some((m) => m.fp === b.identity.fp));
  assert.deepEqual(a.warnings(), []);
  await b.send('back');
  await waitFor(() => a.texts().includes('Bob:back'), 'talks again');
});

test('a newcomer seals its first epoch to the members\' current ECDH keys, not the ones their profiles name', async () => {
  const { relay, link, people: [a, b] } = await room(['Alice', 'Bob']);
  for (let i = 0; i < 5; i++) {
    await a.enqueue(() => a.rekey());
    await b.enqueue(() => b.rekey());
  }
  await waitFor(() => settled([a, b]), 'settled');
  assert.ok(a.dhKeys[0].index > 0, 'Alice deleted the key her profile names');
  const c = person(relay, 'Carol', inviteOf(link));
  await c.start();
  await waitFor(() => c.state === 'joined' && settled([a, b, c]), 'everyone holds the first epoch of Carol', 4000);
  await c.send('hello from carol');
  await waitFor(() => a.texts().includes('Carol:hello from carol') && b.texts().includes('Carol:hello from carol'), 'read');
  for (const p of [a, b, c]) assert.deepEqual(p.warnings(), []);
});
