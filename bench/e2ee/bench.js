// The cost of E2EE v2 (issue 26, acceptance 4), measured in the browser: one tab builds a room of real Session
// objects (webroot/js, all crypto in WebCrypto) on the in-memory FakeRelay of the Node tests, and times with
// performance.now():
//   join     start() of the Nth member until every member holds every other member's current epoch key
//   message  send() until the frame is handed to the socket; frame arrival at a receiver until its `message` event
//   leave    leave() of one member until the remaining N-1 all hold each other's new epoch keys (the rekey)
//   alone    one member's rekey and one receiver's bundle, each with nothing else running (one device's share)
// Everything the N members' devices would do in parallel runs here on one main thread (WebCrypto itself runs on
// Chromium's worker threads), so join, leave and the concurrent receive times are upper bounds for one device.
// Query: ?members=50&messages=50&reps=5. The result is JSON in #result and window.__bench.

import { decodeEnvelope } from '../webroot/js/primitives.js';
import { openBundle, verifyBundle } from '../webroot/js/bundles.js';
import { Session } from '../webroot/js/session.js';
import { FakeRelay, kindOf } from '../webroot/test/support/fake-relay.js';
import { ROOM, newLink, settled } from '../webroot/test/support/people.js';

const q = new URLSearchParams(location.search);
const N = Number(q.get('members')) || 50;
const MSGS = Number(q.get('messages')) || 50;
const REPS = Number(q.get('reps')) || 5;
/**
 * How often a member may turn its ECDH key. Before `d63bab1` the client's default (10 s, four kept) lost every
 * newcomer's first bundle once the older members had turned their keys four times
 * (docs/journal/2026-12-06-e2ee-cost.md), so the bench keeps each member's first key for the whole run, as in the
 * figures of docs/figures.md.
 * `?dhRotateMs=client` runs with the client's default instead.
 */
const DH_ROTATE = q.get('dhRotateMs') === 'client' ? undefined : Number(q.get('dhRotateMs') || 3_600_000);

const now = () => performance.now();
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const round = (x) => Math.round(x * 10) / 10;
const status = (t) => {
  document.getElementById('status').textContent = t;
};

function stats(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const at = (p) => s[Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1))];
  return { n: s.length, median: round(at(0.5)), p95: round(at(0.95)), min: round(s[0]), max: round(s[s.length - 1]) };
}

const stalls = [];

/**
 * Polls a predicate; the times reported come from the stamps below, not from when the poll noticed. A wait longer
 * than 5 s is recorded once, with `explain()`'s account of what is missing at that moment.
 */
async function until(pred, what, explain = null, ms = 60_000) {
  const t0 = now();
  let told = false;
  while (!pred()) {
    if (now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    if (!told && explain && now() - t0 > 5000) {
      told = true;
      stalls.push({ what, at_ms: round(now() - t0), missing: explain(), warnings: warnings.slice(-10) });
    }
    await sleep(2);
  }
  return now();
}

/** Who does not hold whose current epoch key, and what they hold instead. */
function missingKeys(group) {
  const out = [];
  for (const r of group) {
    if (r.state !== 'joined') {
      out.push(`${r.name}: state ${r.state}`);
      continue;
    }
    if (r.verifiedMembers().length !== group.length) out.push(`${r.name} sees ${r.verifiedMembers().length} members`);
    for (const p of group) {
      if (p === r || r.chains.has(p.identity.fp, p.epoch)) continue;
      const held = r.chains.bySender.get(p.identity.fp);
      out.push(`${r.name} lacks ${p.name} epoch ${p.epoch} (holds ${held ? [...held.keys()].join(',') : 'none'}; `
        + `${p.name} dh ${p.dhKeys.map((d) => d.index).join(',')}, ${r.name} dh ${r.dhKeys.map((d) => d.index).join(',')}; `
        + `${p.name} queue ${p.outQueue.length} tokens ${p.tokens.toFixed(1)})`);
      if (out.length > 40) return out;
    }
  }
  return out;
}

const frameId = (data) => {
  const m = /"id":"([^"]+)"/.exec(data.slice(0, 300));
  return m ? m[1] : null;
};

/** The test relay, with stamps at the socket boundary and, on demand, deliveries parked for one-at-a-time runs. */
class BenchRelay extends FakeRelay {
  constructor(...args) {
    super(...args);
    this.sentAt = new Map(); // frame id -> when the client handed it to its socket
    this.arrivedAt = new Map(); // memberId|frame id -> when the frame reached that member's onmessage
    this.park = null; // Set of envelope kinds ('m', 'K') whose deliveries wait in `parked`
    this.parked = [];
    this.frames = 0;
  }

  get Socket() {
    const relay = this;
    const Base = super.Socket;
    return class BenchSocket extends Base {
      send(data) {
        const t = now();
        if (data.startsWith('{"type":"msg"')) relay.sentAt.set(frameId(data), t);
        relay.frames++;
        super.send(data);
      }

      set onmessage(h) {
        this.handler = h;
      }

      get onmessage() {
        const h = this.handler;
        if (!h) return h;
        return (e) => {
          const t = now();
          h(e);
          if (e.data.startsWith('{"type":"msg"') && this.seat) relay.arrivedAt.set(`${this.seat.memberId}|${frameId(e.data)}`, t);
        };
      }
    };
  }

  deliver(sock, frame) {
    this.frames++;
    if (this.park && frame.type === 'msg' && this.park.has(kindOf(frame))) {
      this.parked.push([sock, frame]);
      return;
    }
    super.deliver(sock, frame);
  }

  release() {
    const [sock, frame] = this.parked.shift();
    super.deliver(sock, frame);
    return { memberId: sock.seat && sock.seat.memberId, id: frame.id };
  }
}

const link = await newLink();
const relay = new BenchRelay(ROOM, { joinHash: link.joinHash });
relay.expiresAt = Date.now() + 4 * 3600_000;
let people = [];
const byMember = new Map();
let listener = null;
const warnings = [];

function makeSession(name, creator) {
  let s = null;
  s = new Session({
    roomId: ROOM,
    link: creator ? link : { secret: link.secret, adminSeed: null },
    name,
    url: `ws://bench/ws/rooms/${ROOM}`,
    WebSocketImpl: relay.Socket,
    created: creator ? { expiresAt: relay.expiresAt, serverTime: Date.now(), nonce: link.nonce } : undefined,
    // every timing option at the web client's defaults (ui.js passes none), except the one above
    dhRotateMs: DH_ROTATE,
    onEvent: (e) => {
      if (e.type === 'integrity' || e.type === 'rejected') warnings.push(`${name}: ${e.type} ${e.text || e.reason}`);
      if (listener) listener(s, e);
    },
  });
  // When each receive chain was installed: the moment a member holds a sender's epoch key.
  s.installedAt = new Map();
  const install = s.chains.install.bind(s.chains);
  s.chains.install = (fp, chain) => {
    const ok = install(fp, chain);
    if (ok) s.installedAt.set(`${fp}|${chain.epoch}`, now());
    return ok;
  };
  if (creator) s.setPin('PIN12345');
  return s;
}

/** When the last member got the last current epoch key among `group` (null if someone does not hold one). */
function lastInstall(group) {
  let last = 0;
  for (const r of group) {
    for (const p of group) {
      if (p === r) continue;
      const t = r.installedAt.get(`${p.identity.fp}|${p.epoch}`);
      if (t === undefined) return null;
      last = Math.max(last, t);
    }
  }
  return last;
}

/** Waits until nothing has moved for a while: no frame sent or delivered, no session with queued work. */
async function quiet() {
  let seen = -1;
  while (relay.frames !== seen) {
    seen = relay.frames;
    await sleep(300);
  }
  for (const p of people) await p.queue;
  relay.log = [];
  relay.sentAt.clear();
  relay.arrivedAt.clear();
}

let serial = 0;
async function join(creator) {
  const name = creator ? 'Creator' : `Member ${++serial}`;
  const before = new Map(people.map((p) => [p, p.epoch]));
  const s = makeSession(name, creator);
  const t0 = now();
  await s.start();
  const started = now();
  await until(() => s.state === 'joined', `${name} joined`);
  const joinedAt = now();
  const all = [...people, s];
  const seen = await until(() => people.every((p) => p.epoch > before.get(p)) && settled(all), `${name} settled`,
    () => missingKeys(all));
  people = all;
  byMember.set(s.memberId, s);
  const done = all.length > 1 ? lastInstall(all) : seen;
  return { members: all.length, keys_ms: started - t0, seated_ms: joinedAt - t0, settled_ms: done - t0, noticed_ms: seen - t0 };
}

const text = (k) => `message ${k}: ${'the quick brown fox jumps over the lazy dog '.repeat(2)}`.trim();

/** One text from `sender`; resolves when every other member has shown it. Receive times per receiver. */
async function message(sender, k, parkedOneByOne) {
  const body = text(k);
  const got = new Map();
  listener = (s, e) => {
    if (e.type === 'message' && !e.self && e.text === body) got.set(s, now());
  };
  const t0 = now();
  const id = await sender.send(body);
  const sent = relay.sentAt.get(id);
  if (parkedOneByOne) {
    await until(() => relay.parked.length === people.length - 1, 'parked deliveries');
    while (relay.parked.length) {
      const { memberId } = relay.release();
      const r = byMember.get(memberId);
      await until(() => got.has(r), 'one receiver');
    }
  }
  await until(() => got.size === people.length - 1, `message ${k} everywhere`);
  listener = null;
  const receive = [...got].map(([r, t]) => t - relay.arrivedAt.get(`${r.memberId}|${id}`));
  return { send: sent - t0, receive, fanout: Math.max(...got.values()) - t0 };
}

async function messages(parked) {
  const send = [];
  const receive = [];
  const fanout = [];
  const epochs = people.map((p) => p.epoch);
  relay.park = parked ? new Set(['m']) : null;
  for (let k = 0; k < MSGS; k++) {
    // a different sender each time, as in a conversation (and no sender's pacing bucket runs dry)
    const m = await message(people[(k * 7 + 1) % people.length], k, parked);
    send.push(m.send);
    receive.push(...m.receive);
    fanout.push(m.fanout);
  }
  relay.park = null;
  const rekeys = people.filter((p, i) => p.epoch !== epochs[i]).length;
  await quiet();
  return { send_ms: stats(send), receive_ms: stats(receive), fanout_ms: stats(fanout), rekeys_during: rekeys };
}

async function leave(victim) {
  const rest = people.filter((p) => p !== victim);
  const before = new Map(rest.map((p) => [p, p.epoch]));
  const t0 = now();
  victim.leave();
  const seen = await until(() => rest.every((p) => p.epoch > before.get(p)) && settled(rest), 'rekey after a leave',
    () => missingKeys(rest));
  const done = lastInstall(rest);
  const epochsMoved = rest.map((p) => p.epoch - before.get(p));
  people = rest;
  await quiet();
  return { members_after: rest.length, rekey_ms: done - t0, noticed_ms: seen - t0, max_epochs_per_member: Math.max(...epochsMoved) };
}

/** One member's rekey and each receiver's handling of that bundle, one at a time with nothing else running. */
async function rekeyAlone(s) {
  relay.park = new Set(['K']);
  const t0 = now();
  await s.enqueue(() => s.rekey());
  const bundleId = [...relay.sentAt.keys()].find((id) => id.startsWith('k'));
  const seal = relay.sentAt.get(bundleId) - t0;
  await until(() => relay.parked.length === people.length - 1, 'parked bundles');
  const size = relay.parked.length ? relay.parked[0][1].body.length : 0;
  let steps = null;
  try {
    steps = await openSteps(s, relay.parked.map(([sock, frame]) => [byMember.get(sock.seat.memberId), frame]));
  } catch (e) {
    steps = { error: String(e) };
  }
  const open = [];
  while (relay.parked.length) {
    const { memberId, id } = relay.release();
    const r = byMember.get(memberId);
    const key = `${s.identity.fp}|${s.epoch}`;
    await until(() => r.installedAt.has(key), 'bundle installed');
    open.push(r.installedAt.get(key) - relay.arrivedAt.get(`${memberId}|${id}`));
  }
  relay.park = null;
  await quiet();
  return { recipients: open.length, seal_ms: round(seal), bundle_chars: size, open_ms: stats(open), open_steps_ms: steps };
}

/**
 * Where one receiver's time on a bundle goes: the steps of Session.onMsg/onBundle and Roster.introduce for a known
 * sender, called one by one on copies of the parked frames (nothing is installed; each receiver once).
 */
async function openSteps(sender, deliveries) {
  const t = { frame_parse: [], envelope_decode: [], open_entry_and_body: [], verify_signature: [] };
  for (const [r, frame] of deliveries) {
    const data = JSON.stringify(frame);
    let t0 = now();
    const f = JSON.parse(data);
    t.frame_parse.push(now() - t0);
    t0 = now();
    const env = decodeEnvelope(f.body);
    t.envelope_decode.push(now() - t0);
    t0 = now();
    const opened = await openBundle({
      roomId: ROOM, env, myFp: r.identity.fp, dhOf: (i) => r.dhOf(i), roomKeyOf: (sid) => r.roomKeyOf(sid),
    });
    t.open_entry_and_body.push(now() - t0);
    opened.chain.ck.fill(0);
    t0 = now();
    await verifyBundle(ROOM, r.roster.byFp(sender.identity.fp).sigKey, env);
    t.verify_signature.push(now() - t0);
  }
  return Object.fromEntries(Object.entries(t).map(([k, v]) => [k, stats(v).median]));
}

async function run() {
  const result = {
    when: new Date().toISOString(), userAgent: navigator.userAgent, cores: navigator.hardwareConcurrency,
    members: N, messages: MSGS, reps: REPS, dhRotateMs: DH_ROTATE ?? 'client default',
  };
  const t0 = now();
  const joins = [];
  for (let i = 0; i < N; i++) {
    status(`joining ${i + 1}/${N}`);
    joins.push(await join(i === 0));
  }
  await quiet();
  result.build_ms = round(now() - t0);
  result.join_curve = joins.filter((j) => [1, 2, 10, 20, 30, 40, N].includes(j.members))
    .map((j) => ({ members: j.members, settled_ms: round(j.settled_ms) }));
  const lastJoins = [joins[N - 1]];

  status('messages, all receivers at once');
  result.messages_concurrent = await messages(false);
  status('messages, one receiver at a time');
  result.messages_one_by_one = await messages(true);

  status('one rekey alone');
  result.rekey_alone = await rekeyAlone(people[1]);

  const leaves = [];
  for (let r = 0; r < REPS; r++) {
    status(`leave ${r + 1}/${REPS}`);
    leaves.push(await leave(people[1 + ((r * 13) % (people.length - 1))]));
    status(`rejoin ${r + 1}/${REPS}`);
    lastJoins.push(await join(false));
    await quiet();
  }
  result.join_last = {
    settled_ms: stats(lastJoins.map((j) => j.settled_ms)),
    keys_ms: stats(lastJoins.map((j) => j.keys_ms)),
    seated_ms: stats(lastJoins.map((j) => j.seated_ms)),
    runs: lastJoins.map((j) => round(j.settled_ms)),
  };
  result.leave_rekey = {
    rekey_ms: stats(leaves.map((l) => l.rekey_ms)),
    runs: leaves.map((l) => round(l.rekey_ms)),
    max_epochs_per_member: Math.max(...leaves.map((l) => l.max_epochs_per_member)),
  };
  result.stalls = stalls;
  result.warnings = warnings.slice(0, 20);
  result.warning_count = warnings.length;
  result.total_ms = round(now() - t0);
  for (const p of people) p.wipe();
  return result;
}

try {
  window.__bench = await run();
  status('done');
} catch (e) {
  window.__bench = { error: String(e && e.stack ? e.stack : e), stalls, warnings: warnings.slice(0, 20) };
  status('failed');
}
document.getElementById('result').textContent = JSON.stringify(window.__bench, null, 2);
