// The room screen: members and safety code, creator controls, countdown, notices, the invite panel. It renders
// what the session reports and hands user actions back to it; it never sees a key. Text goes in via textContent.

import { MessageList } from './messages.js';
import { Attention } from './attention.js';
import { AttachmentView } from './attachview.js';
import { $ } from './screens.js';

const MINUTE_MS = 60_000;

function formatRemaining(ms) {
  const total = Math.ceil(ms / 1000);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const mm = String(m).padStart(2, '0');
  const ss = String(s).padStart(2, '0');
  return h > 0 ? `${h}:${mm}:${ss}` : `${mm}:${ss}`;
}

/** The client's own words for an error code from the server; the server's text is never shown. */
const ERROR_TEXT = {
  wrong_pin: 'That PIN is wrong.',
  no_pin: 'Enter the PIN first.',
  pin_lockout: 'Too many wrong PINs: creator controls are locked for 10 minutes.',
  room_pin_lockout: 'Too many wrong PINs for this room: creator controls are paused for a while.',
  extend_limit: 'The room cannot live any longer.',
  rate_limited: 'Slow down a little.',
  unknown_member: 'That member is no longer here.',
};

export class RoomView {
  /**
   * @param {object} o
   * @param {string} o.roomId
   * @param {string|null} o.pin the creator's PIN while it has not been marked as saved
   * @param {{burn: Function, closed: Function}} o.endings what the page does when the room ends
   */
  constructor({ roomId, pin, endings }) {
    this.roomId = roomId;
    this.session = null;
    this.endings = endings;
    this.onboardingPin = pin;
    this.members = null;
    this.compared = null;
    this.minuteWarned = false;
    this.replyTo = null;
    this.list = new MessageList($('messages'), {
      onReply: (q) => this.startReply(q),
      onReact: (key, emoji, on) => this.session && this.session.react(key, emoji, on),
    });
    this.attention = new Attention(document);
    this.attachments = new AttachmentView({ append: (li) => this.list.append(li), session: () => this.session });
    this.loop = setInterval(() => this.tick(), 200);
  }

  status(text) {
    $('status').textContent = text;
  }

  /** Session events, in the order the session emits them. */
  on(e) {
    switch (e.type) {
      case 'state':
        $('reconnecting').hidden = e.state !== 'reconnecting';
        this.setComposer(e.state === 'joined' || e.state === 'reconnecting');
        break;
      case 'members':
        this.renderMembers(e.members, e.safety);
        break;
      case 'message':
        this.list.add(e);
        if (!e.self) this.attention.onMessage();
        break;
      case 'attachment':
        this.attachments.on(e);
        if (e.phase === 'start' && !e.self) this.attention.onMessage();
        break;
      case 'reaction':
        this.list.onReaction(e);
        break;
      case 'ack':
        this.list.acked(e.id);
        break;
      case 'integrity':
        this.list.system(`⚠ ${e.text}`, 'warn', 'integrity-warning');
        break;
      case 'notice':
        this.list.system(e.text, e.level);
        break;
      case 'link':
        this.renderShare(e.link, e.creatorLink);
        this.status('The room has a new invite link: the old one no longer lets anyone in.');
        break;
      case 'away':
        $('away-notice').textContent = e.missed > 0
          ? `You were away; ${e.missed} message(s) may be missing.` : 'You were away; some messages may be missing.';
        $('away-notice').hidden = false;
        break;
      case 'locked':
        this.renderLocked(e.locked);
        break;
      case 'admin_ok':
        this.status({ lock: 'Room locked.', unlock: 'Room unlocked.', extend: 'Lifetime extended.', kick: 'Member removed.', burn: 'Burning…' }[e.op] || 'Done.');
        break;
      case 'error':
        if (e.code === 'wrong_pin' || e.code === 'pin_lockout' || e.code === 'no_pin') {
          this.renderAdmin();
          $('pin').value = '';
        }
        this.status(ERROR_TEXT[e.code] || `The server reported a problem (${e.code}).`);
        break;
      case 'burned':
        this.endings.burn();
        break;
      case 'closed':
        this.endings.closed(e);
        break;
      default:
        break;
    }
  }

  // ---------- invite ----------

  /** The invite link (and, for the creator, the private creator link) for the room's current secret. */
  renderShare(fragment, creatorFragment) {
    const link = `${location.origin}/r/${this.roomId}#${fragment}`;
    $('share').value = link;
    $('invite-panel-link').value = link;
    $('creator-link-box').hidden = !creatorFragment;
    $('creator-link').value = creatorFragment ? `${location.origin}/r/${this.roomId}#${creatorFragment}` : '';
    drawQr($('qr'), link);
  }

  /** The creator comes back to the onboarding from the room: the link, and the PIN until it was marked saved. */
  openInvitePanel() {
    $('invite-panel').hidden = false;
    $('invite-panel-pin-row').hidden = !this.onboardingPin;
    $('invite-panel-pin').textContent = this.onboardingPin || '';
    $('invite-panel-h').focus();
  }

  closeInvitePanel() {
    $('invite-panel').hidden = true;
    $('invite-panel-pin').textContent = '';
    $('show-invite').focus();
  }

  pinSaved() {
    this.onboardingPin = null;
    this.closeInvitePanel();
  }

  // ---------- members and the safety code ----------

  renderMembers(members, safety) {
    const ul = $('members');
    ul.replaceChildren();
    const admin = this.session && this.session.pin;
    for (const m of members) ul.append(this.memberItem(m, admin));
    this.members = members;
    if (safety) this.renderSafety(safety);
  }

  memberItem(m, admin) {
    const li = document.createElement('li');
    li.setAttribute('data-testid', 'member');
    li.dataset.verified = String(m.verified);
    li.className = m.verified ? 'verified' : 'unverified';
    const mark = document.createElement('span');
    mark.className = 'mark';
    mark.textContent = m.verified ? '✓' : '⚠';
    mark.setAttribute('aria-hidden', 'true');
    const name = document.createElement('span');
    name.className = 'name';
    name.textContent = m.verified ? m.name + (m.self ? ' (you)' : '') : 'Unverified member';
    li.append(mark, name);
    if (m.badge) li.append(chip('key-badge', m.badge, 'key-badge', 'Key badge: made from this member\'s key, so a copied name gets another badge'));
    if (m.confusable) li.append(chip('lookalike', 'name looks like another'));
    // "has the link" until the people in the room compared the safety code; then "compared", until it changes.
    const trust = this.compared && this.compared === $('safety').dataset.code ? 'compared' : 'has the link';
    if (m.verified) li.append(chip(trust === 'compared' ? 'compared' : 'trust', trust, 'member-trust'));
    const sr = document.createElement('span');
    sr.className = 'visually-hidden';
    sr.textContent = m.verified ? `, ${trust}` : ', could not be verified: gets no keys';
    li.append(sr);
    if (admin && !m.self) {
      const kick = document.createElement('button');
      kick.type = 'button';
      kick.className = 'kick small-button';
      kick.setAttribute('data-testid', 'kick');
      kick.textContent = 'Remove';
      kick.setAttribute('aria-label', `Remove ${m.verified ? m.name : 'unverified member'}`);
      kick.addEventListener('click', () => this.session.admin('kick', { target: m.memberId }));
      li.append(kick);
    }
    return li;
  }

  renderSafety(safety) {
    const digits = document.createElement('span');
    digits.className = 'digits';
    digits.textContent = safety.digits;
    const emoji = document.createElement('span');
    emoji.className = 'emoji';
    emoji.textContent = safety.emoji;
    const code = $('safety');
    const changed = code.dataset.code && code.dataset.code !== safety.digits;
    code.replaceChildren(digits, emoji);
    code.dataset.code = safety.digits;
    if (changed) {
      code.classList.remove('changed');
      void code.offsetWidth; // restart the highlight animation
      code.classList.add('changed');
      if (this.compared) {
        this.compared = null;
        $('compared-state').textContent = 'The safety code changed: compare it again.';
        this.list.system('The safety code changed, so "compared" was reset. Compare the new code again.', 'warn');
        if (this.members) this.renderMembers(this.members, null);
      }
    }
  }

  markCompared() {
    this.compared = $('safety').dataset.code || null;
    $('compared-state').textContent = this.compared ? 'Marked as compared for this code.' : '';
    if (this.members) this.renderMembers(this.members, null);
  }

  // ---------- creator controls ----------

  renderAdmin() {
    const hasPin = !!(this.session && this.session.pin);
    $('pin-form').hidden = hasPin;
    $('admin-controls').hidden = !hasPin;
    $('burn-confirm').hidden = true;
    if (this.members) this.renderMembers(this.members, null);
  }

  renderLocked(locked) {
    $('locked-badge').hidden = !locked;
    $('lock').hidden = locked;
    $('unlock').hidden = !locked;
  }

  setComposer(enabled) {
    $('message').disabled = !enabled;
    // The file button only where the server relays files (its `joined` names a size limit).
    const files = enabled && !!this.session && this.session.transfers.maxBytes > 0;
    $('attach').disabled = !files;
    $('attach').hidden = !files;
    $('attach-label').hidden = !files;
    document.querySelector('[data-testid="send"]').disabled = !enabled;
  }

  // ---------- replies ----------

  startReply(q) {
    this.replyTo = q;
    $('reply-to').textContent = `Replying to ${q.name}: ${[...q.text].slice(0, 80).join('')}`;
    $('reply-bar').hidden = false;
    $('message').focus();
  }

  cancelReply() {
    this.replyTo = null;
    $('reply-bar').hidden = true;
    $('reply-to').textContent = '';
  }

  // ---------- time ----------

  /** Runs 5×/s against the session's clock, so every screen reaches zero in the same instant. */
  tick() {
    const s = this.session;
    if (!s || !s.expiresAt()) return;
    const ms = s.remainingMs();
    const el = $('countdown');
    const text = formatRemaining(ms);
    if (el.textContent !== text) el.textContent = text;
    el.classList.toggle('last-minute', ms <= MINUTE_MS);
    const lastMinute = ms > 0 && ms <= MINUTE_MS;
    if (lastMinute && !this.minuteWarned) {
      this.minuteWarned = true;
      $('minute-warning').hidden = false;
      this.attention.onMessage();
    } else if (!lastMinute && ms > MINUTE_MS) {
      this.minuteWarned = false;
      $('minute-warning').hidden = true;
    }
    if (ms <= 0 && (s.state === 'joined' || s.state === 'reconnecting')) s.burn('clock');
  }

  /** The room is over on this screen: timers stop, the list and every notice go. */
  wipe() {
    clearInterval(this.loop);
    this.attention.reset();
    this.attachments.wipe();
    this.list.wipe();
    this.cancelReply();
    this.onboardingPin = null;
    for (const id of ['members', 'safety', 'qr', 'status', 'compared-state', 'away-notice', 'invite-panel-pin']) $(id).replaceChildren();
    for (const id of ['away-notice', 'minute-warning', 'invite-panel']) $(id).hidden = true;
  }
}

function chip(className, text, testid = null, title = null) {
  const span = document.createElement('span');
  span.className = className;
  if (testid) span.setAttribute('data-testid', testid);
  if (title) span.title = title;
  span.textContent = text;
  return span;
}

/** Drawn on a canvas in this page; the link (with its key) never goes to any server. */
export function drawQr(box, link) {
  box.replaceChildren();
  if (!globalThis.QRCode) return;
  try {
    new globalThis.QRCode(box, { text: link, width: 176, height: 176, correctLevel: globalThis.QRCode.CorrectLevel.M });
    box.removeAttribute('title');
  } catch (ex) {
    box.textContent = 'QR code unavailable.';
  }
}
