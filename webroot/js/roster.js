// Who is in the room, as this member can prove it, and what each of them said in which order.
//
// A member is an identity (fingerprint of a signing key, self-signed profile), never a server seat: the seat
// (memberId) is only where the server says it routes that identity's frames, and a frame from the wrong seat is
// refused. Identities that left are tombstoned for the rest of the room: the same keys never come back, and their
// sequence numbers and hash chains outlive them, so an old message replayed later is recognised as such.

import { importDhPublic } from './primitives.js';
import { badge, checkProfile, nameSkeleton, openProfile, safetyCode } from './identity.js';
import { verifyBundle } from './bundles.js';
import { transcript } from './transcript.js';

export class Roster {
  /** @param {import('./session.js').Session} session */
  constructor(session) {
    this.s = session;
    /** fp -> member record; kept after they leave (the tombstone) */
    this.byId = new Map();
    /** memberId -> fp of the identity the server routes through that seat */
    this.seats = new Map();
    /** memberId -> {sealed, since, reason} seats whose profile we could not (yet) open */
    this.pending = new Map();
    this.changedAt = 0;
    this.rosterCheck = null;
  }

  byFp(fp) {
    return this.byId.get(fp) || null;
  }

  bySeat(memberId) {
    const fp = this.seats.get(memberId);
    const m = fp && this.byId.get(fp);
    return m && m.status === 'present' ? m : null;
  }

  /** The identities present, ourselves included. */
  present() {
    return [...this.byId.values()].filter((m) => m.status === 'present');
  }

  changed() {
    this.changedAt = this.s.now();
    this.s.scheduleRekey();
  }

  // ---------- seats the server announces ----------

  async onMemberList(members, resumed) {
    const listed = new Set(members.map((m) => m.memberId));
    for (const [memberId] of [...this.seats]) {
      if (!listed.has(memberId) && memberId !== this.s.memberId) await this.onSeatLeft(memberId, 'left');
    }
    for (const memberId of [...this.pending.keys()]) if (!listed.has(memberId)) this.pending.delete(memberId);
    this.addSelf();
    for (const m of members) {
      if (m.memberId === this.s.memberId) {
        if (m.profile !== this.s.profile) {
          this.s.integrity('self', 'The server lists your seat with a profile that is not yours.', 'self-profile');
        }
        continue;
      }
      await this.onSeat(m.memberId, m.profile, resumed);
    }
    await this.emitMembers();
  }

  addSelf() {
    const id = this.s.identity;
    const me = this.byId.get(id.fp);
    if (me) {
      me.memberId = this.s.memberId;
      this.seats.set(this.s.memberId, id.fp);
      return;
    }
    const dh = this.s.dhKeys[this.s.dhKeys.length - 1];
    this.byId.set(id.fp, {
      fp: id.fp, name: this.s.name, sigPub: id.sigPub, sigKey: id.sig.publicKey, dh: { index: dh.index, pub: dh.pub },
      memberId: this.s.memberId, status: 'present', self: true, badge: badge(id.fp),
    });
    this.seats.set(this.s.memberId, id.fp);
    this.changed();
  }

  /** Our previous identity after our seat was lost: it left, like anyone else's would. */
  forgetSelf() {
    const id = this.s.identity;
    const me = id && this.byId.get(id.fp);
    if (me) me.status = 'left';
    if (me) this.seats.delete(me.memberId);
    for (const [memberId] of [...this.seats]) this.seats.delete(memberId);
    for (const m of this.byId.values()) {
      if (m.status === 'present') {
        m.status = 'away';
        this.s.chains.forget(m.fp);
      }
    }
    this.pending.clear();
  }

  async onSeat(memberId, sealed, announce) {
    if (this.seats.has(memberId) || memberId === this.s.memberId) return;
    let profile = null;
    let reason = 'bad_profile';
    for (const sid of [this.s.sid, ...this.s.secrets.keys()]) {
      try {
        profile = await openProfile(this.s.secrets.get(sid).profileKey, this.s.roomId, sealed);
        profile.sid = sid; // they hold this secret: our bundles to them are salted with it
        break;
      } catch (e) {
        reason = e.reason || reason;
      }
    }
    if (!profile) {
      // Maybe a member from before a link rotation, whose key bundle will introduce them; if none comes, the
      // seat is shown as unverified: it gets no keys and nothing it sends is shown.
      this.pending.set(memberId, { sealed, since: this.s.now(), reason });
      this.s.later(() => this.s.enqueue(() => this.unverifiedAfterWait(memberId)), this.s.heldMs);
      await this.emitMembers();
      return;
    }
    await this.addIdentity(memberId, profile, announce);
  }

  async unverifiedAfterWait(memberId) {
    const p = this.pending.get(memberId);
    if (!p || p.shown) return;
    p.shown = true;
    await this.emitMembers();
    this.s.integrity('unverified', 'Someone without the room key took a seat (an unverified member). They get no keys and cannot read anything.');
  }

  async addIdentity(memberId, p, announce) {
    const me = this.s.identity;
    const known = this.byId.get(p.fp);
    let refused = null;
    if (p.fp === me.fp) {
      refused = 'The server showed a copy of your own keys under another seat; it is not a member.';
    } else if (known && known.status === 'present' && known.memberId !== memberId) {
      refused = `A second seat carries ${known.name}'s keys; it is not a member.`;
    } else if (known && (known.status === 'left' || known.status === 'kicked')) {
      refused = `${known.name} left this room earlier; the server tried to bring the same keys back. They were not let in.`;
    }
    if (refused) {
      this.s.integrity('returned', refused);
      this.pending.set(memberId, { sealed: null, since: this.s.now(), reason: 'refused', shown: true });
      await this.emitMembers();
      return null;
    }
    this.pending.delete(memberId);
    const m = known || { fp: p.fp };
    Object.assign(m, {
      name: p.name, sigPub: p.sigPub, sigKey: p.sigKey, dh: p.dh, memberId, status: 'present', self: false,
      badge: badge(p.fp), sid: p.sid || m.sid || this.s.sid,
    });
    this.byId.set(p.fp, m);
    this.seats.set(memberId, p.fp);
    this.changed();
    if (announce) this.s.emit('notice', { level: 'info', text: `${m.name} joined.` });
    await this.emitMembers();
    return m;
  }

  async onSeatLeft(memberId, reason) {
    if (this.pending.delete(memberId)) {
      await this.emitMembers();
      return;
    }
    const m = this.bySeat(memberId);
    if (!m || m.self) return;
    this.remove(m, reason === 'kicked' ? 'kicked' : 'left');
    this.s.emit('notice', { level: 'info', text: reason === 'kicked' ? `${m.name} was removed.` : `${m.name} left.` });
    await this.emitMembers();
  }

  remove(m, status) {
    m.status = status;
    this.seats.delete(m.memberId);
    this.s.chains.forget(m.fp);
    this.s.held.delete(m.fp);
    if (m.seq) {
      if (m.seq.timer) this.s.clearTimeout(m.seq.timer);
      m.seq.timer = null;
      m.seq.pending.clear();
    }
    this.changed();
  }

  /** The creator's signed charter removes someone: if the server never said so, that is a hidden kick. */
  async kickedByCharter(fp) {
    const m = this.byId.get(fp);
    if (!m) {
      this.byId.set(fp, { fp, name: 'a removed member', status: 'kicked' });
      return;
    }
    if (m.status === 'present') {
      this.remove(m, 'kicked');
      this.s.integrity('hidden_kick', `The creator removed ${m.name}, but the server did not tell you. ${m.name} gets none of your keys from now on.`);
      await this.emitMembers();
    } else {
      m.status = 'kicked';
    }
  }

  // ---------- identities introduced by their key bundles ----------

  /**
   * Finds (or learns, from the signed profile inside the bundle) who sent a bundle, checks the bundle's signature
   * and the seat it came through. Returns the member, or null when it must be ignored.
   */
  async introduce(from, env, body) {
    let m = this.byId.get(env.s);
    let profile = null;
    if (!m || m.status === 'away') {
      try {
        profile = await checkProfile(this.s.roomId, body.prof);
      } catch (e) {
        this.s.reject(null, e.reason || 'bad_format');
        return null;
      }
      if (profile.fp !== env.s) {
        this.s.reject(null, 'bad_signature');
        return null;
      }
    }
    try {
      await verifyBundle(this.s.roomId, m && m.sigKey ? m.sigKey : profile.sigKey, env);
    } catch (e) {
      this.s.reject(m, 'bad_signature');
      return null;
    }
    if (!m || m.status === 'away') {
      const boundFp = this.seats.get(from);
      if (boundFp && boundFp !== env.s) {
        this.relabel(this.byId.get(boundFp), profile.name);
        return null;
      }
      m = await this.addIdentity(from, profile, true);
      if (!m) return null;
    } else {
      if (m.status !== 'present') {
        this.s.integrity('departed', `Keys from ${m.name}, who is no longer in the room, were sent again by the server; they were ignored.`);
        return null;
      }
      if (!this.checkRoute(m, from)) return null;
    }
    const dh = body.dh;
    if (dh && Number.isSafeInteger(dh.i) && dh.i > m.dh.index && typeof dh.pub === 'string') {
      try {
        m.dh = { index: dh.i, pub: dh.pub, key: await importDhPublic(dh.pub) };
      } catch (e) {
        // keep the key we had; the next bundle may carry a good one
      }
    }
    return m;
  }

  relabel(m, otherName) {
    this.s.integrity('relabel', `The server sent ${otherName ? `${otherName}'s keys` : 'a message'} through ${m ? `${m.name}'s` : 'another member\'s'} seat; it was discarded.`);
  }

  /** A frame signed by a member must come through that member's seat; anything else is the server relabelling. */
  checkRoute(m, from) {
    if (m.memberId === from) return true;
    const other = this.bySeat(from);
    this.s.integrity('relabel', `A message signed by ${m.name} arrived through ${other ? `${other.name}'s` : 'another'} seat; it was discarded.`);
    return false;
  }

  /** Records what a member's new epoch says: where its transcript stands and whom it was sealed for. */
  onEpoch(m, epoch, body) {
    if (m.firstEpoch === undefined) m.firstEpoch = epoch;
    if (Number.isSafeInteger(body.i) && body.i >= 0 && typeof body.h === 'string') {
      if (!m.seq) {
        m.seq = { next: body.i + 1, h: body.h, known: body.i, pending: new Map(), timer: null };
      } else if (body.i > m.seq.known) {
        m.seq.known = body.i;
        this.s.enqueue(() => this.drain(m));
      }
    }
    if (Array.isArray(body.ro) && body.ro.length <= 256 && body.ro.every((fp) => typeof fp === 'string')) {
      m.roster = { set: new Set(body.ro), at: this.s.now() };
      this.compare(m);
    }
  }

  // ---------- roster consistency ----------

  compare(m) {
    const mine = new Set(this.present().map((x) => x.fp));
    const theirs = m.roster.set;
    const missing = [...mine].filter((fp) => !theirs.has(fp));
    const extra = [...theirs].filter((fp) => !mine.has(fp));
    if (!missing.length && !extra.length) return;
    const settled = this.s.now() - this.changedAt >= this.s.settleMs;
    if (!settled) {
      // Our own list just changed; theirs may simply not have caught up. Look again once it has settled.
      if (!this.rosterCheck) {
        this.rosterCheck = this.s.later(() => {
          this.rosterCheck = null;
          for (const x of this.present()) if (!x.self && x.roster && x.roster.at > this.changedAt) this.compare(x);
        }, this.s.settleMs);
      }
      return;
    }
    const names = (fps) => fps.map((fp) => (this.byId.get(fp) ? this.byId.get(fp).name : 'someone unknown to you')).join(', ');
    const parts = [];
    if (missing.length) parts.push(`${m.name} does not see ${names(missing)}`);
    if (extra.length) parts.push(`${m.name} sees ${extra.length} member(s) you do not`);
    this.s.integrity('roster', `Your member lists differ: ${parts.join('; ')}. The server may be showing you different rooms.`,
      `roster:${m.fp}:${[...missing, '|', ...extra].join(',')}`);
  }

  // ---------- what the UI shows ----------

  async emitMembers() {
    if (this.s.isOver()) return;
    const present = this.present();
    this.s.safety = await safetyCode(this.s.roomId, present);
    const skeletons = new Map();
    for (const m of present) {
      const k = nameSkeleton(m.name);
      skeletons.set(k, (skeletons.get(k) || 0) + 1);
    }
    const list = present.map((m) => ({
      memberId: m.memberId, fp: m.fp, verified: true, self: !!m.self, name: m.name, badge: m.badge,
      confusable: skeletons.get(nameSkeleton(m.name)) > 1,
    }));
    for (const [memberId, p] of this.pending) {
      if (p.shown) list.push({ memberId, verified: false, self: false, name: null, badge: null, confusable: false });
    }
    const confusable = list.filter((m) => m.confusable).map((m) => m.name);
    if (confusable.length) {
      this.s.integrity('confusable', `Two members have names that look alike (${[...new Set(confusable)].join(', ')}): tell them apart by the badge beside each name.`,
        `confusable:${confusable.sort().join('|')}`);
    }
    this.s.emit('members', { members: list, safety: this.s.safety });
  }

  wipe() {
    if (this.rosterCheck) this.s.clearTimeout(this.rosterCheck);
    this.rosterCheck = null;
    for (const m of this.byId.values()) if (m.seq && m.seq.timer) this.s.clearTimeout(m.seq.timer);
    this.byId.clear();
    this.seats.clear();
    this.pending.clear();
  }
}

Object.assign(Roster.prototype, transcript);
