// The room session: one member's protocol state machine (docs/protocol.md, docs/client.md) on top of crypto.js.
// No DOM here: the UI listens to events. The socket class, clock and timers are injected so the whole machine
// runs in Node tests against a relay that may be honest or hostile.
//
// The server is not trusted (docs/security.md). It routes frames and keeps seats; everything a member believes
// about the room comes from signatures: who is in it (self-signed profiles, fingerprints), what they said and in
// which order (per-sender sequence numbers and hash chains), and what the creator decided (the signed charter).

import * as C from './crypto.js';
import { Roster } from './roster.js';
import { validFrame } from './frames.js';

/** Close codes after which reconnecting cannot help; each maps to the screen the UI shows. */
export const TERMINAL_CLOSES = {
  4000: 'burned',
  4001: 'kicked',
  4003: 'refused',
  4004: 'not_found',
  4008: 'protocol',
  4010: 'link_rotated',
  4029: 'lockout',
};

const BACKOFF_MS = [300, 1000, 2000, 4000, 8000];
/**
 * Outgoing pacing, below the relay's default per-connection limit (20 frames/s, burst 40). A rekey is one frame
 * (one bundle for every member), so pacing only ever delays a burst of typed messages.
 */
const SEND_BURST = 30;
const SEND_PER_SECOND = 15;
const HELD_PER_SENDER = 50;
/** Post-compromise recovery: a new epoch at least this often, and after this many messages. */
const REKEY_EVERY_MS = 5 * 60_000;
const REKEY_EVERY_MSGS = 100;
/**
 * The server's clock keeps every screen burning together, but a server claiming to be further behind our own
 * clock than this cannot hold the room open here any longer: a device whose clock runs fast burns early, never late.
 */
const MAX_SKEW_MS = 500;
/** The longest a room may live: without a signed charter the client never believes more than this. */
const MAX_LIFETIME_MS = 24 * 3600_000;
/** How long a newcomer waits for the members' bundles (their current ECDH keys) before its own first epoch. */
const INTRO_WAIT_MS = 2000;
/** How many of our own ECDH keys stay usable for bundles still in flight. */
const DH_KEPT = 4;
/** The reactions a member can toggle on a message: a small fixed set, so a reaction says nothing else. */
export const REACTIONS = ['👍', '❤️', '😂', '😮', '😢', '🔥'];
/** How much of a message a reply quotes. */
const QUOTE_CHARS = 140;

function validQuote(re) {
  return !!re && typeof re === 'object' && typeof re.k === 'string' && re.k.length <= 64 && typeof re.n === 'string'
    && re.n.length <= 64 && typeof re.x === 'string' && [...re.x].length <= QUOTE_CHARS;
}

/** How many relayed seqs we remember to tell a transport duplicate from a held-back frame. */
const SEEN_SEQS = 2048;
const ADMIN_ERRORS = new Set(['wrong_pin', 'pin_lockout', 'room_pin_lockout', 'extend_limit', 'unknown_member', 'bad_admin_op', 'no_pin']);

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
    this.name = C.cleanName(o.name);
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
    this.chains = new C.ReceiveChains();
    this.chain = null;
    this.epoch = 0;
    this.dhKeys = [];
    /** Our own transcript: the last sequence number used and the hash chain value after it. */
    this.myI = 0;
    this.myH = C.TRANSCRIPT_START;
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

  // ---------- start and connection ----------

  async start() {
    await this.learnSecret(this.link.secret, true);
    if (this.link.adminSeed) {
      // The creator's own link: the admin key is ours. Which room it rules is settled by the first charter we
      // hold that our secret commits to: the one we sign now, or one a member forwards after a reload.
      this.adminKey = await C.adminKeyFromSeed(this.link.adminSeed);
      this.adminSeed = this.link.adminSeed;
    }
    if (this.adminKey && this.created) {
      const ttlMs = (this.created.expiresAt - this.created.serverTime);
      if (!(ttlMs > 0 && ttlMs <= MAX_LIFETIME_MS + 60_000)) throw new Error('the server returned an impossible lifetime');
      if (!(await C.commitsTo(this.link.secret, this.adminKey.pub, this.created.nonce))) throw new Error('the link does not match its admin key');
      this.adminPub = this.adminKey.pub;
      await this.signFirstCharter(this.created.expiresAt, false, this.created.nonce);
    }
    this.identity = await C.generateIdentity();
    await this.rotateDh();
    this.profileObj = await C.makeProfile(this.roomId, this.identity, this.name, this.dhKeys[this.dhKeys.length - 1]);
    await this.resealProfile();
    this.chain = C.newChain(++this.epoch, this.sid);
    this.checkExpiry();
    this.connect();
  }

  async resealProfile() {
    this.profile = await C.sealProfile(this.secrets.get(this.sid).profileKey, this.roomId, this.profileObj);
  }

  /** A fresh ECDH key for others to seal our next bundles to; the last three stay for bundles in flight. */
  async rotateDh() {
    const last = this.dhKeys[this.dhKeys.length - 1];
    // Bundles sealed to a key we dropped are lost, so under a burst of rekeys (fifty joins) the key turns at most
    // every dhRotateMs and the last DH_KEPT stay: forward secrecy at the grain of a few seconds, not of an epoch.
    if (last && this.now() - last.at < this.dhRotateMs) return;
    const k = await C.newDhKey();
    this.dhKeys.push({ index: last ? last.index + 1 : 0, pair: k.pair, pub: k.pub, at: this.now() });
    while (this.dhKeys.length > DH_KEPT) this.dhKeys.shift();
  }

  dhOf(index) {
    const k = this.dhKeys.find((d) => d.index === index);
    return k && k.pair;
  }

  /** Learns a room secret (the link's, or one the creator rotated to) and, if asked, makes it the current one. */
  async learnSecret(secret, makeCurrent) {
    if (!C.isLinkSecret(secret)) return null;
    let s = [...this.secrets.values()].find((x) => x.secret === secret);
    if (!s) {
      s = await C.deriveRoomSecrets(secret, this.roomId);
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
    return C.fragmentOf({ secret: this.link.secret });
  }

  creatorFragment() {
    return this.adminKey ? C.fragmentOf(this.link) : null;
  }

  roomKeyOf(sid) {
    const s = this.secrets.get(sid);
    return s && s.roomKey;
  }

  setState(state) {
    this.state = state;
    this.emit('state', { state });
  }

  connect() {
    this.reconnectTimer = null;
    if (this.isOver()) return;
    this.setState(this.memberId ? 'reconnecting' : 'connecting');
    let ws;
    try {
      ws = new this.WebSocketImpl(this.url);
    } catch (e) {
      this.scheduleReconnect();
      return;
    }
    this.ws = ws;
    ws.onopen = () => {
      if (ws !== this.ws) return;
      // Resuming, we offer the profile of a fresh identity: the server ignores it if our seat is still there, and
      // seats it if the grace ran out, so we never come back under keys the others have tombstoned.
      const profile = this.resumeToken && this.candidate ? this.candidate.profile : this.profile;
      const join = { type: 'join', profile, token: this.secrets.get(this.sid).token };
      if (this.resumeToken) {
        join.resume = this.resumeToken;
        join.lastSeq = this.lastSeq;
      }
      this.awaitingJoined = true;
      ws.send(JSON.stringify(join));
    };
    ws.onmessage = (e) => {
      if (ws !== this.ws) return;
      let f;
      try {
        f = typeof e.data === 'string' && e.data.length <= 200_000 ? JSON.parse(e.data) : null;
      } catch (err) {
        f = null;
      }
      this.enqueue(() => this.onFrame(f));
    };
    ws.onclose = (e) => {
      if (ws !== this.ws) return;
      this.enqueue(() => this.onClose(e.code, e.reason));
    };
    ws.onerror = () => {};
  }

  scheduleReconnect() {
    if (this.isOver() || this.reconnectTimer) return;
    this.setState('reconnecting');
    const base = this.backoff[Math.min(this.attempt, this.backoff.length - 1)];
    this.attempt++;
    // Jitter so a node restart does not bring every member back in the same millisecond.
    if (this.wiped) return;
    this.reconnectTimer = this.setTimeout(() => this.connect(), Math.round(base * (0.75 + 0.5 * this.random())));
  }

  sendFrame(frame) {
    if (!(this.ws && this.ws.readyState === 1 && this.state === 'joined')) return false;
    this.outQueue.push(JSON.stringify(frame));
    this.drain();
    return true;
  }

  drain() {
    const t = this.now();
    this.tokens = Math.min(SEND_BURST, this.tokens + ((t - this.lastRefill) * SEND_PER_SECOND) / 1000);
    this.lastRefill = t;
    while (this.outQueue.length && this.tokens >= 1 && this.ws && this.ws.readyState === 1) {
      this.ws.send(this.outQueue.shift());
      this.tokens -= 1;
    }
    if (this.outQueue.length && this.ws && !this.drainTimer && !this.wiped) {
      const wait = Math.ceil(((1 - this.tokens) * 1000) / SEND_PER_SECOND);
      this.drainTimer = this.setTimeout(() => {
        this.drainTimer = null;
        this.drain();
      }, Math.max(wait, 1));
    }
  }

  async onClose(code, reason) {
    this.ws = null;
    this.awaitingJoined = false;
    // Frames not yet written are dropped: messages stay in the outbox and a resume starts a new epoch anyway.
    this.outQueue = [];
    if (this.isOver()) return;
    if (code === 4000) {
      // The server says the room burned. Believe it: it can always end a room, never prolong one.
      this.burn('server');
      return;
    }
    if (code === 1000 && reason === 'replaced') {
      this.terminate('replaced');
      return;
    }
    const why = TERMINAL_CLOSES[code];
    if (why) {
      this.terminate(why, this.lastError);
      return;
    }
    // 1006 (dropped), 1011, 1012 (node shutting down) and anything else: come back and resume.
    if (this.memberId && !this.candidate) await this.prepareCandidate();
    this.scheduleReconnect();
  }

  // ---------- server frames ----------

  async onFrame(f) {
    if (!validFrame(f)) {
      this.integrity('malformed', 'The server sent a malformed frame; it was ignored.', `malformed:${f && f.type}`);
      return undefined;
    }
    switch (f.type) {
      case 'joined': return this.onJoined(f);
      case 'member_joined': return this.roster.onSeat(f.memberId, f.profile, true);
      case 'member_left': return this.roster.onSeatLeft(f.memberId, f.reason);
      case 'msg': return this.onMsg(f);
      case 'ack': return this.onAck(f);
      case 'tick':
        this.syncClock(f.serverTime);
        this.serverExp = f.expiresAt;
        return this.emitTime();
      case 'pong':
        this.syncClock(f.serverTime);
        return this.emitTime();
      case 'extended':
        this.serverExp = f.expiresAt;
        return this.emitTime();
      case 'locked':
        this.locked = f.locked;
        this.emit('locked', { locked: this.locked });
        return undefined;
      case 'burned':
        return this.burn('server');
      case 'admin_ok':
        return this.onAdminOk(f.op);
      case 'error':
        this.lastError = f.code;
        if (f.code === 'wrong_pin' || f.code === 'pin_lockout') this.pin = null;
        if (ADMIN_ERRORS.has(f.code)) this.adminPending.shift();
        // Only the code: the server's own text is never shown (it could say anything, e.g. "re-enter your link").
        return this.emit('error', { code: f.code });
      default:
        return undefined;
    }
  }

  async onJoined(f) {
    if (!this.awaitingJoined) {
      // Only the answer to our own join can tell us who is in the room; a second `joined` is a server trick.
      this.integrity('unsolicited', 'The server sent a member list nobody asked for; it was ignored.');
      return;
    }
    this.awaitingJoined = false;
    const resumed = this.memberId !== null && f.memberId === this.memberId;
    if (this.memberId !== null && !resumed) {
      // Our seat was gone (grace over): we are a new member now, with the new keys our join offered.
      const missed = Number.isSafeInteger(f.seq) ? Math.max(0, f.seq - this.lastSeq) : 0;
      this.emit('away', { missed });
      await this.newIdentity();
    }
    this.candidate = null;
    if (resumed && Number.isSafeInteger(f.seq) && f.seq > this.lastSeq) this.watchReplay(this.lastSeq, f.seq);
    this.memberId = f.memberId;
    this.resumeToken = f.resumeToken;
    this.serverExp = f.expiresAt;
    this.locked = f.locked;
    this.syncClock(f.serverTime);
    if (!resumed) {
      this.lastSeq = Number.isSafeInteger(f.seq) ? f.seq : 0;
      this.seenSeqs.clear();
      this.seqFloor = this.lastSeq;
      this.joinedAt = this.now();
    }
    this.attempt = 0;
    this.lastError = null;
    this.setState('joined');
    await this.roster.onMemberList(f.members, resumed);
    if (!resumed) await this.recoverCharter();
    this.emit('locked', { locked: this.locked });
    this.emitTime();
    // Every (re)join is a new epoch: bundles lost with the old socket do not matter, and whoever left meanwhile
    // is out of it before anything else goes out. A newcomer first waits (briefly) for the others' bundles: the
    // profiles the server hands out name the ECDH key each member joined with, which it may have turned over
    // and deleted since, and a bundle sealed to a deleted key is lost.
    const others = this.roster.present().filter((m) => !m.self).map((m) => m.fp);
    if (!resumed && others.length) {
      this.introWait = new Set(others);
      this.later(() => this.enqueue(() => this.finishIntro()), INTRO_WAIT_MS);
      return;
    }
    await this.rekey();
    await this.flushOutbox();
  }

  /** Our first epoch after a fresh join, once every member's current ECDH key is known (or the wait is over). */
  async finishIntro() {
    if (!this.introWait) return;
    this.introWait = null;
    await this.rekey();
    await this.flushOutbox();
  }

  /**
   * The creator came back with the creator link (after a reload) into a room where nobody holds the charter: the
   * first secret commits to the admin key with a nonce the seed derives, so the first charter can be signed again
   * with the expiry the server reports. Members who do hold a charter forward theirs (a newer one wins).
   */
  async recoverCharter() {
    if (!this.adminKey || this.charter || this.roster.present().length > 1) return;
    const nonce = await C.firstNonce(this.adminSeed);
    if (!(await C.commitsTo(this.link.secret, this.adminKey.pub, nonce))) return;
    this.adminPub = this.adminKey.pub;
    await this.signFirstCharter(this.serverExp, this.locked, nonce);
  }

  /** Charter 1 for the current (first) secret, with the admin seed wrapped under the PIN when we have it. */
  async signFirstCharter(exp, locked, nonce) {
    this.charter = await C.signCharter(this.adminKey, {
      r: this.roomId, n: 1, exp, lk: locked, kk: [], sid: this.sid, no: nonce,
      aw: this.pin ? await C.wrapAdminSeed(this.adminSeed, this.pin, this.roomId, this.link.secret, this.sid) : undefined,
    });
  }

  /**
   * After a resume the room replays what we missed from its buffer; if the gap was longer than the buffer, some
   * seqs never come. Count what arrives (or is acknowledged) in the gap, then say how much is missing.
   */
  watchReplay(from, to) {
    const seen = new Set();
    this.replayWatch = { from, to, seen };
    this.later(() => {
      if (this.replayWatch && this.replayWatch.seen === seen) {
        this.replayWatch = null;
        const missed = to - from - seen.size;
        if (missed > 0) this.emit('away', { missed });
      }
    }, this.reorderMs + 500);
  }

  noteSeq(seq) {
    const w = this.replayWatch;
    if (w && seq > w.from && seq <= w.to) w.seen.add(seq);
  }

  /** Keys and a profile for the identity we become if a resume finds our seat gone. */
  async prepareCandidate() {
    const identity = await C.generateIdentity();
    const k = await C.newDhKey();
    const dhKeys = [{ index: 0, pair: k.pair, pub: k.pub, at: this.now() }];
    const profileObj = await C.makeProfile(this.roomId, identity, this.name, dhKeys[0]);
    const profile = await C.sealProfile(this.secrets.get(this.sid).profileKey, this.roomId, profileObj);
    this.candidate = { identity, dhKeys, profileObj, profile, sid: this.sid };
  }

  async newIdentity() {
    this.roster.forgetSelf();
    if (!this.candidate || this.candidate.sid !== this.sid) await this.prepareCandidate();
    Object.assign(this, {
      identity: this.candidate.identity, dhKeys: this.candidate.dhKeys, profileObj: this.candidate.profileObj,
      profile: this.candidate.profile,
    });
    this.myI = 0;
    this.myH = C.TRANSCRIPT_START;
  }

  // ---------- epochs ----------

  scheduleRekey(ms = this.rekeyDebounceMs) {
    this.rekeyWanted = true;
    if (this.rekeyTimer) return;
    this.rekeyTimer = this.later(() => {
      this.rekeyTimer = null;
      this.enqueue(() => (this.rekeyWanted ? this.rekey() : undefined));
    }, ms);
  }

  rekeyDue() {
    return this.rekeyWanted || !this.chain || this.chain.n >= REKEY_EVERY_MSGS
      || this.chain.sid !== this.sid || this.now() - this.chain.at >= REKEY_EVERY_MS;
  }

  /**
   * A new epoch: a fresh chain and a fresh ECDH key of ours, sent in one bundle to exactly the members present
   * now. Whoever left or was kicked holds nothing of it; a thief of our earlier state holds nothing of it either.
   */
  async rekey() {
    if (this.introWait) return; // finishIntro makes our first epoch, to keys we know are current
    this.rekeyWanted = false;
    if (this.chain) this.chain.ck.fill(0);
    this.chain = C.newChain(++this.epoch, this.sid);
    this.chain.at = this.now();
    this.later(() => this.enqueue(() => (this.now() - this.chain.at >= REKEY_EVERY_MS ? this.rekey() : undefined)), REKEY_EVERY_MS);
    if (this.epoch > 1) await this.rotateDh();
    if (this.state !== 'joined' || !this.memberId) return;
    const recipients = this.roster.present().filter((m) => !m.self).map((m) => {
      // Sealed under a secret the recipient holds: after a rotation it may not have heard of the new one yet.
      const sid = this.secrets.has(m.sid) ? m.sid : this.sid;
      return { fp: m.fp, dh: m.dh, sid, roomKey: this.secrets.get(sid).roomKey };
    });
    const dh = this.dhKeys[this.dhKeys.length - 1];
    const current = this.secrets.get(this.sid);
    const body = {
      prof: this.profileObj,
      dh: { i: dh.index, pub: dh.pub },
      ro: this.roster.present().map((m) => m.fp).sort(),
      ch: this.charter,
      sec: { sid: current.sid, s: current.secret },
      i: this.myI,
      h: this.myH,
    };
    const env = await C.sealBundle({
      roomId: this.roomId, fp: this.identity.fp, signKey: this.identity.sig.privateKey, chain: this.chain, recipients, body,
    });
    if (recipients.length) this.sendFrame({ type: 'msg', id: this.nextId('k'), body: C.encodeEnvelope(env) });
  }

  nextId(prefix) {
    return `${prefix}${(++this.msgCounter).toString(36)}${C.b64u(C.randomBytes(6))}`;
  }

  // ---------- incoming messages ----------

  async onMsg(f) {
    // A seq seen before is a transport duplicate (an honest replay after resume): dropped quietly. A lower seq
    // not seen before is a frame the server held back: it goes on, and the sender's own order sorts it out.
    if (this.seenSeqs.has(f.seq) || f.seq <= this.seqFloor) return;
    this.seenSeqs.add(f.seq);
    if (this.seenSeqs.size > SEEN_SEQS) {
      const oldest = this.seenSeqs.values().next().value;
      this.seenSeqs.delete(oldest);
      this.seqFloor = Math.max(this.seqFloor, oldest);
    }
    this.lastSeq = Math.max(this.lastSeq, f.seq);
    this.noteSeq(f.seq);
    let env;
    try {
      env = C.decodeEnvelope(f.body);
    } catch (e) {
      this.reject(null, 'bad_format');
      return;
    }
    if (env.k === 'K') {
      await this.onBundle(f, env);
      return;
    }
    if (env.k === 'm') {
      await this.openMessage(f, env, false);
      return;
    }
    this.reject(null, 'bad_format');
  }

  async onBundle(f, env) {
    let opened;
    try {
      opened = await C.openBundle({
        roomId: this.roomId, env, myFp: this.identity.fp, dhOf: (i) => this.dhOf(i), roomKeyOf: (sid) => this.roomKeyOf(sid),
      });
    } catch (e) {
      this.reject(this.roster.byFp(env.s), e.reason || 'bad_key');
      return;
    }
    if (!opened) return; // an epoch we are not part of: sealed before the sender saw us, or we are out
    const sender = await this.roster.introduce(f.from, env, opened.body);
    if (!sender) {
      opened.chain.ck.fill(0);
      return;
    }
    const { body } = opened;
    // The body names the secret the sender's chain is salted with (the room's current one, as it knows it).
    const sec = body.sec && typeof body.sec === 'object' ? await this.learnSecret(body.sec.s, false) : null;
    if (sec) sender.sid = sec.sid;
    if (body.ch) await this.applyCharter(body.ch, sender);
    if (this.isOver()) return;
    if (!this.secrets.has(opened.chain.sid)) {
      this.reject(sender, 'no_key');
      return;
    }
    this.chains.install(sender.fp, opened.chain);
    opened.chain.ck.fill(0);
    this.roster.onEpoch(sender, env.e, body);
    if (this.introWait && this.introWait.delete(sender.fp) && !this.introWait.size) await this.finishIntro();
    const held = this.held.get(sender.fp) || [];
    this.held.delete(sender.fp);
    for (const h of held) await this.openMessage(h.f, h.env, true);
  }

  async openMessage(f, env, retry) {
    const sender = typeof env.s === 'string' ? this.roster.byFp(env.s) : null;
    if (!sender) {
      this.hold(f, env, retry);
      return;
    }
    if (!this.roster.checkRoute(sender, f.from)) return;
    if (sender.status !== 'present') {
      this.integrity('departed', `A message from ${sender.name}, who is no longer in the room, was sent again by the server; it was discarded.`);
      return;
    }
    // Sealed before the sender saw us join: not meant for us, and no gap in what is (its bundle told us where
    // its transcript stood when we came in).
    if (Number.isSafeInteger(env.e) && sender.firstEpoch !== undefined && env.e < sender.firstEpoch) return;
    let content;
    try {
      content = await this.chains.open({
        roomId: this.roomId, verifyKey: sender.sigKey, env, roomKeyOf: (sid) => this.roomKeyOf(sid),
      });
    } catch (e) {
      if (e.reason === 'no_key' && !retry) {
        this.hold(f, env, retry);
        return;
      }
      this.reject(sender, e.reason || 'bad_message');
      return;
    }
    await this.roster.sequence(sender, content, f);
  }

  /** The key bundle may still be on its way (a member who just joined); try again when it arrives. */
  hold(f, env, retry) {
    const key = typeof env.s === 'string' ? env.s : `?${f.from}`;
    if (retry) {
      this.reject(this.roster.byFp(key), 'no_key');
      return;
    }
    const list = this.held.get(key) || [];
    if (list.length < HELD_PER_SENDER) list.push({ f, env });
    this.held.set(key, list);
    if (list.length === 1) {
      // If the key never comes, say so instead of silently dropping what the sender wrote.
      this.later(() => this.enqueue(() => this.expireHeld(key, list)), this.heldMs);
    }
  }

  expireHeld(key, list) {
    if (this.held.get(key) !== list) return;
    this.held.delete(key);
    const sender = this.roster.byFp(key);
    for (let i = 0; i < list.length; i++) this.reject(sender, sender ? 'no_key' : 'unverified_sender');
  }

  /** A message that did not verify: never shown as text, always shown as a warning. */
  reject(sender, reason) {
    const who = sender ? sender.name : 'an unknown sender';
    const what = {
      replay: 'was a replay of an earlier message',
      bad_signature: 'has a signature that does not verify',
      bad_ciphertext: 'could not be decrypted',
      out_of_window: 'has a counter far out of order',
      no_key: 'arrived without a key',
      unverified_sender: 'came from someone who is not a verified member',
      bad_format: 'was malformed',
    }[reason] || 'did not verify';
    this.emit('rejected', { name: sender ? sender.name : null, reason });
    this.integrity(reason, `A message from ${who} ${what}; it was discarded.`);
  }

  /** Called by the roster once a message is in its sender's order. */
  /** Called by the roster once a message is in its sender's order; `i` is its number in that order. */
  async display(sender, content, f, i) {
    if (content.t === 'ctl') {
      if (content.sec) await this.learnSecret(content.sec, false);
      await this.applyCharter(content.ch, sender);
      return;
    }
    if (content.t === 'react') {
      if (typeof content.k !== 'string' || content.k.length > 64 || !REACTIONS.includes(content.e) || typeof content.on !== 'boolean') {
        this.reject(sender, 'bad_format');
        return;
      }
      this.emit('reaction', { key: content.k, emoji: content.e, on: content.on, fp: sender.fp, name: sender.name });
      return;
    }
    if (content.t !== 'text' || typeof content.text !== 'string' || content.text.length > C.MAX_TEXT_CHARS
        || (content.re !== undefined && !validQuote(content.re))) {
      this.reject(sender, 'bad_format');
      return;
    }
    this.emit('message', {
      id: `${sender.fp}:${f.id}`, key: `${sender.fp}:${i}`, from: f.from, fp: sender.fp, name: sender.name,
      badge: sender.badge, text: content.text, at: Number.isFinite(content.at) ? content.at : null, self: false,
      re: content.re || null,
    });
  }

  onAck(f) {
    this.noteSeq(f.seq);
    const i = this.outbox.findIndex((o) => o.id === f.id);
    if (i >= 0) {
      this.outbox.splice(i, 1);
      this.emit('ack', { id: f.id });
    }
  }

  // ---------- the charter ----------

  /** Applies a newer creator-signed room state, from whoever forwarded it. */
  async applyCharter(c, via) {
    if (!c) return;
    let fromCreator = false;
    try {
      await C.checkCharter(this.roomId, c);
      if (this.adminPub) {
        fromCreator = c.a === this.adminPub;
      } else {
        const s = this.secrets.get(c.sid);
        if (!s) return; // about a secret we do not hold yet: nothing to check it against, and nothing lost
        fromCreator = await C.commitsTo(s.secret, c.a, c.no);
        if (fromCreator) this.adminPub = c.a;
      }
    } catch (e) {
      fromCreator = false;
    }
    if (!fromCreator) {
      this.integrity('charter', `${via ? via.name : 'Someone'} forwarded a room change the creator did not sign; it was ignored.`);
      return;
    }
    if (this.adminKey && this.adminKey.pub !== this.adminPub) {
      // A creator link whose seed is not this room's: we cannot sign for it.
      this.adminKey = null;
    }
    if (this.charter && c.n <= this.charter.n) return;
    const before = this.charter;
    this.charter = c;
    if (!this.adminKey && this.pin && c.aw) this.enqueue(() => this.unlockAdmin());
    if (c.burn) {
      this.burn('creator');
      return;
    }
    if (before && before.exp !== c.exp) this.emit('notice', { level: 'info', text: 'The creator extended the room.' });
    this.emitTime();
    const kicked = c.kk.filter((fp) => !(before && before.kk.includes(fp)));
    for (const fp of kicked) {
      if (this.identity && fp === this.identity.fp) {
        this.terminate('kicked');
        return;
      }
      await this.roster.kickedByCharter(fp);
    }
    if (c.sid !== this.sid) {
      if (this.secrets.has(c.sid)) await this.switchSecret(c.sid);
      else this.wantedSid = c.sid;
    }
  }

  // ---------- sending ----------

  async seal(item) {
    if (this.introWait) await this.finishIntro();
    if (this.rekeyDue()) await this.rekey();
    const env = await C.sealMessage({
      chain: this.chain, roomKey: this.secrets.get(this.chain.sid).roomKey, signKey: this.identity.sig.privateKey,
      roomId: this.roomId, fp: this.identity.fp, content: item.content,
    });
    item.body = C.encodeEnvelope(env);
    item.epoch = this.chain.epoch;
    item.fp = this.identity.fp;
  }

  /** Puts content into our transcript: the next sequence number and the hash of everything before it. */
  async transcribe(content) {
    const i = this.myI + 1;
    const prev = this.myH;
    this.myH = await C.chainHash(prev, i, content);
    this.myI = i;
    return { ...content, i, p: prev };
  }

  async broadcast(content) {
    const item = { id: this.nextId('m'), content: await this.transcribe(content) };
    await this.seal(item);
    this.outbox.push(item);
    this.sendFrame({ type: 'msg', id: item.id, body: item.body });
    return item;
  }

  /** Resends what was not acknowledged, re-sealed under the current epoch and identity if those changed. */
  async flushOutbox() {
    for (const item of this.outbox) {
      if (item.epoch !== this.chain.epoch || item.fp !== this.identity.fp || this.rekeyDue()) await this.seal(item);
      this.sendFrame({ type: 'msg', id: item.id, body: item.body });
    }
  }

  /**
   * Encrypts and sends a message; it stays in the outbox (and is resent with the same id) until acknowledged.
   * @param {{key: string, name: string, text: string}} [replyTo] the message this one answers (quoted inside the
   *   ciphertext: the server sees a reply as just another message)
   */
  send(text, replyTo = null) {
    if (typeof text !== 'string' || !text.trim()) return Promise.resolve(null);
    if (text.length > C.MAX_TEXT_CHARS) return Promise.reject(new Error('message too long'));
    return this.enqueue(async () => {
      if (!this.memberId) throw new Error('not joined yet');
      const at = this.serverNow();
      const content = { t: 'text', text, at };
      if (replyTo) content.re = { k: replyTo.key, n: String(replyTo.name).slice(0, 64), x: [...String(replyTo.text)].slice(0, QUOTE_CHARS).join('') };
      const item = await this.broadcast(content);
      this.emit('message', {
        id: item.id, key: `${this.identity.fp}:${item.content.i}`, from: this.memberId, fp: this.identity.fp,
        name: this.name, badge: C.badge(this.identity.fp), text, at, self: true, pending: true, re: content.re || null,
      });
      return item.id;
    });
  }

  /** Toggles one of the fixed reactions on a message (by its key); encrypted like any message. */
  react(key, emoji, on) {
    if (!REACTIONS.includes(emoji) || typeof key !== 'string') return Promise.resolve(null);
    return this.enqueue(async () => {
      if (!this.memberId) throw new Error('not joined yet');
      await this.broadcast({ t: 'react', k: key, e: emoji, on: !!on });
      this.emit('reaction', { key, emoji, on: !!on, fp: this.identity.fp, name: this.name, self: true });
      return true;
    });
  }

  /** The PIN is kept in memory only, for this tab's lifetime; with it a member can unwrap the admin seed. */
  setPin(pin) {
    this.pin = pin ? String(pin).trim().toUpperCase() : null;
    if (this.pin && !this.adminKey && this.charter && this.charter.aw) this.enqueue(() => this.unlockAdmin());
  }

  /** Unwraps the admin seed from the charter with the PIN; a wrong PIN simply leaves us without it. */
  async unlockAdmin() {
    const aw = this.charter && this.charter.aw;
    const s = aw && this.secrets.get(aw.sid);
    if (this.adminKey || !this.pin || !s) return;
    try {
      const seed = await C.unwrapAdminSeed(aw, this.pin, this.roomId, s.secret);
      const key = await C.adminKeyFromSeed(seed);
      if (key.pub !== this.adminPub) return;
      this.adminKey = key;
      this.adminSeed = seed;
      this.emit('notice', { level: 'info', text: 'Your PIN unlocked the creator key: your room changes are signed.' });
    } catch (e) {
      // a wrong PIN: the server will refuse it too
    }
  }

  isCreator() {
    return !!this.adminKey;
  }

  /**
   * Creator operations: the server checks the PIN; the members check the admin signature. The signed charter is
   * prepared now and sent to the members when the server confirms (a wrong PIN changes nothing anywhere).
   */
  admin(op, extra = {}) {
    if (!this.pin) {
      this.emit('error', { code: 'no_pin' });
      return Promise.resolve(false);
    }
    const frame = { type: 'admin', pin: this.pin, op, ...extra };
    return this.enqueue(async () => {
      if (!this.adminKey) await this.unlockAdmin();
      if (!this.adminKey || !this.charter || this.adminKey.pub !== this.adminPub) return this.sendFrame(frame);
      const next = { ...this.charter, n: this.charter.n + 1 };
      delete next.s;
      delete next.a;
      const pending = { op, secret: null };
      if (op === 'kick') {
        const target = this.roster.bySeat(extra.target);
        if (target) next.kk = [...next.kk, target.fp];
        // A kick rotates the room secret, so the old link admits nobody; the new one commits to the same admin key.
        const made = await C.newRoomSecret(this.adminKey.pub);
        const s = await C.deriveRoomSecrets(made.secret, this.roomId);
        pending.secret = made.secret;
        next.sid = s.sid;
        next.no = made.nonce;
        if (this.pin) next.aw = await C.wrapAdminSeed(this.adminSeed, this.pin, this.roomId, made.secret, s.sid);
        frame.joinHash = s.joinHash;
      } else if (op === 'lock' || op === 'unlock') {
        next.lk = op === 'lock';
      } else if (op === 'extend') {
        next.exp = this.charter.exp + extra.seconds * 1000;
      } else if (op === 'burn') {
        next.burn = true;
      }
      pending.charter = await C.signCharter(this.adminKey, next);
      if (op === 'burn') {
        // Burn goes to the members first: the server's own burn closes every socket right after.
        await this.broadcast({ t: 'ctl', ch: pending.charter });
      }
      this.adminPending.push(pending);
      return this.sendFrame(frame);
    });
  }

  async onAdminOk(op) {
    const i = this.adminPending.findIndex((p) => p.op === op);
    const pending = i >= 0 ? this.adminPending.splice(i, 1)[0] : null;
    this.emit('admin_ok', { op });
    if (!pending) return;
    if (pending.secret) await this.learnSecret(pending.secret, false);
    await this.applyCharter(pending.charter, null);
    if (this.isOver()) return;
    if (op !== 'burn') await this.broadcast({ t: 'ctl', ch: pending.charter, sec: pending.secret || undefined });
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
    this.resumeToken = null;
  }
}
