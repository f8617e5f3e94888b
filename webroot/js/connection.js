// The session's socket: connecting and reconnecting with jittered backoff, closes (terminal or not), the schema
// check and dispatch of every server frame, and (re)joining: a resume keeps the seat, a lost seat becomes a new
// member with a fresh identity prepared beforehand. Methods of Session (session.js), installed on its prototype.

import { validFrame } from './frames.js';
import { generateIdentity, makeProfile, newDhKey, sealProfile } from './identity.js';
import { TRANSCRIPT_START } from './chains.js';

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

export const BACKOFF_MS = [300, 1000, 2000, 4000, 8000];
const ADMIN_ERRORS = new Set(['wrong_pin', 'pin_lockout', 'room_pin_lockout', 'extend_limit', 'unknown_member', 'bad_admin_op', 'no_pin']);

export const connection = {
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
  },

  scheduleReconnect() {
    if (this.isOver() || this.reconnectTimer) return;
    this.setState('reconnecting');
    const base = this.backoff[Math.min(this.attempt, this.backoff.length - 1)];
    this.attempt++;
    // Jitter so a node restart does not bring every member back in the same millisecond.
    if (this.wiped) return;
    this.reconnectTimer = this.setTimeout(() => this.connect(), Math.round(base * (0.75 + 0.5 * this.random())));
  },

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
  },

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
      case 'chunk': return this.transfers.onChunk(f);
      case 'chunk_ack': return this.transfers.onAck(f.id);
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
        if (f.code === 'rate_limited') this.transfers.onRateLimited();
        // Only the code: the server's own text is never shown (it could say anything, e.g. "re-enter your link").
        return this.emit('error', { code: f.code });
      default:
        return undefined;
    }
  },

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
    this.transfers.setLimit(f.maxAttachmentBytes);
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
      this.awaitIntro(others);
      return;
    }
    await this.rekey();
    await this.flushOutbox();
  },

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
  },

  noteSeq(seq) {
    const w = this.replayWatch;
    if (w && seq > w.from && seq <= w.to) w.seen.add(seq);
  },

  /** Keys and a profile for the identity we become if a resume finds our seat gone. */
  async prepareCandidate() {
    const identity = await generateIdentity();
    const k = await newDhKey();
    const dhKeys = [{ index: 0, pair: k.pair, pub: k.pub, at: this.now() }];
    const profileObj = await makeProfile(this.roomId, identity, this.name, dhKeys[0]);
    const profile = await sealProfile(this.secrets.get(this.sid).profileKey, this.roomId, profileObj);
    this.candidate = { identity, dhKeys, profileObj, profile, sid: this.sid };
  },

  async newIdentity() {
    this.roster.forgetSelf();
    if (!this.candidate || this.candidate.sid !== this.sid) await this.prepareCandidate();
    Object.assign(this, {
      identity: this.candidate.identity, dhKeys: this.candidate.dhKeys, profileObj: this.candidate.profileObj,
      profile: this.candidate.profile,
    });
    this.myI = 0;
    this.myH = TRANSCRIPT_START;
  },

};
