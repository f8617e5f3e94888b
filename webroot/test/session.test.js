import test from 'node:test';
import assert from 'node:assert/strict';
import * as C from '../js/crypto.js';
import { Session } from '../js/session.js';
import { FakeRelay, waitFor } from './support/fake-relay.js';

const ROOM = 'zS_ErV-2RuLol9gu9zKpTw';

function person(relay, name, secret, extra = {}) {
  const events = [];
  const s = new Session({
    roomId: ROOM, secret, name, url: `ws://test/ws/rooms/${ROOM}`, WebSocketImpl: relay.Socket,
    onEvent: (e) => events.push(e), backoff: [5, 10], ...extra,
  });
  s.events = events;
  s.texts = () => events.filter((e) => e.type === 'message' && !e.self).map((e) => `${e.name}:${e.text}`);
  s.rejections = () => events.filter((e) => e.type === 'rejected');
  return s;
}

async function room(names) {
  const relay = new FakeRelay(ROOM);
  const secret = C.newLinkSecret();
  const people = [];
  for (const n of names) {
    const p = person(relay, n, secret);
    await p.start();
    await waitFor(() => p.state === 'joined', `${n} joined`);
    people.push(p);
  }
  const n = names.length;
  await waitFor(() => people.every((p) => p.verifiedMembers().length === n
      && [...p.members.keys()].every((id) => id === p.memberId || p.chains.has(id))), 'everyone has everyone\'s keys');
  return { relay, secret, people };
}

/** Everything the relay saw, with base64 payloads decoded too, so text hidden in base64 would still be found. */
function relayView(relay) {
  const out = [];
  for (const { data } of relay.log) {
    out.push(data);
    const f = JSON.parse(data);
    for (const field of [f.body, f.profile, ...(f.members || []).map((m) => m.profile)]) {
      if (typeof field === 'string') out.push(new TextDecoder().decode(C.unb64u(field)));
    }
  }
  return out.join('\n');
}

test('three members exchange messages; the relay sees neither text nor names; safety codes agree', async () => {
  const { relay, people: [a, b, c] } = await room(['Alice Amberwood', 'Bob Brightwater', 'Carol Cinderby']);
  await a.send('secret plans at noon');
  await b.send('bring cake');
  await waitFor(() => c.texts().length === 2 && a.texts().length === 1 && b.texts().length === 1, 'deliveries');
  assert.deepEqual(c.texts().sort(), ['Alice Amberwood:secret plans at noon', 'Bob Brightwater:bring cake']);
  assert.deepEqual(a.texts(), ['Bob Brightwater:bring cake']);
  await waitFor(() => a.outbox.length === 0 && b.outbox.length === 0, 'acks');

  const seen = relayView(relay);
  // Every needle has a space: base64 text (most of what the relay sees) can contain a short word like "Bob" by
  // chance, about once in five runs, but never a space.
  for (const secret of ['secret plans', 'bring cake', 'Alice Amberwood', 'Bob Brightwater', 'Carol Cinderby']) {
    assert.ok(!seen.includes(secret), `relay saw ${secret}`);
  }
  assert.ok(a.safety.digits.length > 0);
  assert.deepEqual(a.safety, b.safety);
  assert.deepEqual(b.safety, c.safety);
  for (const p of [a, b, c]) assert.equal(p.rejections().length, 0);
});

test('kick: the others rekey, keep talking, and the removed member\'s keys cannot read on', async () => {
  const { relay, people: [a, b, c] } = await room(['Alice', 'Bob', 'Carol']);
  const before = a.safety;
  // what Carol could have kept if her client were malicious: a copy of every receive chain she holds
  const stolen = new C.ReceiveChains();
  for (const [sender, epochs] of c.chains.bySender) {
    for (const [epoch, ch] of epochs) stolen.install(sender, { epoch, n: ch.n, ck: ch.ck });
  }
  const epochBefore = a.chain.epoch;
  a.setPin('PIN12345');
  a.admin('kick', { target: c.memberId });
  await waitFor(() => c.state === 'closed', 'carol closed');
  assert.equal(c.events.find((e) => e.type === 'closed').why, 'kicked');
  assert.equal(c.chains.bySender.size, 0, 'a kicked client wipes its keys');
  await waitFor(() => a.verifiedMembers().length === 2 && b.verifiedMembers().length === 2, 'member_left');
  await waitFor(() => b.chains.has(a.memberId, a.chain.epoch) && a.chains.has(b.memberId, b.chain.epoch), 'rekeyed');
  assert.ok(a.chain.epoch > epochBefore);
  assert.notDeepEqual(a.safety, before, 'the safety code changes when membership changes');
  assert.deepEqual(a.safety, b.safety);

  await a.send('after carol');
  await waitFor(() => b.texts().includes('Alice:after carol'), 'bob reads on');
  const last = relay.relayed.at(-1).frame;
  const env = C.decodeEnvelope(last.body);
  const aliceKey = b.members.get(a.memberId).ecdsaKey;
  await assert.rejects(stolen.open({ roomId: ROOM, senderId: a.memberId, verifyKey: aliceKey, env }),
    (e) => e.reason === 'no_key');
});

test('a member the server made up is shown unverified and never gets a key', async () => {
  const { relay, people: [a, b] } = await room(['Alice', 'Bob']);
  const outsider = await C.generateIdentity();
  const fakeKey = await C.deriveProfileKey(C.newLinkSecret(), ROOM);
  relay.inject('evil', await C.sealProfile(fakeKey, ROOM, outsider, 'Eve'));
  await waitFor(() => a.members.has('evil') && b.members.has('evil'), 'injected member seen');
  assert.equal(a.members.get('evil').verified, false);
  await a.send('not for eve');
  await waitFor(() => b.texts().includes('Alice:not for eve'), 'delivery');
  const toEvil = relay.log.filter((l) => l.dir === 'in' && JSON.parse(l.data).to === 'evil');
  assert.equal(toEvil.length, 0);
  // the safety code only covers verified keys, so an unverified seat does not change it
  assert.deepEqual(a.safety, b.safety);
  // a copy of Alice's profile under another id is not trusted either
  relay.inject('copy', relay.seats.get(a.memberId).profile);
  await waitFor(() => b.members.has('copy'), 'copy seen');
  assert.equal(b.members.get('copy').verified, false);
});

test('a message replayed by the server is rejected and shown as such', async () => {
  const { relay, people: [a, b] } = await room(['Alice', 'Bob']);
  await a.send('once');
  await waitFor(() => b.texts().length === 1, 'delivery');
  const frame = relay.relayed.at(-1).frame;
  relay.replay(frame, b.memberId);
  await waitFor(() => b.rejections().length === 1, 'rejection');
  assert.equal(b.rejections()[0].reason, 'replay');
  assert.deepEqual(b.texts(), ['Alice:once']);
  // a message with a flipped ciphertext bit from a "member"
  const env = C.decodeEnvelope(frame.body);
  const ct = C.unb64u(env.ct);
  ct[0] ^= 1;
  relay.replay({ ...frame, id: 'forged', body: C.encodeEnvelope({ ...env, ct: C.b64u(ct) }) }, b.memberId);
  await waitFor(() => b.rejections().length === 2, 'second rejection');
  assert.equal(b.rejections()[1].reason, 'bad_signature');
});

test('reconnect: resume with token and lastSeq, resend the unacknowledged message with its original id, no duplicates', async () => {
  const { relay, people: [a, b] } = await room(['Alice', 'Bob']);
  const aliceId = a.memberId;
  relay.dropBeforeAck = a.memberId;
  await a.send('during a drop');
  const sentId = a.outbox[0] && a.outbox[0].id;
  assert.ok(sentId);
  await waitFor(() => a.events.some((e) => e.type === 'state' && e.state === 'reconnecting'), 'reconnecting');
  // while Alice is away Bob writes
  await b.send('while you were away');
  await waitFor(() => a.state === 'joined' && a.outbox.length === 0, 'resumed and acked');
  assert.equal(a.memberId, aliceId, 'same seat');
  const joins = relay.log.filter((l) => l.dir === 'in' && JSON.parse(l.data).type === 'join').map((l) => JSON.parse(l.data));
  const resume = joins.at(-1);
  assert.ok(resume.resume);
  assert.equal(typeof resume.lastSeq, 'number');
  const resends = relay.log.filter((l) => l.dir === 'in' && JSON.parse(l.data).id === sentId);
  assert.equal(resends.length, 2, 'sent once, resent once with the same id');
  await waitFor(() => a.texts().includes('Bob:while you were away'), 'missed message replayed');
  await new Promise((r) => setTimeout(r, 30));
  assert.deepEqual(b.texts(), ['Alice:during a drop'], 'relayed exactly once');
  assert.deepEqual(a.texts(), ['Bob:while you were away']);
});

test('close codes end the session with a reason and wipe the keys', async () => {
  const { relay, people: [a, b] } = await room(['Alice', 'Bob']);
  a.setPin('X');
  a.admin('burn');
  await waitFor(() => a.state === 'burned' && b.state === 'burned', 'both burned');
  for (const p of [a, b]) {
    assert.equal(p.chain, null);
    assert.equal(p.identity, null);
    assert.equal(p.secret, null);
    assert.equal(p.members.size, 0);
    assert.equal(p.chains.bySender.size, 0);
    assert.ok(p.events.some((e) => e.type === 'burned'));
  }
  // burned is final: no reconnect attempts afterwards
  const joins = relay.log.filter((l) => JSON.parse(l.data).type === 'join').length;
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(relay.log.filter((l) => JSON.parse(l.data).type === 'join').length, joins);

  const codes = { 4004: 'not_found', 4003: 'refused', 4029: 'lockout' };
  for (const [code, why] of Object.entries(codes)) {
    const r = new FakeRelay(ROOM);
    const p = person(r, 'Zed', C.newLinkSecret());
    await p.start();
    await waitFor(() => p.state === 'joined', 'joined');
    r.closeSocket(r.seats.get(p.memberId).sock, Number(code), '', false);
    await waitFor(() => p.state === 'closed', `closed on ${code}`);
    assert.equal(p.events.find((e) => e.type === 'closed').why, why);
  }
});

test('the clock follows serverTime from joined and tick frames', async () => {
  const { relay, people: [a] } = await room(['Alice']);
  const sock = relay.seats.get(a.memberId).sock;
  relay.deliver(sock, { type: 'tick', expiresAt: Date.now() + 60_000 + 5_000, serverTime: Date.now() + 5_000, remainingMs: 60_000 });
  await waitFor(() => Math.abs(a.offsetMs - 5_000) < 100, 'offset measured');
  assert.ok(Math.abs(a.remainingMs() - 60_000) < 200);
  relay.deliver(sock, { type: 'extended', expiresAt: a.expiresAt + 1_000 });
  await waitFor(() => Math.abs(a.remainingMs() - 61_000) < 200, 'extended');
});

test('outgoing frames are paced below the relay rate limit and still all arrive, in order, once', async () => {
  const { relay, people: [a, b] } = await room(['Alice', 'Bob']);
  const sent = [];
  for (let i = 0; i < 45; i++) sent.push(a.send(`burst ${i}`));
  await Promise.all(sent);
  await waitFor(() => b.texts().length === 45, 'all 45 delivered', 10_000);
  assert.deepEqual(b.texts(), Array.from({ length: 45 }, (_, i) => `Alice:burst ${i}`));
  // Replay Alice's frames through the relay's own limiter (docs/protocol.md: 20 frames/s, burst 2x): never empty.
  const times = relay.log.filter((l) => l.dir === 'in' && l.memberId === a.memberId).map((l) => l.at);
  assert.ok(times.length >= 45);
  assert.ok(times.at(-1) - times[0] >= 500, 'the burst was spread out');
  let tokens = 40;
  let last = times[0];
  for (const t of times) {
    tokens = Math.min(40, tokens + ((t - last) * 20) / 1000);
    last = t;
    tokens -= 1;
    assert.ok(tokens >= 0, 'a frame the relay would have dropped as rate_limited');
  }
});

test('a message whose key never arrives is reported, not silently lost; one whose key comes late is read', async () => {
  const relay = new FakeRelay(ROOM);
  const secret = C.newLinkSecret();
  const a = person(relay, 'Alice', secret);
  const b = person(relay, 'Bob', secret, { heldMs: 100 });
  await a.start();
  await waitFor(() => a.state === 'joined', 'alice joined');
  await b.start();
  await waitFor(() => a.chains.has(b.memberId) && b.chains.has(a.memberId), 'keys exchanged');
  // Alice's next chain reaches Bob only after her message (a relay reordering direct frames)
  const bundleFrames = [];
  const deliver = relay.deliver.bind(relay);
  relay.deliver = (sock, frame) => (frame.direct ? bundleFrames.push([sock, frame]) : deliver(sock, frame));
  await a.enqueue(() => a.rekey());
  await a.send('late key');
  await waitFor(() => bundleFrames.length === 1, 'bundle held back');
  relay.deliver = deliver;
  deliver(...bundleFrames[0]);
  await waitFor(() => b.texts().includes('Alice:late key'), 'read once the key came');
  // now a message under an epoch whose key Bob never gets
  relay.deliver = (sock, frame) => (frame.direct ? undefined : deliver(sock, frame));
  await a.enqueue(() => a.rekey());
  await a.send('never readable');
  await waitFor(() => b.rejections().some((r) => r.reason === 'no_key'), 'reported');
  assert.ok(!b.texts().includes('Alice:never readable'));
});
