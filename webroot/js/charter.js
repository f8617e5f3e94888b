// The charter and the creator's operations: a creator-signed room state is applied from whoever forwarded it, and
// lock, unlock, extend, kick and burn are signed here and sent to the members once the server confirms the PIN (a
// wrong PIN changes nothing anywhere). Methods of Session (session.js), installed on its prototype.

import { commitsTo, deriveRoomSecrets, firstNonce, newRoomSecret } from './link.js';
import { adminKeyFromSeed, checkCharter, signCharter, unwrapAdminSeed, wrapAdminSeed } from './adminkey.js';

export const charter = {
  /** Applies a newer creator-signed room state, from whoever forwarded it. */
  async applyCharter(c, via) {
    if (!c) return;
    let fromCreator = false;
    try {
      await checkCharter(this.roomId, c);
      if (this.adminPub) {
        fromCreator = c.a === this.adminPub;
      } else {
        const s = this.secrets.get(c.sid);
        if (!s) return; // about a secret we do not hold yet: nothing to check it against, and nothing lost
        fromCreator = await commitsTo(s.secret, c.a, c.no);
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
  },

  /**
   * The creator came back with the creator link (after a reload) into a room where nobody holds the charter: the
   * first secret commits to the admin key with a nonce the seed derives, so the first charter can be signed again
   * with the expiry the server reports. Members who do hold a charter forward theirs (a newer one wins).
   */
  async recoverCharter() {
    if (!this.adminKey || this.charter || this.roster.present().length > 1) return;
    const nonce = await firstNonce(this.adminSeed);
    if (!(await commitsTo(this.link.secret, this.adminKey.pub, nonce))) return;
    this.adminPub = this.adminKey.pub;
    await this.signFirstCharter(this.serverExp, this.locked, nonce);
  },

  /** Charter 1 for the current (first) secret, with the admin seed wrapped under the PIN when we have it. */
  async signFirstCharter(exp, locked, nonce) {
    this.charter = await signCharter(this.adminKey, {
      r: this.roomId, n: 1, exp, lk: locked, kk: [], sid: this.sid, no: nonce,
      aw: this.pin ? await wrapAdminSeed(this.adminSeed, this.pin, this.roomId, this.link.secret, this.sid) : undefined,
    });
  },

  /** The PIN is kept in memory only, for this tab's lifetime; with it a member can unwrap the admin seed. */
  setPin(pin) {
    this.pin = pin ? String(pin).trim().toUpperCase() : null;
    if (this.pin && !this.adminKey && this.charter && this.charter.aw) this.enqueue(() => this.unlockAdmin());
  },

  /** Unwraps the admin seed from the charter with the PIN; a wrong PIN simply leaves us without it. */
  async unlockAdmin() {
    const aw = this.charter && this.charter.aw;
    const s = aw && this.secrets.get(aw.sid);
    if (this.adminKey || !this.pin || !s) return;
    try {
      const seed = await unwrapAdminSeed(aw, this.pin, this.roomId, s.secret);
      const key = await adminKeyFromSeed(seed);
      if (key.pub !== this.adminPub) return;
      this.adminKey = key;
      this.adminSeed = seed;
      this.emit('notice', { level: 'info', text: 'Your PIN unlocked the creator key: your room changes are signed.' });
    } catch (e) {
      // a wrong PIN: the server will refuse it too
    }
  },

  isCreator() {
    return !!this.adminKey;
  },

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
        const made = await newRoomSecret(this.adminKey.pub);
        const s = await deriveRoomSecrets(made.secret, this.roomId);
        pending.secret = made.secret;
        next.sid = s.sid;
        next.no = made.nonce;
        if (this.pin) next.aw = await wrapAdminSeed(this.adminSeed, this.pin, this.roomId, made.secret, s.sid);
        frame.joinHash = s.joinHash;
      } else if (op === 'lock' || op === 'unlock') {
        next.lk = op === 'lock';
      } else if (op === 'extend') {
        next.exp = this.charter.exp + extra.seconds * 1000;
      } else if (op === 'burn') {
        next.burn = true;
      }
      pending.charter = await signCharter(this.adminKey, next);
      if (op === 'burn') {
        // Burn goes to the members first: the server's own burn closes every socket right after.
        await this.broadcast({ t: 'ctl', ch: pending.charter });
      }
      this.adminPending.push(pending);
      return this.sendFrame(frame);
    });
  },

  async onAdminOk(op) {
    const i = this.adminPending.findIndex((p) => p.op === op);
    const pending = i >= 0 ? this.adminPending.splice(i, 1)[0] : null;
    this.emit('admin_ok', { op });
    if (!pending) return;
    if (pending.secret) await this.learnSecret(pending.secret, false);
    await this.applyCharter(pending.charter, null);
    if (this.isOver()) return;
    if (op !== 'burn') await this.broadcast({ t: 'ctl', ch: pending.charter, sec: pending.secret || undefined });
  },
};
