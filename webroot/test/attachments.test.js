// Encrypted attachments (issue 28): the chunk format on its own, then whole rooms of sessions on the honest relay
// and on the hostile one, which drops, reorders, replays, truncates and splices chunks.

import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import * as A from '../js/attachments.js';
import * as P from '../js/primitives.js';
import { generateIdentity } from '../js/identity.js';
import { room, cleanup, waitFor } from './support/people.js';
import { HostileRelay, kindOf } from './support/hostile-relay.js';

afterEach(cleanup);

function fileOf(size, name = 'holiday-photo.png', type = 'image/png') {
  const bytes = new Uint8Array(size);
  for (let i = 0; i < size; i += 65536) globalThis.crypto.getRandomValues(bytes.subarray(i, Math.min(size, i + 65536)));
  return { name, type, bytes };
}

const att = (p) => p.events.filter((e) => e.type === 'attachment');
const doneOf = (p) => att(p).filter((e) => e.phase === 'done' && !e.self);
const errorsOf = (p) => att(p).filter((e) => e.phase === 'error');

async function bytesOf(blob) {
  return new Uint8Array(await blob.arrayBuffer());
}

async function sameFile(blob, file) {
  const got = await bytesOf(blob);
  assert.equal(got.length, file.bytes.length);
  assert.equal(P.b64u(await P.sha256(got)), P.b64u(await P.sha256(file.bytes)));
}

async function identity() {
  const id = await generateIdentity();
  return { id, fp: id.fp };
}

test('every chunk, the last one of a one-byte file too, is one fixed size that fits the relay\'s body limit', async () => {
  const { id } = await identity();
  for (const size of [1, A.CHUNK_BYTES, A.CHUNK_BYTES + 1]) {
    const m = await A.newManifest({ name: 'a.bin', type: 'application/pdf', bytes: new Uint8Array(size) });
    const key = await A.chunkKey('room', id.fp, m);
    for (let i = 0; i < m.n; i++) {
      const body = await A.sealChunk({ key, signKey: id.sig.privateKey, roomId: 'room', fp: id.fp, m, index: i, data: A.sliceOf(new Uint8Array(size), i) });
      assert.equal(body.length, A.CHUNK_BODY_CHARS);
    }
  }
  assert.ok(A.CHUNK_BODY_CHARS <= 65536, `${A.CHUNK_BODY_CHARS} characters`);
});

test('a chunk opens only as the chunk it was sealed as: index, attachment, count and sender are bound', async () => {
  const alice = await identity();
  const mallory = await identity();
  const file = fileOf(3 * A.CHUNK_BYTES);
  const m = await A.newManifest(file);
  const key = await A.chunkKey('room', alice.fp, m);
  const seal = (index, o = {}) => A.sealChunk({ key, signKey: alice.id.sig.privateKey, roomId: 'room', fp: alice.fp, m, index, data: A.sliceOf(file.bytes, index), ...o });
  const open = (chunk, o = {}) => A.openChunk({ key, verifyKey: alice.id.sig.publicKey, roomId: 'room', fp: alice.fp, m, chunk, ...o });
  const c1 = A.parseChunk(await seal(1));
  assert.deepEqual((await open(c1)).subarray(0, 8), file.bytes.subarray(A.CHUNK_BYTES, A.CHUNK_BYTES + 8));
  await assert.rejects(open({ ...c1, index: 2 }), /signature/);
  await assert.rejects(open(c1, { m: { ...m, n: 2 } }), /signature/);
  await assert.rejects(open(c1, { m: { ...m, a: P.b64u(P.randomBytes(16)) } }), /signature/);
  await assert.rejects(open(c1, { fp: mallory.fp }), /signature/);
  // Mallory is a member and knows the file key (from the manifest), but cannot sign as Alice.
  const forged = A.parseChunk(await seal(1, { signKey: mallory.id.sig.privateKey }));
  await assert.rejects(open(forged), /signature/);
  const flipped = A.parseChunk(await seal(0));
  flipped.ct[5] ^= 1;
  await assert.rejects(open(flipped), /signature/);
  assert.equal(A.parseChunk('abc'), null);
});

test('a file is handed out only when all its chunks came and its hash matches the manifest', async () => {
  const file = fileOf(2 * A.CHUNK_BYTES + 10);
  const m = await A.newManifest(file);
  const whole = (manifest) => {
    const r = new A.Reassembly(manifest);
    for (let i = 0; i < manifest.n; i++) {
      const padded = new Uint8Array(A.CHUNK_BYTES);
      padded.set(A.sliceOf(file.bytes, i));
      assert.equal(r.put(i, padded), true);
      assert.equal(r.put(i, new Uint8Array(A.CHUNK_BYTES)), false, 'a second copy of an index is not taken');
    }
    return r;
  };
  assert.deepEqual(await whole(m).assemble(), file.bytes);
  await assert.rejects(whole({ ...m, h: P.b64u(P.randomBytes(32)) }).assemble(), (e) => e.reason === 'bad_hash');
  const partial = new A.Reassembly(m);
  partial.put(0, new Uint8Array(A.CHUNK_BYTES));
  await assert.rejects(partial.assemble(), (e) => e.reason === 'incomplete');
});

test('file names lose bidi overrides, controls and paths; manifests are bounded', async () => {
  assert.equal(A.cleanFileName('photo\u202Egpj.exe'), 'photo_gpj.exe');
  assert.equal(A.cleanFileName('../../etc/passwd'), '_.._etc_passwd');
  assert.equal(A.cleanFileName(''), 'file');
  assert.equal(A.cleanMime('text/html"><script>'), 'application/octet-stream');
  const m = await A.newManifest(fileOf(1000));
  assert.ok(A.validManifest(m, 10_000));
  assert.ok(!A.validManifest(m, 999));
  assert.ok(!A.validManifest({ ...m, n: m.n + 1 }, 10_000));
  assert.ok(!A.validManifest({ ...m, size: A.HARD_MAX_BYTES + 1, n: A.chunkCount(A.HARD_MAX_BYTES + 1) }, Infinity));
});

test('a file reaches every member whole; the relay sees neither its name nor a byte of its content', async () => {
  const { relay, people: [alice, bob, carol] } = await room(['Alice', 'Bob', 'Carol']);
  const file = fileOf(5 * A.CHUNK_BYTES + 123, 'secret-plans.pdf', 'application/pdf');
  const r = await alice.sendFile(file);
  assert.ok(r.ui, JSON.stringify(r));
  await waitFor(() => doneOf(bob).length && doneOf(carol).length, 'both received the file', 15_000);
  for (const p of [bob, carol]) {
    const start = att(p).find((e) => e.phase === 'start');
    assert.equal(start.name, 'secret-plans.pdf');
    assert.equal(start.size, file.bytes.length);
    assert.equal(start.from, 'Alice');
    await sameFile(doneOf(p)[0].blob, file);
    assert.equal(doneOf(p)[0].blob.type, 'application/octet-stream');
    assert.deepEqual(errorsOf(p), []);
  }
  await waitFor(() => att(alice).some((e) => e.phase === 'done'), 'sender done');
  assert.equal(relay.chunks.length, 6);
  assert.ok(relay.chunks.every((c) => c.frame.body.length === A.CHUNK_BODY_CHARS));
  const wire = relay.log.map((l) => l.data).join('\n');
  assert.ok(!wire.includes('secret-plans'));
  const decoded = Buffer.from(relay.chunks.map((c) => P.unb64u(c.frame.body)).reduce((a, b) => P.concat(a, b)));
  const probe = Buffer.from(file.bytes.subarray(1000, 1032));
  assert.equal(decoded.indexOf(probe), -1, 'a plaintext run in a chunk');
  assert.ok(!Buffer.from(wire).includes(Buffer.from('secret-plans')));
});

test('a file over the room\'s limit is refused before anything is sent, saying so', async () => {
  const { relay, people: [alice, bob] } = await room(['Alice', 'Bob']);
  relay.maxAttachmentBytes = 100_000;
  relay.drop(alice.memberId);
  await waitFor(() => alice.state === 'joined' && alice.transfers.maxBytes === 100_000, 'limit learnt on resume');
  const before = relay.log.length;
  const r = await alice.sendFile(fileOf(150_000, 'big.zip', 'application/zip'));
  assert.match(r.error, /big\.zip is 146 KB; this room takes files up to 98 KB\. Nothing was sent\./);
  await new Promise((res) => setTimeout(res, 100));
  const sent = relay.log.slice(before).filter((l) => l.dir === 'in').map((l) => JSON.parse(l.data));
  assert.deepEqual(sent.filter((f) => f.type === 'chunk' || (f.type === 'msg' && kindOf(f) === 'm')), []);
  assert.equal(relay.chunks.length, 0);
  assert.equal(att(bob).length, 0);

  // A server that names no limit does not relay chunk frames: nothing is sent there at all.
  relay.maxAttachmentBytes = undefined;
  relay.drop(alice.memberId);
  await waitFor(() => alice.state === 'joined' && alice.transfers.maxBytes === 0, 'no limit learnt on resume');
  assert.deepEqual(await alice.sendFile(fileOf(10, 'tiny.txt', 'text/plain')), { error: 'This server does not relay files. Nothing was sent.' });
  assert.equal(relay.chunks.length, 0);
});

test('rate_limited chunks are sent again after a pause; a drop mid-transfer resends what was not acked', async () => {
  const { relay, people: [alice, bob] } = await room(['Alice', 'Bob']);
  const file = fileOf(8 * A.CHUNK_BYTES);
  relay.refuseChunks = 3;
  await alice.sendFile(file);
  await waitFor(() => doneOf(bob).length, 'bob got it despite the rate limit', 15_000);
  await sameFile(doneOf(bob)[0].blob, file);

  const second = fileOf(6 * A.CHUNK_BYTES + 5, 'notes.txt', 'text/plain');
  relay.dropAfterChunk = alice.memberId;
  await alice.sendFile(second);
  await waitFor(() => doneOf(bob).length === 2, 'bob got the second one after alice resumed', 15_000);
  await sameFile(doneOf(bob)[1].blob, second);
  assert.deepEqual(errorsOf(bob), []);
});

test('the hostile relay: reordered and replayed chunks still make the right file; dropped ones make an error', async () => {
  const { relay, people: [alice, bob, carol] } = await room(['Alice', 'Bob', 'Carol'], HostileRelay);
  const file = fileOf(6 * A.CHUNK_BYTES);
  // To Bob: each chunk twice, and chunks 1 and 2 swapped. To Carol: chunk 3 never arrives.
  let held = null;
  let n = 0;
  const undo = relay.edit((to, f) => {
    if (f.type !== 'chunk') return undefined;
    const index = A.parseChunk(f.body).index;
    if (to === carol.memberId) return index === 3 ? null : undefined;
    if (to !== bob.memberId) return undefined;
    n++;
    if (index === 1) {
      held = f;
      return null;
    }
    if (index === 2) return [f, held, held, f];
    return [f, f];
  });
  await alice.sendFile(file);
  await waitFor(() => doneOf(bob).length && errorsOf(carol).length, 'bob done, carol told', 15_000);
  undo();
  await sameFile(doneOf(bob)[0].blob, file);
  assert.deepEqual(errorsOf(bob), []);
  assert.ok(n >= 6);
  assert.match(errorsOf(carol)[0].text, /is incomplete: the sender finished, but only 5 of 6 parts arrived\. Ask Alice to send it again\./);
  assert.equal(doneOf(carol).length, 0);
});

test('the hostile relay: a chunk spliced from another file, or a truncated file, is never shown complete', async () => {
  const { relay, people: [alice, bob] } = await room(['Alice', 'Bob'], HostileRelay);
  const first = fileOf(3 * A.CHUNK_BYTES, 'one.bin', 'application/octet-stream');
  await alice.sendFile(first);
  await waitFor(() => doneOf(bob).length === 1, 'first file');
  const donor = relay.chunks[1].frame;
  // The second file's chunk 1 is replaced by the first file's chunk 1 with the second file's id written in.
  let spliced = false;
  const undo = relay.edit((to, f) => {
    if (f.type !== 'chunk' || to !== bob.memberId) return undefined;
    const c = A.parseChunk(f.body);
    if (c.index !== 1 || f.body === donor.body) return undefined;
    const bytes = P.unb64u(donor.body);
    bytes.set(P.unb64u(c.a), 1);
    spliced = true;
    return [{ ...f, body: P.b64u(bytes) }];
  });
  await alice.sendFile(fileOf(3 * A.CHUNK_BYTES, 'two.bin'));
  await waitFor(() => errorsOf(bob).length === 1, 'splice detected', 15_000);
  undo();
  assert.ok(spliced);
  assert.match(errorsOf(bob)[0].text, /only 2 of 3 parts arrived\. 1 part\(s\) that arrived did not verify/);
  assert.ok(bob.warnings().some((w) => /did not verify \(forged, moved or damaged\)/.test(w)));
  // Truncated: the last chunk never comes.
  const undo2 = relay.edit((to, f) => (f.type === 'chunk' && A.parseChunk(f.body).index === 2 ? null : undefined));
  await alice.sendFile(fileOf(3 * A.CHUNK_BYTES, 'three.bin'));
  await waitFor(() => errorsOf(bob).length === 2, 'truncation detected', 15_000);
  undo2();
  assert.match(errorsOf(bob)[1].text, /three\.bin is incomplete: .* only 2 of 3 parts arrived/);
  assert.equal(doneOf(bob).length, 1);
});

test('cancel: the sender stops and the others drop what they had; burn wipes every buffer', async () => {
  const { relay, people: [alice, bob] } = await room(['Alice', 'Bob'], HostileRelay);
  // Bob's chunks are held back so the transfer is still running when Alice cancels.
  const undo = relay.edit((to, f) => (f.type === 'chunk' && to === bob.memberId && A.parseChunk(f.body).index > 1 ? null : undefined));
  const r = await alice.sendFile(fileOf(20 * A.CHUNK_BYTES, 'long.mov', 'video/quicktime'));
  await waitFor(() => att(bob).some((e) => e.phase === 'progress' && e.done === 2), 'bob has two parts');
  await alice.transfers.cancel(r.ui);
  await waitFor(() => att(bob).some((e) => e.phase === 'cancelled'), 'bob told');
  undo();
  assert.match(att(bob).find((e) => e.phase === 'cancelled').text, /long\.mov: Alice cancelled it\./);
  assert.equal(doneOf(bob).length, 0);
  assert.equal([...bob.transfers.in.values()].filter((x) => x.state === 'receiving').length, 0);
  const chunksAtCancel = relay.chunks.length;
  await new Promise((res) => setTimeout(res, 200));
  assert.equal(relay.chunks.length, chunksAtCancel, 'no chunk after the cancel');

  await alice.sendFile(fileOf(10 * A.CHUNK_BYTES, 'during-burn.bin'));
  await waitFor(() => bob.transfers.in.size >= 2, 'second transfer under way');
  await alice.admin('burn');
  await waitFor(() => bob.state === 'burned' && alice.state === 'burned', 'burned');
  for (const p of [alice, bob]) {
    assert.equal(p.transfers.in.size, 0);
    assert.equal(p.transfers.out.size, 0);
  }
});

test('someone leaves mid-transfer: the rest goes out under a new key the leaver never gets', async () => {
  const { relay, people: [alice, bob, carol] } = await room(['Alice', 'Bob', 'Carol'], HostileRelay);
  // Carol leaves while the file is on its way; Alice's acks are held back a little from then on, so she hears of
  // it before the last chunk went out.
  let seen = 0;
  relay.edit((to, f) => {
    if (f.type === 'chunk' && to === bob.memberId && ++seen === 3) carol.leave();
    if (f.type !== 'chunk_ack' || seen < 3 || f.late) return undefined;
    setTimeout(() => relay.seats.has(alice.memberId) && relay.deliver(relay.seats.get(alice.memberId).sock, { ...f, late: true }), 150);
    return null;
  });
  const file = fileOf(12 * A.CHUNK_BYTES, 'plan.pdf', 'application/pdf');
  await alice.sendFile(file);
  await waitFor(() => doneOf(bob).length === 1, 'bob has it', 20_000);
  await sameFile(doneOf(bob)[0].blob, file);
  const starts = att(bob).filter((e) => e.phase === 'start');
  assert.equal(new Set(starts.map((e) => e.ui)).size, 1, 'the restart replaced the same item');
  // The second manifest went out in an epoch Carol is not in, under a key only its recipients got.
  const manifests = relay.relayedFrom(alice.memberId, 'm').length;
  assert.ok(manifests >= 3, `${manifests} messages (manifest, restart note, new manifest, end)`);
  assert.ok(relay.chunks.length > 12);
});

test('a receiver whose socket dropped mid-transfer (chunks are not replayed) is told the file is incomplete', async () => {
  const { relay, people: [alice, bob, carol] } = await room(['Alice', 'Bob', 'Carol'], HostileRelay);
  let n = 0;
  relay.edit((to, f) => {
    if (f.type !== 'chunk' || to !== bob.memberId || ++n !== 3) return undefined;
    relay.drop(bob.memberId);
    return null;
  });
  await alice.sendFile(fileOf(8 * A.CHUNK_BYTES, 'minutes.pdf', 'application/pdf'));
  await waitFor(() => doneOf(carol).length && errorsOf(bob).length, 'carol has it, bob is told', 15_000);
  assert.equal(bob.state, 'joined');
  assert.match(errorsOf(bob)[0].text, /minutes\.pdf is incomplete: the sender finished, but only \d of 8 parts arrived\. Ask Alice to send it again\./);
  assert.equal(doneOf(bob).length, 0);
});

test('a file the relay never acknowledges is reported with a retry, and the retry gets it through', async () => {
  const { relay, people: [alice, bob] } = await room(['Alice', 'Bob'], HostileRelay);
  Object.assign(alice.transfers, { ackTimeoutMs: 60, tickMs: 30 });
  const undo = relay.edit((to, f) => (f.type === 'chunk' || f.type === 'chunk_ack' ? null : undefined));
  const file = fileOf(3 * A.CHUNK_BYTES, 'report.pdf', 'application/pdf');
  const r = await alice.sendFile(file);
  await waitFor(() => errorsOf(alice).length, 'alice told', 10_000);
  assert.deepEqual(errorsOf(alice)[0], { type: 'attachment', ui: r.ui, phase: 'error', self: true, retry: true,
    text: 'report.pdf could not be sent (the server did not take it).' });
  await waitFor(() => att(bob).some((e) => e.phase === 'cancelled'), 'bob told it failed');
  assert.match(att(bob).find((e) => e.phase === 'cancelled').text, /report\.pdf: Alice could not finish sending it\./);
  undo();
  assert.equal(await alice.transfers.retry(r.ui), true);
  await waitFor(() => doneOf(bob).length === 1, 'the retry arrives', 10_000);
  await sameFile(doneOf(bob)[0].blob, file);
  const starts = att(bob).filter((e) => e.phase === 'start');
  assert.equal(starts.length, 2);
  assert.equal(starts[1].ui, starts[0].ui, 'the retry replaced the failed item');
});
