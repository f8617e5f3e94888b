// The page: routing between screens, DOM rendering and user input. Keys and protocol live in session.js;
// this file never sees a key, only names and texts to render. Text always goes in via textContent, never as HTML.
// Nothing is written to localStorage, sessionStorage, IndexedDB or cookies: a reload starts from nothing.

import * as C from './crypto.js';
import { Session } from './session.js';

const $ = (id) => document.getElementById(id);
const ROOM_PATH = /^\/r\/([A-Za-z0-9_-]{22})$/;
const EXTEND_SECONDS = 900;
const BURN_ANIMATION_MS = 700;

/** Everything this tab knows about the room it shows; dropped as a whole when the room ends. */
let app = null;

function show(screen) {
  for (const s of document.querySelectorAll('main > section')) s.hidden = s.id !== screen;
  const h = document.querySelector(`#${screen} h1`);
  if (h) h.focus({ preventScroll: true });
}

async function api(method, path, body) {
  // No credentials and no referrer: the request carries nothing but what the protocol needs.
  const res = await fetch(path, {
    method,
    headers: body ? { 'Content-Type': 'application/json' } : undefined,
    body: body ? JSON.stringify(body) : undefined,
    credentials: 'omit',
    cache: 'no-store',
    referrerPolicy: 'no-referrer',
  });
  let json = null;
  try {
    json = await res.json();
  } catch (e) {
    json = null;
  }
  return { status: res.status, json };
}

// ---------- routing ----------

function route() {
  const m = ROOM_PATH.exec(location.pathname);
  if (location.pathname === '/' || location.pathname === '/index.html') {
    show('screen-home');
    return;
  }
  if (!m) {
    show('screen-not-found');
    return;
  }
  // The secret is read once from the fragment, kept in memory only, and the fragment is dropped from the address
  // bar and this history entry, so it does not linger in the browser's history after the room burns.
  const link = C.parseFragment(location.hash.slice(1));
  history.replaceState(null, '', `/r/${m[1]}`);
  openRoom(m[1], link, null);
}

// ---------- home ----------

async function onCreate(e) {
  e.preventDefault();
  const err = $('home-error');
  err.hidden = true;
  const button = e.submitter || document.querySelector('[data-testid="create-room"]');
  button.disabled = true;
  try {
    const ttlSeconds = Number($('ttl').value);
    // The link is made here and the server never learns it: an admin key from a fresh seed, and a room secret
    // that commits to it. The server gets only the hash of the join token derived from the secret.
    const adminSeed = C.b64u(C.randomBytes(32));
    const admin = await C.adminKeyFromSeed(adminSeed);
    const { secret, nonce } = await C.newRoomSecret(admin.pub);
    const joinHash = await C.joinHashOf(secret);
    const r = await api('POST', '/api/rooms', { ttlSeconds, joinHash });
    if (r.status !== 201 || !r.json || typeof r.json.roomId !== 'string' || !/^[A-Za-z0-9_-]{22}$/.test(r.json.roomId)) {
      throw new Error(apiErrorText(r, 'Could not create the room.'));
    }
    history.replaceState(null, '', `/r/${r.json.roomId}`);
    await openRoom(r.json.roomId, { secret, adminSeed }, { ...r.json, nonce });
  } catch (ex) {
    err.textContent = ex.message;
    err.hidden = false;
  } finally {
    button.disabled = false;
  }
}

// ---------- join ----------

/** The client's own words for an HTTP error code; the server's text is never shown. */
function apiErrorText(r, fallback) {
  const code = r.json && r.json.error && r.json.error.code;
  return {
    rate_limited: 'Too many rooms from this address right now. Try again in a minute.',
    ttl_out_of_range: 'That lifetime is not allowed on this server.',
    node_full: 'This server is full right now. Try again later.',
    node_shutting_down: 'This server is restarting. Try again in a moment.',
  }[code] || `${fallback} (HTTP ${r.status})`;
}

async function openRoom(roomId, link, created) {
  const info = created ? { status: 200, json: created } : await api('GET', `/api/rooms/${roomId}`);
  if (info.status === 404) {
    show('screen-not-found');
    return;
  }
  if (info.status !== 200) {
    showClosed('Could not reach the room', 'The server did not answer. Try the link again in a moment.');
    return;
  }
  if (!link) {
    showClosed('This link is incomplete', 'The part after “#” carries the room key. Ask for the full link again; '
      + 'after a reload the key is gone from this tab on purpose.');
    return;
  }
  app = { roomId, link, created, pin: created ? created.pin : null, session: null, loop: null, byId: new Map(), burning: false };
  const pinOnce = $('pin-once');
  pinOnce.hidden = !created;
  $('pin-value').textContent = created ? created.pin : '';
  const j = info.json || {};
  const minutes = Math.max(0, Math.round((j.expiresAt - j.serverTime) / 60000));
  $('join-info').textContent = created ? `The room burns in about ${minutes} min.`
    : `${j.members} member(s) inside; the room burns in about ${minutes} min.${j.locked ? ' It is locked right now.' : ''}`;
  show('screen-join');
  $('name').focus();
}

async function onJoin(e) {
  e.preventDefault();
  const name = $('name').value.trim();
  if (!name || !app) return;
  const roomId = app.roomId;
  // The PIN was shown once on the join screen; from now on it lives only in the session's memory.
  $('pin-value').textContent = '';
  $('pin-once').hidden = true;
  const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
  const session = new Session({
    roomId, link: app.link, name, url: `${proto}//${location.host}/ws/rooms/${roomId}`,
    WebSocketImpl: WebSocket, onEvent: onSessionEvent, created: app.created,
  });
  app.session = session;
  app.link = null;
  app.created = null;
  if (app.pin) {
    session.setPin(app.pin);
    app.pin = null;
  }
  renderAdmin();
  $('room-h').textContent = 'Room';
  show('screen-room');
  $('message').focus();
  app.loop = setInterval(tickCountdown, 200);
  try {
    await session.start();
    renderShare(session.inviteFragment(), session.creatorFragment());
  } catch (ex) {
    showClosed('Could not start', `This browser could not set up the encryption (${ex.message}).`);
  }
}

// ---------- room ----------

/** The invite link (and, for the creator, the private creator link) for the room's current secret. */
function renderShare(fragment, creatorFragment) {
  const link = `${location.origin}/r/${app.roomId}#${fragment}`;
  $('share').value = link;
  $('creator-link-box').hidden = !creatorFragment;
  $('creator-link').value = creatorFragment ? `${location.origin}/r/${app.roomId}#${creatorFragment}` : '';
  const qr = $('qr');
  qr.replaceChildren();
  if (globalThis.QRCode) {
    try {
      // Drawn on a canvas in this page; the link (with its key) never goes to any server.
      new globalThis.QRCode(qr, { text: link, width: 176, height: 176, correctLevel: globalThis.QRCode.CorrectLevel.M });
      qr.removeAttribute('title');
    } catch (ex) {
      qr.textContent = 'QR code unavailable.';
    }
  }
}

async function onCopy() {
  const input = $('share');
  try {
    await navigator.clipboard.writeText(input.value);
  } catch (e) {
    input.select();
    document.execCommand('copy');
  }
  status('Link copied.');
}

function status(text) {
  $('status').textContent = text;
}

function addLine(li) {
  const list = $('messages');
  const stick = list.scrollTop + list.clientHeight >= list.scrollHeight - 40;
  list.append(li);
  if (stick) li.scrollIntoView({ block: 'end' });
}

function addMessage(e) {
  const li = document.createElement('li');
  li.className = e.self ? 'msg self' : 'msg';
  if (e.pending) li.classList.add('pending');
  li.setAttribute('data-testid', 'message');
  const who = document.createElement('span');
  who.className = 'who';
  who.textContent = `${e.name}${e.badge ? ` ${e.badge}` : ''}${e.self ? ' (you)' : ''}`;
  const time = document.createElement('time');
  const at = Number.isFinite(e.at) ? new Date(e.at) : new Date();
  time.textContent = at.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  const text = document.createElement('p');
  text.className = 'text';
  text.textContent = e.text;
  li.append(who, time, text);
  app.byId.set(e.id, li);
  addLine(li);
}

function addSystem(text, level = 'info', testid = null) {
  const li = document.createElement('li');
  li.className = `system ${level}`;
  if (testid) li.setAttribute('data-testid', testid);
  li.textContent = text;
  addLine(li);
}

function renderMembers(members, safety) {
  const ul = $('members');
  ul.replaceChildren();
  const admin = app.session && app.session.pin;
  for (const m of members) {
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
    if (m.badge) {
      const badge = document.createElement('span');
      badge.className = 'key-badge';
      badge.setAttribute('data-testid', 'key-badge');
      badge.title = 'Key badge: made from this member\'s key, so a copied name gets another badge';
      badge.textContent = m.badge;
      li.append(badge);
    }
    if (m.confusable) {
      const look = document.createElement('span');
      look.className = 'lookalike';
      look.textContent = 'name looks like another';
      li.append(look);
    }
    const sr = document.createElement('span');
    sr.className = 'visually-hidden';
    sr.textContent = m.verified ? ', verified' : ', could not be verified: gets no keys';
    li.append(sr);
    if (admin && !m.self) {
      const kick = document.createElement('button');
      kick.type = 'button';
      kick.className = 'kick small-button';
      kick.setAttribute('data-testid', 'kick');
      kick.textContent = 'Remove';
      kick.setAttribute('aria-label', `Remove ${m.verified ? m.name : 'unverified member'}`);
      kick.addEventListener('click', () => app.session.admin('kick', { target: m.memberId }));
      li.append(kick);
    }
    ul.append(li);
  }
  app.members = members;
  if (safety) {
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
    }
  }
}

function renderAdmin() {
  const hasPin = !!(app.session && app.session.pin);
  $('pin-form').hidden = hasPin;
  $('admin-controls').hidden = !hasPin;
  $('burn-confirm').hidden = true;
  if (app.members) renderMembers(app.members, null);
}

function renderLocked(locked) {
  $('locked-badge').hidden = !locked;
  $('lock').hidden = locked;
  $('unlock').hidden = !locked;
}

function setComposer(enabled) {
  $('message').disabled = !enabled;
  document.querySelector('[data-testid="send"]').disabled = !enabled;
}

function formatRemaining(ms) {
  const total = Math.ceil(ms / 1000);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const mm = String(m).padStart(2, '0');
  const ss = String(s).padStart(2, '0');
  return h > 0 ? `${h}:${mm}:${ss}` : `${mm}:${ss}`;
}

/** Runs 5×/s against the server-synced clock, so every screen reaches zero in the same instant. */
function tickCountdown() {
  const s = app && app.session;
  if (!s || !s.expiresAt()) return;
  const ms = s.remainingMs();
  const el = $('countdown');
  const text = formatRemaining(ms);
  if (el.textContent !== text) el.textContent = text;
  el.classList.toggle('last-minute', ms <= 60_000);
  if (ms <= 0 && (s.state === 'joined' || s.state === 'reconnecting')) s.burn('clock');
}

function onSessionEvent(e) {
  if (!app) return;
  switch (e.type) {
    case 'state':
      $('reconnecting').hidden = e.state !== 'reconnecting';
      setComposer(e.state === 'joined' || e.state === 'reconnecting');
      break;
    case 'members':
      renderMembers(e.members, e.safety);
      break;
    case 'message':
      addMessage(e);
      break;
    case 'ack': {
      const li = app.byId.get(e.id);
      if (li) li.classList.remove('pending');
      break;
    }
    case 'integrity':
      addSystem(`⚠ ${e.text}`, 'warn', 'integrity-warning');
      break;
    case 'link':
      renderShare(e.link, e.creatorLink);
      status('The room has a new invite link: the old one no longer lets anyone in.');
      break;
    case 'away':
      addSystem(e.missed > 0 ? `You were away too long and rejoined as a new member; ${e.missed} message(s) may be missing.`
        : 'You were away too long and rejoined as a new member.', 'warn');
      break;
    case 'notice':
      addSystem(e.text, e.level);
      break;
    case 'locked':
      renderLocked(e.locked);
      break;
    case 'admin_ok':
      status({ lock: 'Room locked.', unlock: 'Room unlocked.', extend: 'Lifetime extended.', kick: 'Member removed.', burn: 'Burning…' }[e.op] || 'Done.');
      break;
    case 'error':
      onError(e);
      break;
    case 'burned':
      burn();
      break;
    case 'closed':
      onClosed(e);
      break;
    default:
      break;
  }
}

function onError(e) {
  if (e.code === 'wrong_pin' || e.code === 'pin_lockout' || e.code === 'no_pin') {
    renderAdmin();
    $('pin').value = '';
  }
  // The server's own text never reaches the page (it could say anything, e.g. "re-enter your link at ...").
  const known = {
    wrong_pin: 'That PIN is wrong.',
    no_pin: 'Enter the PIN first.',
    pin_lockout: 'Too many wrong PINs: creator controls are locked for 10 minutes.',
    room_pin_lockout: 'Too many wrong PINs for this room: creator controls are paused for a while.',
    extend_limit: 'The room cannot live any longer.',
    rate_limited: 'Slow down a little.',
    unknown_member: 'That member is no longer here.',
  };
  status(known[e.code] || `The server reported a problem (${e.code}).`);
}

// ---------- endings ----------

/** Forgets the room in this tab: the session already wiped its keys; here the DOM and the references go. */
function wipeRoom() {
  if (!app) return;
  clearInterval(app.loop);
  if (app.session) app.session.wipe();
  const roomId = app.roomId;
  app.byId.clear();
  app = null;
  for (const id of ['messages', 'members', 'safety', 'qr', 'status']) $(id).replaceChildren();
  for (const input of document.querySelectorAll('input, textarea')) input.value = '';
  // Leave only the key-less room path in history: a reload or Back shows "not found", never the content.
  history.replaceState(null, '', `/r/${roomId}`);
  const room = $('screen-room');
  room.classList.remove('burning');
}

function burn() {
  if (!app || app.burning) return;
  app.burning = true;
  const burnedAt = Date.now();
  const room = $('screen-room');
  const reduced = globalThis.matchMedia && matchMedia('(prefers-reduced-motion: reduce)').matches;
  // The message texts are gone from the DOM at once; what burns on screen is an empty shell.
  for (const p of document.querySelectorAll('#messages .text')) p.textContent = '';
  room.classList.add('burning');
  setTimeout(() => {
    wipeRoom();
    const screen = $('screen-burned');
    screen.dataset.burnedAt = String(burnedAt);
    show('screen-burned');
  }, reduced ? 0 : BURN_ANIMATION_MS);
}

const CLOSED_TEXT = {
  kicked: ['You were removed', 'The creator removed you from this room. Your keys for it are gone.'],
  refused: ['You cannot enter', 'The room is locked, full, or you were removed from it.'],
  lockout: ['Locked out', 'Too many wrong PINs or too many messages from this connection. Try again later.'],
  protocol: ['Disconnected', 'The server closed the connection because of a protocol error.'],
  replaced: ['Opened elsewhere', 'This seat was taken over by another tab or device.'],
  left: ['You left', 'You left the room.'],
  link_rotated: ['This link no longer works', 'The creator changed the room\'s link (after removing someone), or the link is not this room\'s. Ask a member for the new link.'],
};

function onClosed(e) {
  if (e.why === 'not_found') {
    wipeRoom();
    show('screen-not-found');
    return;
  }
  const [title, text] = CLOSED_TEXT[e.why] || ['Disconnected', 'The connection ended.'];
  const detail = e.why === 'refused' && e.code === 'room_locked' ? 'The room is locked: the creator is not letting anyone in.' : text;
  wipeRoom();
  showClosed(title, detail);
}

function showClosed(title, text) {
  $('closed-h').textContent = title;
  $('closed-text').textContent = text;
  show('screen-closed');
}

// ---------- wiring ----------

function onComposerKey(e) {
  if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
    e.preventDefault();
    $('composer').requestSubmit();
  }
}

async function onSend(e) {
  e.preventDefault();
  const input = $('message');
  const text = input.value;
  if (!text.trim() || !app || !app.session) return;
  input.value = '';
  try {
    await app.session.send(text);
  } catch (ex) {
    input.value = text;
    status(ex.message);
  }
  input.focus();
}

function onPin(e) {
  e.preventDefault();
  const pin = $('pin').value.trim();
  if (!pin || !app || !app.session) return;
  app.session.setPin(pin);
  $('pin').value = '';
  renderAdmin();
  status('PIN kept in memory for this tab. Controls are enabled.');
}

function wire() {
  $('create-form').addEventListener('submit', onCreate);
  $('join-form').addEventListener('submit', onJoin);
  $('composer').addEventListener('submit', onSend);
  $('message').addEventListener('keydown', onComposerKey);
  $('copy').addEventListener('click', onCopy);
  $('pin-form').addEventListener('submit', onPin);
  $('lock').addEventListener('click', () => app.session.admin('lock'));
  $('unlock').addEventListener('click', () => app.session.admin('unlock'));
  $('extend').addEventListener('click', () => app.session.admin('extend', { seconds: EXTEND_SECONDS }));
  $('burn-now').addEventListener('click', () => {
    $('burn-confirm').hidden = false;
    $('confirm-burn').focus();
  });
  $('cancel-burn').addEventListener('click', () => {
    $('burn-confirm').hidden = true;
    $('burn-now').focus();
  });
  $('confirm-burn').addEventListener('click', () => {
    $('burn-confirm').hidden = true;
    app.session.admin('burn');
  });
  // Leaving the page leaves the room at once (close 1000), so nobody keeps a seat they can never resume.
  addEventListener('pagehide', () => {
    if (app && app.session) app.session.leave();
  });
  // Never show a page restored from the back/forward cache: it could hold a burned room's DOM.
  addEventListener('pageshow', (e) => {
    if (e.persisted) location.reload();
  });
  // Opening a room link from a page of this app (same document, only the fragment changes) starts over.
  addEventListener('hashchange', () => {
    if (!app || !app.session) route();
  });
}

wire();
route();
