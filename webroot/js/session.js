// The room session: one member's protocol state machine (docs/protocol.md, docs/client.md) on top of the crypto
// modules. No DOM here: the UI listens to events. The socket class, clock and timers are injected so the whole
// machine runs in Node tests against a relay that may be honest or hostile.
//
// The server is not trusted (docs/security.md). It routes frames and keeps seats; everything a member believes
// about the room comes from signatures: who is in it (self-signed profiles, fingerprints), what they said and in
// which order (per-sender sequence numbers and hash chains), and what the creator decided (the signed charter).
//
// This file holds the state, the queue, the clock, start and the endings. The protocol's jobs live beside it as
// groups of methods on the same object (connection, epochs, outbox, inbox, charter): every job reads the same keys
// and timers and wipe() must clear all of them in one place, so the state stays in one object and only the code
// is split by job.

import { cleanName, generateIdentity, makeProfile, sealProfile } from './identity.js';
import { commitsTo, deriveRoomSecrets, fragmentOf, isLinkSecret } from './link.js';
import { adminKeyFromSeed } from './adminkey.js';
import { newChain, ReceiveChains, TRANSCRIPT_START } from './chains.js';
import { Roster } from './roster.js';
import { BACKOFF_MS, connection } from './connection.js';
import { epochs } from './epochs.js';
import { outbox, SEND_BURST } from './outbox.js';
import { inbox } from './inbox.js';
import { charter } from './charter.js';
import { Transfers } from './transfers.js';

/**
 * The server's clock keeps every screen burning together, but a server claiming to be further behind our own
 * clock than this cannot hold the room open here any longer: a device whose clock runs fast burns early, never late.
 */
const MAX_SKEW_MS = 500;
/** The longest a room may live: without a signed charter the client never believes more than this. */
const MAX_LIFETIME_MS = 24 * 3600_000;

export class Session {
  /**
   * @param {object} o
   * @param {string} o.roomId
   * @param {{secret: string, adminSeed: (string|null)}} o.link the parsed link fragment (crypto.parseFragment)
   * @param {string} o.name display name; it only ever leaves this object inside encrypted profiles
   * @param {string} o.url WebSocket URL
   * @param {Function} o.WebSocketImpl constructor with the browser WebSocket interface
   * @param {{expiresAt: number, serverTime: number, nonce: string}} [o.created] the creator's create reply, with
   *   the nonce that made the link secret (crypto.newRoomSecret)
   * @param {Function} [o.onEvent] receives {type, ...} events for the UI
   */
  constructor(o) {
    this.roomId = o.roomId;
    this.link = { ...o.link };
    this.name = cleanName(o.name);
    this.url = o.url;
    this.WebSocketImpl = o.WebSocketImpl;
    this.created = o.created || null;
    this.onEvent = o.onEvent || (() => {});
    this.now = o.now || (() => Date.now());
    this.setTimeout = o.setTimeout || ((f, ms) => setTimeout(f, ms));
    this.clearTimeout = o.clearTimeout || ((t) => clearTimeout(t));
    this.random = o.random || Math.random;
    this.backoff = o.backoff || BACKOFF_MS;
    this.heldMs = o.heldMs || 5000;
    this.reorderMs = o.reorderMs || 1500;
    this.settleMs = o.settleMs || 2500;
    this.rekeyDebounceMs = o.rekeyDebounceMs ?? 20;
    this.dhRotateMs = o.dhRotateMs ?? 10_000;

    this.state = 'idle';
    this.wiped = false;
    this.ws = null;
    this.awaitingJoined = false;
    this.memberId = null;
    this.resumeToken = null;
    this.lastSeq = 0;
    this.seenSeqs = new Set();
    this.seqFloor = 0;
    this.serverExp = 0;
    this.joinedAt = 0;
    this.offsetMs = 0;
    this.locked = false;
    this.pin = null;
    this.attempt = 0;
    this.timers = new Set();
    this.reconnectTimer = null;
    /** sid -> what one room secret gives (crypto.deriveRoomSecrets); the current one seals our profile */
    this.secrets = new Map();
    this.sid = null;
    this.wantedSid = null;
    this.charter = null;
    this.adminKey = null;
    this.adminPending = [];
    this.roster = new Roster(this);
    this.chains = new ReceiveChains();
    this.chain = null;
    this.epoch = 0;
    this.dhKeys = [];
    /** Our own transcript: the last sequence number used and the hash chain value after it. */
    this.myI = 0;
    this.myH = TRANSCRIPT_START;
    this.rekeyWanted = false;
    this.rekeyTimer = null;
    /** After a fresh join: the members whose bundle (and so current ECDH key) we wait for before our first epoch */
    this.introWait = null;
    /** Sent but not yet acknowledged: resent with the same id after a reconnect so the relay can de-duplicate. */
    this.outbox = [];
    /** fp -> [{f, env}] messages whose key has not arrived yet */
    this.held = new Map();
    this.queue = Promise.resolve();
    this.lastError = null;
    this.safety = null;
    this.msgCounter = 0;
    this.outQueue = [];
    this.tokens = SEND_BURST;
    this.lastRefill = 0;
    this.drainTimer = null;
    this.warned = new Set();
    /** Attachments in flight, both ways */
    this.transfers = new Transfers(this);
  }

  emit(type, data = {}) {
    try {
      this.onEvent({ type, ...data });
    } catch (e) {
      // A failing listener must not break the protocol machine.
    }
  }

  /** Something the server did that the signatures contradict: shown at once, naming who and what. */
  integrity(kind, text, key = null) {
    if (key) {
      if (this.warned.has(key)) return;
      this.warned.add(key);
    }
    this.emit('integrity', { kind, text });
  }

  /** Everything that touches keys or members runs one step at a time, in arrival order. */
  enqueue(fn) {
    const run = this.queue.then(() => (this.isOver() ? undefined : fn()));
    this.queue = run.catch((e) => this.emit('notice', { level: 'error', text: `Internal error: ${e && e.message}` }));
    return run;
  }

  /** A timer that dies with the session: nothing scheduled by work still in flight at a wipe outlives it. */
  later(fn, ms) {
    if (this.wiped) return null;
    const t = this.setTimeout(() => {
      this.timers.delete(t);
      if (!this.isOver()) fn();
    }, ms);
    this.timers.add(t);
    return t;
  }

  isOver() {
    return this.state === 'burned' || this.state === 'closed';
  }

  // ---------- time ----------

  /** The server's clock as far as we believe it: never further behind our own than MAX_SKEW_MS. */
  serverNow() {
    const local = this.now();
    return Math.max(local + this.offsetMs, local - MAX_SKEW_MS);
  }

  /** The room ends at the earlier of what the server says and what the creator signed. */
  expiresAt() {
    const cap = this.charter ? this.charter.exp : this.joinedAt + this.offsetMs + MAX_LIFETIME_MS;
    if (!this.serverExp) return this.charter ? this.charter.exp : 0;
    return Math.min(this.serverExp, cap);
  }

  remainingMs() {
    return Math.max(0, this.expiresAt() - this.serverNow());
  }

  syncClock(serverTime) {
    this.offsetMs = serverTime - this.now();
  }

  emitTime() {
    this.emit('time', { expiresAt: this.expiresAt(), offsetMs: this.offsetMs });
  }

  /** Burns on our own clock at the signed expiry, whether or not the server ever says `burned`. */
  checkExpiry() {
    if (this.isOver()) return;
    const exp = this.expiresAt();
    if (exp && this.remainingMs() <= 0 && this.memberId) {
      this.burn('clock');
      return;
    }
    this.later(() => this.checkExpiry(), 200);
  }

  // ---------- start, and the room secrets we hold ----------

  async start() {
    await this.learnSecret(this.link.secret, true);
    if (this.link.adminSeed) {
      // The creator's own link: the admin key is ours. Which room it rules is settled by the first charter we
      // hold that our secret commits to: the one we sign now, or one a member forwards after a reload.
      this.adminKey = await adminKeyFromSeed(this.link.adminSeed);
      this.adminSeed = this.link.adminSeed;
    }
    if (this.adminKey && this.created) {
      const ttlMs = (this.created.expiresAt - this.created.serverTime);
      if (!(ttlMs > 0 && ttlMs <= MAX_LIFETIME_MS + 60_000)) throw new Error('the server returned an impossible lifetime');
      if (!(await commitsTo(this.link.secret, this.adminKey.pub, this.created.nonce))) throw new Error('the link does not match its admin key');
      this.adminPub = this.adminKey.pub;
      await this.signFirstCharter(this.created.expiresAt, false, this.created.nonce);
    }
    this.identity = await generateIdentity();
    await this.rotateDh();
    this.profileObj = await makeProfile(this.roomId, this.identity, this.name, this.dhKeys[this.dhKeys.length - 1]);
    await this.resealProfile();
    this.chain = newChain(++this.epoch, this.sid);
    this.checkExpiry();
    this.connect();
  }

  async resealProfile() {
    this.profile = await sealProfile(this.secrets.get(this.sid).profileKey, this.roomId, this.profileObj);
  }

  /** Learns a room secret (the link's, or one the creator rotated to) and, if asked, makes it the current one. */
  async learnSecret(secret, makeCurrent) {
    if (!isLinkSecret(secret)) return null;
    let s = [...this.secrets.values()].find((x) => x.secret === secret);
    if (!s) {
      s = await deriveRoomSecrets(secret, this.roomId);
      this.secrets.set(s.sid, s);
    }
    if (makeCurrent || this.wantedSid === s.sid) await this.switchSecret(s.sid);
    return s;
  }

  async switchSecret(sid) {
    if (this.sid === sid) return;
    const first = this.sid === null;
    this.sid = sid;
    this.link.secret = this.secrets.get(sid).secret;
    if (this.wantedSid === sid) this.wantedSid = null;
    if (!first) {
      if (this.profileObj) await this.resealProfile();
      this.scheduleRekey(0);
      this.emit('link', { link: this.inviteFragment(), creatorLink: this.creatorFragment() });
    }
  }

  inviteFragment() {
    return fragmentOf({ secret: this.link.secret });
  }

  creatorFragment() {
    return this.adminKey ? fragmentOf(this.link) : null;
  }

  roomKeyOf(sid) {
    const s = this.secrets.get(sid);
    return s && s.roomKey;
  }

  setState(state) {
    this.state = state;
    this.emit('state', { state });
  }

  ping() {
    return this.sendFrame({ type: 'ping' });
  }

  verifiedMembers() {
    return this.roster.present();
  }

  // ---------- endings ----------

  /** The room is gone: forget every key, member and message, stop reconnecting. */
  burn(source) {
    if (this.isOver()) return;
    this.wipe();
    this.setState('burned');
    this.emit('burned', { source, at: this.now() });
  }

  terminate(why, code) {
    if (this.isOver()) return;
    this.wipe();
    this.setState('closed');
    this.emit('closed', { why, code });
  }

  /** Leaves on purpose (close 1000 frees the seat at once). */
  leave() {
    this.terminate('left');
  }

  wipe() {
    this.wiped = true;
    if (this.reconnectTimer) this.clearTimeout(this.reconnectTimer);
    if (this.drainTimer) this.clearTimeout(this.drainTimer);
    for (const t of this.timers) this.clearTimeout(t);
    this.timers.clear();
    this.reconnectTimer = null;
    this.drainTimer = null;
    this.rekeyTimer = null;
    this.outQueue = [];
    const ws = this.ws;
    this.ws = null;
    if (ws) {
      try {
        ws.close(1000);
      } catch (e) {
        // already closing
      }
    }
    this.chains.wipe();
    if (this.chain) this.chain.ck.fill(0);
    this.chain = null;
    this.identity = null;
    this.candidate = null;
    this.dhKeys = [];
    this.secrets.clear();
    this.link = { secret: null, adminSeed: null };
    this.adminPub = null;
    this.adminKey = null;
    this.adminSeed = null;
    this.adminPending = [];
    this.charter = null;
    this.profileObj = null;
    this.profile = null;
    this.pin = null;
    this.name = null;
    this.roster.wipe();
    this.outbox = [];
    this.held.clear();
    this.transfers.wipe();
    this.resumeToken = null;
  }
}

Object.assign(Session.prototype, connection, epochs, outbox, inbox, charter);
