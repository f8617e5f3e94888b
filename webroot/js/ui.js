// The page: routing between screens, the home and join screens, the endings, and wiring user input. Keys and
// protocol live in session.js; the room screen in room.js. Text always goes in via textContent, never as HTML.
// Nothing is written to localStorage, sessionStorage, IndexedDB or cookies: a reload starts from nothing.

import { $, CLOSED, show, showClosed } from './screens.js';
import { api, apiErrorText } from './api.js';
import { b64u, randomBytes } from './primitives.js';
import { firstNonce, fragmentOf, joinHashOf, newRoomSecret, parseFragment } from './link.js';
import { adminKeyFromSeed } from './adminkey.js';
import { Session } from './session.js';
import { RoomView, drawQr } from './room.js';
import { wireAttachments } from './attachview.js';

const ROOM_PATH = /^\/r\/([A-Za-z0-9_-]{22})$/;
const BURN_ANIMATION_MS = 700;

/** Everything this tab knows about the room it shows; dropped as a whole when the room ends. */
let app = null;

// ---------- routing ----------

function route() {
  const m = ROOM_PATH.exec(location.pathname);
  if (location.pathname === '/' || location.pathname === '/index.html') {
    showHome(false);
    return;
  }
  if (!m) {
    show('screen-not-found');
    return;
  }
  // The secret is read once from the fragment, kept in memory only, and the fragment is dropped from the address
  // bar and this history entry, so it does not linger in the browser's history after the room burns.
  const link = parseFragment(location.hash.slice(1));
  history.replaceState(null, '', `/r/${m[1]}`);
  openRoom(m[1], link, null);
}

function showHome(rejoin) {
  $('rejoin-notice').hidden = !rejoin;
  show('screen-home');
  if (rejoin) $('paste-link').focus();
}

// ---------- home ----------

function ttlSeconds() {
  if ($('ttl').value !== 'custom') return Number($('ttl').value);
  const minutes = Number($('ttl-custom').value);
  if (!Number.isInteger(minutes) || minutes < 1 || minutes > 1440) throw new Error('Choose a lifetime between 1 minute and 24 hours.');
  return minutes * 60;
}

async function onCreate(e) {
  e.preventDefault();
  const err = $('home-error');
  err.hidden = true;
  const button = e.submitter || document.querySelector('[data-testid="create-room"]');
  button.disabled = true;
  try {
    const ttl = ttlSeconds();
    // The link is made here and the server never learns it: an admin key from a fresh seed, and a room secret
    // that commits to it. The server gets only the hash of the join token derived from the secret.
    const adminSeed = b64u(randomBytes(32));
    const admin = await adminKeyFromSeed(adminSeed);
    const { secret, nonce } = await newRoomSecret(admin.pub, await firstNonce(adminSeed));
    const joinHash = await joinHashOf(secret);
    const r = await api('POST', '/api/rooms', { ttlSeconds: ttl, joinHash });
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

/** A pasted link opens the room without ever becoming an address the browser records. */
function onPaste(e) {
  e.preventDefault();
  const err = $('paste-error');
  err.hidden = true;
  let url = null;
  try {
    url = new URL($('paste-link').value.trim(), location.origin);
  } catch (ex) {
    url = null;
  }
  const m = url && ROOM_PATH.exec(url.pathname);
  const link = url && parseFragment(url.hash.slice(1));
  $('paste-link').value = '';
  if (!m || !link) {
    err.textContent = 'That is not a complete room link: it needs the part after “#”.';
    err.hidden = false;
    return;
  }
  if (url.origin !== location.origin) {
    err.textContent = 'That link is for another server: open it there.';
    err.hidden = false;
    return;
  }
  history.replaceState(null, '', `/r/${m[1]}`);
  openRoom(m[1], link, null);
}

// ---------- join ----------

const ADJECTIVES = ['Quiet', 'Amber', 'Swift', 'Calm', 'Bright', 'Silver', 'Gentle', 'Brave', 'Lucky', 'Misty'];
const ANIMALS = ['Otter', 'Heron', 'Fox', 'Lynx', 'Wren', 'Badger', 'Falcon', 'Marten', 'Robin', 'Hare'];

function madeUpName() {
  const r = randomBytes(3);
  return `${ADJECTIVES[r[0] % ADJECTIVES.length]} ${ANIMALS[r[1] % ANIMALS.length]} ${10 + (r[2] % 90)}`;
}

async function openRoom(roomId, link, created) {
  const info = created ? { status: 200, json: created } : await api('GET', `/api/rooms/${roomId}`);
  if (info.status === 404) {
    show('screen-not-found');
    return;
  }
  if (info.status !== 200) {
    showClosed('Could not reach the room', 'The server did not answer. Try the link again in a moment.', 'closed');
    return;
  }
  if (!link) {
    // After a reload the key is gone on purpose: say so, and offer the paste box.
    showHome(true);
    return;
  }
  app = { roomId, link, created, createdPin: created ? created.pin : null, pinSavedClicked: false, view: null, session: null, burning: false };
  const pinOnce = $('pin-once');
  pinOnce.hidden = !created;
  $('pin-value').textContent = created ? created.pin : '';
  if (created) {
    const invite = `${location.origin}/r/${roomId}#${fragmentOf({ secret: link.secret })}`;
    $('onboard-link').value = invite;
    $('onboard-creator-link').value = `${location.origin}/r/${roomId}#${fragmentOf(link)}`;
    drawQr($('onboard-qr'), invite);
  }
  const j = info.json || {};
  const minutes = Math.max(0, Math.round((j.expiresAt - j.serverTime) / 60000));
  $('join-info').textContent = created ? `The room burns in about ${minutes} min.`
    : `${j.members} member(s) inside; the room burns in about ${minutes} min.${j.locked ? ' It is locked right now.' : ''}`;
  $('name').value = madeUpName();
  show('screen-join');
  $('name').focus();
  $('name').select();
}

async function copy(text, done) {
  try {
    await navigator.clipboard.writeText(text);
  } catch (e) {
    const ta = document.createElement('textarea');
    ta.value = text;
    document.body.append(ta);
    ta.select();
    document.execCommand('copy');
    ta.remove();
  }
  if (app && app.view) app.view.status(done);
}

/** "I saved it": the PIN leaves the screen (the session still has it, in memory). */
function pinSaved() {
  $('pin-value').textContent = '';
  $('pin-once').hidden = true;
  if (app) app.pinSavedClicked = true;
}

async function onJoin(e) {
  e.preventDefault();
  const name = $('name').value.trim();
  if (!name || !app) return;
  const roomId = app.roomId;
  // The PIN was shown on the join screen; from now on it lives only in the session's memory (and in the invite
  // panel's memory until the creator marks it saved).
  const creatorPin = app.createdPin;
  const onboardingPin = creatorPin && !app.pinSavedClicked ? creatorPin : null;
  $('pin-value').textContent = '';
  $('pin-once').hidden = true;
  for (const id of ['onboard-link', 'onboard-creator-link']) $(id).value = '';
  $('onboard-qr').replaceChildren();
  const view = new RoomView({ roomId, pin: onboardingPin, endings: { burn, closed: onClosed } });
  const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
  const session = new Session({
    roomId, link: app.link, name, url: `${proto}//${location.host}/ws/rooms/${roomId}`,
    WebSocketImpl: WebSocket, onEvent: (ev) => view.on(ev), created: app.created,
  });
  view.session = session;
  Object.assign(app, { view, session, link: null, created: null, createdPin: null });
  if (creatorPin) session.setPin(creatorPin);
  view.renderAdmin();
  $('room-h').textContent = 'Room';
  show('screen-room');
  $('message').focus();
  // Closing or reloading the tab while in a room asks first: the key leaves with the tab.
  window.onbeforeunload = (ev) => {
    if (app && app.session && !app.session.isOver()) {
      ev.preventDefault();
      ev.returnValue = '';
      return '';
    }
    return undefined;
  };
  try {
    await session.start();
    view.renderShare(session.inviteFragment(), session.creatorFragment());
  } catch (ex) {
    showClosed('Could not start', `This browser could not set up the encryption (${ex.message}).`, 'closed');
  }
}

// ---------- endings ----------

/** Forgets the room in this tab: the session already wiped its keys; here the DOM and the references go. */
function wipeRoom() {
  if (!app) return;
  window.onbeforeunload = null;
  if (app.session) app.session.wipe();
  if (app.view) app.view.wipe();
  const roomId = app.roomId;
  app = null;
  for (const input of document.querySelectorAll('input, textarea')) input.value = '';
  // Leave only the key-less room path in history: a reload or Back shows "not found", never the content.
  history.replaceState(null, '', `/r/${roomId}`);
  $('screen-room').classList.remove('burning');
}

function burn() {
  if (!app || app.burning) return;
  app.burning = true;
  const burnedAt = Date.now();
  const reduced = globalThis.matchMedia && matchMedia('(prefers-reduced-motion: reduce)').matches;
  // The message texts are gone from the DOM at once; what burns on screen is an empty shell.
  if (app.view) {
    app.view.list.clearTexts();
    app.view.attachments.wipe();
  }
  $('screen-room').classList.add('burning');
  setTimeout(() => {
    wipeRoom();
    const screen = $('screen-burned');
    screen.dataset.burnedAt = String(burnedAt);
    show('screen-burned');
  }, reduced ? 0 : BURN_ANIMATION_MS);
}

function onClosed(e) {
  if (e.why === 'not_found') {
    wipeRoom();
    show('screen-not-found');
    return;
  }
  const byCode = e.why === 'refused' && CLOSED[e.code] ? e.code : e.why;
  const [testid, title, text] = CLOSED[byCode] || ['closed', 'Disconnected', 'The connection ended.'];
  wipeRoom();
  showClosed(title, text, testid);
}

// ---------- wiring ----------

function onComposerKey(e) {
  if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
    e.preventDefault();
    $('composer').requestSubmit();
  }
  if (e.key === 'Escape' && app && app.view) app.view.cancelReply();
}

async function onSend(e) {
  e.preventDefault();
  const input = $('message');
  const text = input.value;
  if (!text.trim() || !app || !app.session) return;
  input.value = '';
  const replyTo = app.view.replyTo;
  app.view.cancelReply();
  try {
    await app.session.send(text, replyTo);
  } catch (ex) {
    input.value = text;
    app.view.status(ex.message);
  }
  input.focus();
}

function onPin(e) {
  e.preventDefault();
  const pin = $('pin').value.trim();
  if (!pin || !app || !app.session) return;
  app.session.setPin(pin);
  $('pin').value = '';
  app.view.renderAdmin();
  app.view.status('PIN kept in memory for this tab. Controls are enabled.');
}

const inRoom = (fn) => () => app && app.session && fn(app.session, app.view);

function wire() {
  $('create-form').addEventListener('submit', onCreate);
  $('ttl').addEventListener('change', () => {
    $('ttl-custom-row').hidden = $('ttl').value !== 'custom';
  });
  $('paste-form').addEventListener('submit', onPaste);
  $('join-form').addEventListener('submit', onJoin);
  $('copy-pin').addEventListener('click', () => copy($('pin-value').textContent, 'PIN copied.'));
  $('pin-saved').addEventListener('click', () => {
    pinSaved();
    $('name').focus();
  });
  $('onboard-copy').addEventListener('click', () => copy($('onboard-link').value, 'Link copied.'));
  $('composer').addEventListener('submit', onSend);
  wireAttachments(() => (app && app.view && app.session && !app.session.isOver() ? app.view.attachments : null));
  $('message').addEventListener('keydown', onComposerKey);
  $('copy').addEventListener('click', () => copy($('share').value, 'Link copied.'));
  $('pin-form').addEventListener('submit', onPin);
  $('lock').addEventListener('click', inRoom((s) => s.admin('lock')));
  $('unlock').addEventListener('click', inRoom((s) => s.admin('unlock')));
  for (const [id, minutes] of [['extend-5', 5], ['extend', 15], ['extend-60', 60]]) {
    $(id).addEventListener('click', inRoom((s) => s.admin('extend', { seconds: minutes * 60 })));
  }
  $('burn-now').addEventListener('click', () => {
    $('burn-confirm').hidden = false;
    $('confirm-burn').focus();
  });
  $('cancel-burn').addEventListener('click', () => {
    $('burn-confirm').hidden = true;
    $('burn-now').focus();
  });
  $('confirm-burn').addEventListener('click', inRoom((s) => {
    $('burn-confirm').hidden = true;
    s.admin('burn');
  }));
  $('leave').addEventListener('click', inRoom((s) => s.leave()));
  $('show-invite').addEventListener('click', inRoom((s, v) => v.openInvitePanel()));
  $('invite-panel-close').addEventListener('click', inRoom((s, v) => v.closeInvitePanel()));
  $('invite-panel-saved').addEventListener('click', inRoom((s, v) => v.pinSaved()));
  $('mark-compared').addEventListener('click', inRoom((s, v) => v.markCompared()));
  $('reply-cancel').addEventListener('click', inRoom((s, v) => v.cancelReply()));
  $('opt-sound').addEventListener('change', inRoom((s, v) => {
    v.attention.sound = $('opt-sound').checked;
  }));
  $('opt-notify').addEventListener('change', inRoom(async (s, v) => {
    $('opt-notify').checked = await v.attention.setNotify($('opt-notify').checked);
  }));
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