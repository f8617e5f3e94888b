// The room session: one member's protocol state machine (docs/protocol.md) on top of crypto.js.
// No DOM here: the UI listens to events. The socket class, clock and timers are injected so the whole
// machine runs in Node tests against a fake relay.

import * as C from './crypto.js';

/** Close codes after which reconnecting cannot help; each maps to the screen the UI shows. */
export const TERMINAL_CLOSES = {
  4000: 'burned',
  4001: 'kicked',
  4003: 'refused',
  4004: 'not_found',
  4008: 'protocol',
  4029: 'lockout',
};

const BACKOFF_MS = [300, 1000, 2000, 4000, 8000];
/**
 * Outgoing pacing, below the relay's default per-connection limit (20 frames/s, burst 40): a join into a big room
 * or a rekey sends one key bundle per member at once, and a dropped bundle would leave someone without our key.
 */
const SEND_BURST = 30;
const SEND_PER_SECOND = 15;
const HELD_PER_SENDER = 50;

export class Session {
  /**
   * @param {object} o
   * @param {string} o.roomId
   * @param {string} o.secret link secret (the part after '#')
   * @param {string} o.name display name; it only ever leaves this object inside the encrypted profile
   * @param {string} o.url WebSocket URL
   * @param {Function} o.WebSocketImpl constructor with the browser WebSocket interface
   * @param {Function} [o.onEvent] receives {type, ...} events for the UI
   */
  constructor(o) {
    this.roomId = o.roomId;
    this.secret = o.secret;
    this.name = o.name;
    this.url = o.url;
    this.WebSocketImpl = o.WebSocketImpl;
    this.onEvent = o.onEvent || (() => {});
    this.now = o.now || (() => Date.now());
    this.setTimeout = o.setTimeout || ((f, ms) => setTimeout(f, ms));
    this.clearTimeout = o.clearTimeout || ((t) => clearTimeout(t));
    this.random = o.random || Math.random;
    this.backoff = o.backoff || BACKOFF_MS;
    this.heldMs = o.heldMs || 5000;

    this.state = 'idle';
    this.ws = null;
    this.memberId = null;
    this.resumeToken = null;
    this.lastSeq = 0;
    this.expiresAt = 0;
    this.offsetMs = 0;
    this.locked = false;
    this.pin = null;
    this.attempt = 0;
    this.reconnectTimer = null;
    /** memberId -> {memberId, verified, self, name?, ecdhPub?, ecdsaPub?, ecdhKey?, ecdsaKey?, pairKey?, reason?} */
    this.members = new Map();
    this.chains = new C.ReceiveChains();
    this.chain = null;
    this.epoch = 0;
    /** Sent but not yet acknowledged: resent with the same id after a reconnect so the relay can de-duplicate. */
    this.outbox = [];
    this.held = new Map();
    this.queue = Promise.resolve();
    this.lastError = null;
    this.safety = null;
    this.msgCounter = 0;
    this.outQueue = [];
    this.tokens = SEND_BURST;
    this.lastRefill = 0;
    this.drainTimer = null;
  }

  emit(type, data = {}) {
    try {
      this.onEvent({ type, ...data });
    } catch (e) {
      // A failing listener must not break the protocol machine.
    }
  }

  /** Everything that touches keys or members runs one step at a time, in arrival order. */
  enqueue(fn) {
    const run = this.queue.then(() => (this.isOver() ? undefined : fn()));
    this.queue = run.catch((e) => this.emit('notice', { level: 'error', text: `Internal error: ${e && e.message}` }));
    return run;
  }

  isOver() {
    return this.state === 'burned' || this.state === 'closed';
  }

  serverNow() {
    return this.now() + this.offsetMs;
  }

  remainingMs() {
    return Math.max(0, this.expiresAt - this.serverNow());
  }

  async start() {
    this.profileKey = await C.deriveProfileKey(this.secret, this.roomId);
    this.identity = await C.generateIdentity();
    this.profile = await C.sealProfile(this.profileKey, this.roomId, this.identity, this.name);
    this.chain = C.newChain(++this.epoch);
    this.connect();
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
      const join = { type: 'join', profile: this.profile };
      if (this.resumeToken) {
        join.resume = this.resumeToken;
        join.lastSeq = this.lastSeq;
      }
      ws.send(JSON.stringify(join));
    };
    ws.onmessage = (e) => {
      if (ws !== this.ws) return;
      let f;
      try {
        f = JSON.parse(e.data);
      } catch (err) {
        return;
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
    if (this.outQueue.length && this.ws && !this.drainTimer) {
      const wait = Math.ceil(((1 - this.tokens) * 1000) / SEND_PER_SECOND);
      this.drainTimer = this.setTimeout(() => {
        this.drainTimer = null;
        this.drain();
      }, Math.max(wait, 1));
    }
  }

  async onClose(code, reason) {
    this.ws = null;
    // Frames not yet written are dropped: messages stay in the outbox and key bundles go out again on resume.
    this.outQueue = [];
    if (this.isOver()) return;
    if (code === 4000) {
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
    this.scheduleReconnect();
  }

  async onFrame(f) {
    switch (f.type) {
      case 'joined': return this.onJoined(f);
      case 'member_joined': return this.onMemberJoined(f);
      case 'member_left': return this.onMemberLeft(f);
      case 'msg': return this.onMsg(f);
      case 'ack': return this.onAck(f);
      case 'tick':
        this.syncClock(f.serverTime);
        this.expiresAt = f.expiresAt;
        return this.emitTime();
      case 'pong':
        this.syncClock(f.serverTime);
        return this.emitTime();
      case 'extended':
        this.expiresAt = f.expiresAt;
        this.emit('notice', { level: 'info', text: 'The room lifetime was extended.' });
        return this.emitTime();
      case 'locked':
        this.locked = !!f.locked;
        this.emit('locked', { locked: this.locked });
        return undefined;
      case 'burned':
        return this.burn('server');
      case 'admin_ok':
        return this.emit('admin_ok', { op: f.op });
      case 'error':
        this.lastError = f.code;
        if (f.code === 'wrong_pin' || f.code === 'pin_lockout') this.pin = null;
        return this.emit('error', { code: f.code, message: f.message });
      default:
        return undefined;
    }
  }

  syncClock(serverTime) {
    if (Number.isFinite(serverTime)) this.offsetMs = serverTime - this.now();
  }

  emitTime() {
    this.emit('time', { expiresAt: this.expiresAt, offsetMs: this.offsetMs });
  }

  async onJoined(f) {
    const resumed = this.memberId !== null && f.memberId === this.memberId;
    const fresh = !resumed;
    if (fresh && this.memberId !== null) {
      // Our seat was gone (grace over): we are a new member now; start a new chain under the new id.
      this.chains.wipe();
      this.members.clear();
      this.chain.ck.fill(0);
      this.chain = C.newChain(++this.epoch);
    }
    this.memberId = f.memberId;
    this.resumeToken = f.resumeToken;
    this.expiresAt = f.expiresAt;
    this.locked = !!f.locked;
    this.syncClock(f.serverTime);
    if (fresh) this.lastSeq = Number.isSafeInteger(f.seq) ? f.seq : 0;
    this.attempt = 0;
    this.lastError = null;

    const present = new Set(f.members.map((m) => m.memberId));
    let someoneLeft = false;
    for (const id of [...this.members.keys()]) {
      if (!present.has(id)) {
        this.dropMember(id);
        someoneLeft = true;
      }
    }
    for (const m of f.members) {
      if (!this.members.has(m.memberId)) await this.addMember(m.memberId, m.profile);
    }
    this.setState('joined');
    this.emit('locked', { locked: this.locked });
    this.emitTime();
    if (someoneLeft) {
      await this.rekey();
    } else {
      // Everyone gets our current chain again (a bundle may have been lost with the old socket); a receiver
      // that already has this epoch ignores it.
      for (const m of this.members.values()) await this.sendChainTo(m);
    }
    await this.emitMembers();
    for (const item of this.outbox) {
      if (item.sealedAs !== this.memberId) await this.seal(item);
      this.sendFrame({ type: 'msg', id: item.id, body: item.body });
    }
  }

  async addMember(memberId, profile) {
    const self = memberId === this.memberId;
    let m;
    try {
      const p = await C.openProfile(this.profileKey, this.roomId, profile);
      m = { memberId, verified: true, self, ...p };
      // A profile copied from another member (same keys under a second id) is a server trick, not a person.
      for (const other of this.members.values()) {
        if (other.verified && (other.ecdhPub === p.ecdhPub || other.ecdsaPub === p.ecdsaPub)) {
          m = { memberId, verified: false, self, reason: 'duplicate_keys' };
        }
      }
      if (self && (p.ecdhPub !== this.identity.ecdhPub || p.ecdsaPub !== this.identity.ecdsaPub)) {
        m = { memberId, verified: false, self, reason: 'not_our_profile' };
      }
    } catch (e) {
      m = { memberId, verified: false, self, reason: e.reason || 'bad_profile' };
    }
    if (m.verified && !self) {
      m.pairKey = await C.pairwiseKey(this.identity.ecdh.privateKey, m.ecdhKey, this.roomId);
    }
    this.members.set(memberId, m);
    return m;
  }

  dropMember(id) {
    this.members.delete(id);
    this.chains.forget(id);
    this.held.delete(id);
  }

  async onMemberJoined(f) {
    if (this.members.has(f.memberId)) return;
    const m = await this.addMember(f.memberId, f.profile);
    await this.sendChainTo(m);
    await this.emitMembers();
    this.emit('notice', {
      level: m.verified ? 'info' : 'warn',
      text: m.verified ? `${m.name} joined.` : 'An unverified member joined. They get no keys and cannot read anything.',
    });
  }

  async onMemberLeft(f) {
    const m = this.members.get(f.memberId);
    if (!m) return;
    this.dropMember(f.memberId);
    const who = m.verified ? m.name : 'An unverified member';
    this.emit('notice', { level: 'info', text: f.reason === 'kicked' ? `${who} was removed.` : `${who} left.` });
    await this.rekey();
    await this.emitMembers();
  }

  /** A new chain for the members still here, so whoever left cannot read anything sent from now on. */
  async rekey() {
    this.chain.ck.fill(0);
    this.chain = C.newChain(++this.epoch);
    for (const m of this.members.values()) await this.sendChainTo(m);
  }

  async sendChainTo(m) {
    if (!m.verified || m.self || this.state !== 'joined') return;
    const env = await C.sealKeyBundle({
      pairKey: m.pairKey, signKey: this.identity.ecdsa.privateKey, roomId: this.roomId,
      from: this.memberId, to: m.memberId, chain: this.chain,
    });
    this.sendFrame({ type: 'msg', id: this.nextId('k'), to: m.memberId, body: C.encodeEnvelope(env) });
  }

  nextId(prefix) {
    return `${prefix}${(++this.msgCounter).toString(36)}${C.b64u(C.randomBytes(6))}`;
  }

  verifiedMembers() {
    return [...this.members.values()].filter((m) => m.verified);
  }

  async emitMembers() {
    this.safety = await C.safetyCode(this.roomId, this.verifiedMembers());
    const list = [...this.members.values()].map((m) => ({
      memberId: m.memberId, verified: m.verified, self: m.self, name: m.verified ? m.name : null,
    }));
    this.emit('members', { members: list, safety: this.safety });
  }

  async onMsg(f) {
    if (Number.isSafeInteger(f.seq)) {
      if (f.seq <= this.lastSeq) return; // a transport duplicate (replay after resume); already handled
      this.lastSeq = f.seq;
    }
    const sender = this.members.get(f.from);
    if (!sender || !sender.verified) {
      this.reject(f.from, sender, 'unverified_sender');
      return;
    }
    let env;
    try {
      env = C.decodeEnvelope(f.body);
    } catch (e) {
      this.reject(f.from, sender, e.reason);
      return;
    }
    if (env.k === 'k') {
      try {
        const chain = await C.openKeyBundle({
          pairKey: sender.pairKey, verifyKey: sender.ecdsaKey, roomId: this.roomId, from: f.from, to: this.memberId, env,
        });
        this.chains.install(f.from, chain);
        chain.ck.fill(0);
      } catch (e) {
        this.reject(f.from, sender, e.reason || 'bad_key');
        return;
      }
      const held = this.held.get(f.from) || [];
      this.held.delete(f.from);
      for (const h of held) await this.openMessage(h.f, sender, h.env, true);
      return;
    }
    if (env.k === 'm') {
      await this.openMessage(f, sender, env, false);
      return;
    }
    this.reject(f.from, sender, 'bad_format');
  }

  async openMessage(f, sender, env, retry) {
    let content;
    try {
      content = await this.chains.open({ roomId: this.roomId, senderId: f.from, verifyKey: sender.ecdsaKey, env });
    } catch (e) {
      if (e.reason === 'no_key' && !retry) {
        // The key bundle may still be on its way (a member who just joined); try again when it arrives.
        const list = this.held.get(f.from) || [];
        if (list.length < HELD_PER_SENDER) list.push({ f, env });
        this.held.set(f.from, list);
        if (list.length === 1) {
          // If the key never comes, say so instead of silently dropping what the sender wrote.
          this.setTimeout(() => this.enqueue(() => this.expireHeld(f.from, list)), this.heldMs);
        }
        return;
      }
      this.reject(f.from, sender, e.reason || 'bad_message');
      return;
    }
    if (!content || typeof content.text !== 'string') {
      this.reject(f.from, sender, 'bad_format');
      return;
    }
    this.emit('message', {
      id: `${f.from}:${f.id}`, from: f.from, name: sender.name, text: content.text, at: content.at, self: false,
    });
  }

  expireHeld(from, list) {
    if (this.held.get(from) !== list) return;
    this.held.delete(from);
    const sender = this.members.get(from);
    for (let i = 0; i < list.length; i++) this.reject(from, sender, 'no_key');
  }

  reject(from, sender, reason) {
    this.emit('rejected', { from, name: sender && sender.verified ? sender.name : null, reason });
  }

  onAck(f) {
    const i = this.outbox.findIndex((o) => o.id === f.id);
    if (i >= 0) {
      this.outbox.splice(i, 1);
      this.emit('ack', { id: f.id });
    }
  }

  async seal(item) {
    const env = await C.sealMessage({
      chain: this.chain, signKey: this.identity.ecdsa.privateKey, roomId: this.roomId,
      senderId: this.memberId, content: item.content,
    });
    item.body = C.encodeEnvelope(env);
    item.sealedAs = this.memberId;
  }

  /** Encrypts and sends a message; it stays in the outbox (and is resent with the same id) until acknowledged. */
  send(text) {
    if (typeof text !== 'string' || !text.trim()) return Promise.resolve(null);
    if (text.length > C.MAX_TEXT_CHARS) return Promise.reject(new Error('message too long'));
    return this.enqueue(async () => {
      if (!this.memberId) throw new Error('not joined yet');
      const item = { id: this.nextId('m'), content: { text, at: this.serverNow() } };
      await this.seal(item);
      this.outbox.push(item);
      this.emit('message', { id: item.id, from: this.memberId, name: this.name, text, at: item.content.at, self: true, pending: true });
      this.sendFrame({ type: 'msg', id: item.id, body: item.body });
      return item.id;
    });
  }

  setPin(pin) {
    this.pin = pin ? String(pin).trim().toUpperCase() : null;
  }

  /** Creator operations. The PIN is kept in memory only, for this tab's lifetime. */
  admin(op, extra = {}) {
    if (!this.pin) {
      this.emit('error', { code: 'no_pin', message: 'Enter the PIN first.' });
      return false;
    }
    return this.sendFrame({ type: 'admin', pin: this.pin, op, ...extra });
  }

  ping() {
    return this.sendFrame({ type: 'ping' });
  }

  /** The room is gone: forget every key, member and message, stop reconnecting. */
  burn(source) {
    if (this.isOver()) return;
    this.wipe();
    this.setState('burned');
    this.emit('burned', { source });
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
    if (this.reconnectTimer) this.clearTimeout(this.reconnectTimer);
    if (this.drainTimer) this.clearTimeout(this.drainTimer);
    this.reconnectTimer = null;
    this.drainTimer = null;
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
    this.profileKey = null;
    this.profile = null;
    this.secret = null;
    this.pin = null;
    this.name = null;
    this.members.clear();
    this.outbox = [];
    this.held.clear();
    this.resumeToken = null;
  }
}
