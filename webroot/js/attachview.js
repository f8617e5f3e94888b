// Attachments on the room screen: the file button, drag and drop, pasted images, and one list item per file with
// its progress, its error and, once its hash checked out, the image inline or a download link. Decrypted files
// exist only as Blobs behind object URLs; every URL is revoked and every item removed when the room ends.
// Names go in through textContent; a non-image is offered as application/octet-stream, so nothing renders it.

import { formatSize } from './attachments.js';
import { $ } from './screens.js';

export class AttachmentView {
  /**
   * @param {object} o
   * @param {(li: HTMLElement) => void} o.append puts an item at the end of the message list
   * @param {() => (import('./session.js').Session|null)} o.session
   */
  constructor({ append, session }) {
    this.append = append;
    this.session = session;
    /** ui key -> {li, progress, label, body, error, actions, name, size, mime, self} */
    this.items = new Map();
    this.urls = new Set();
  }

  /** A file the sender refused before anything was sent (too big, empty, not connected). */
  refuse(text) {
    const p = $('attach-error');
    p.textContent = text;
    p.hidden = false;
  }

  clearRefusal() {
    $('attach-error').hidden = true;
    $('attach-error').textContent = '';
  }

  /** Session events of type `attachment` (transfers.js). */
  on(e) {
    if (e.phase === 'start') {
      this.start(e);
      return;
    }
    const it = this.items.get(e.ui);
    if (!it) return;
    if (e.phase === 'progress') this.progress(it, e);
    else if (e.phase === 'done') this.done(it, e);
    else if (e.phase === 'error' || e.phase === 'stalled') this.error(it, e.text, e.retry, e.phase === 'stalled');
    else if (e.phase === 'cancelled') this.cancelled(it, e.text);
  }

  start(e) {
    const old = this.items.get(e.ui);
    if (old) this.release(old);
    const li = document.createElement('li');
    li.className = e.self ? 'msg self attachment' : 'msg attachment';
    li.setAttribute('data-testid', 'attachment');
    li.dataset.state = 'transfer';
    const who = document.createElement('span');
    who.className = 'who';
    who.textContent = e.self ? 'You' : `${e.from}${e.badge ? ` ${e.badge}` : ''}`;
    const time = document.createElement('time');
    time.textContent = new Date().toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
    const label = document.createElement('p');
    label.className = 'file-label';
    label.textContent = `${e.name} · ${formatSize(e.size)}`;
    const progress = document.createElement('progress');
    progress.setAttribute('data-testid', 'attachment-progress');
    progress.max = e.total;
    progress.value = e.done || 0;
    progress.setAttribute('aria-label', `${e.self ? 'Sending' : 'Receiving'} ${e.name}`);
    const state = document.createElement('span');
    state.className = 'file-state small';
    const body = document.createElement('div');
    body.className = 'file-body';
    const actions = document.createElement('span');
    actions.className = 'file-actions';
    li.append(who, time, label, progress, state, body, actions);
    const it = { ui: e.ui, li, progress, state, body, actions, name: e.name, size: e.size, mime: e.mime, self: e.self };
    this.items.set(e.ui, it);
    if (old) old.li.replaceWith(li);
    else this.append(li);
    this.progress(it, e);
    // The sender sees its own image at once, from the file it picked.
    if (e.self && e.blob) this.show(it, e.blob, false);
    this.buttons(it, [[e.self ? 'Cancel' : 'Discard', `${e.self ? 'Cancel sending' : 'Discard'} ${e.name}`, () => this.cancel(it)]]);
  }

  progress(it, e) {
    if (it.li.dataset.state === 'stalled') {
      // Chunks flow again: the "stuck" line goes.
      it.li.dataset.state = 'transfer';
      if (it.error) it.error.remove();
      it.error = null;
    }
    it.progress.max = e.total;
    it.progress.value = e.done;
    const pct = e.total ? Math.floor((100 * e.done) / e.total) : 0;
    it.state.textContent = `${e.note ? `${e.note} ` : ''}${it.self ? 'Sending' : 'Receiving'}… ${pct} %`;
  }

  done(it, e) {
    it.li.dataset.state = 'done';
    it.progress.hidden = true;
    it.state.textContent = it.self ? 'Sent.' : '';
    this.buttons(it, []);
    if (!it.self) this.show(it, e.blob, true);
  }

  /** An image inline (decrypted into an object URL), anything else a download link with name and size. */
  show(it, blob, link) {
    const url = URL.createObjectURL(blob);
    this.urls.add(url);
    it.url = url;
    it.body.replaceChildren();
    if (blob.type.startsWith('image/')) {
      // The picture gets its height only once decoded: keep the log at the bottom if it was there.
      const log = it.li.parentElement;
      const stick = !!log && log.scrollTop + log.clientHeight >= log.scrollHeight - 40;
      const img = document.createElement('img');
      img.addEventListener('load', () => {
        if (stick && it.li.isConnected) log.scrollTop = log.scrollHeight;
      });
      img.src = url;
      img.alt = it.name;
      img.className = 'file-image';
      it.body.append(img);
    }
    if (link || !blob.type.startsWith('image/')) {
      const a = document.createElement('a');
      a.href = url;
      a.download = it.name;
      a.className = 'file-link';
      a.textContent = `Download ${it.name} (${formatSize(it.size)})`;
      it.body.append(a);
    }
  }

  error(it, text, retry, stalled) {
    it.li.dataset.state = stalled ? 'stalled' : 'error';
    if (!stalled) {
      it.progress.hidden = true;
      it.state.textContent = '';
    }
    // A new line (not a changed one), so the log's live region reads it out.
    if (it.error) it.error.remove();
    it.error = document.createElement('p');
    it.error.className = 'file-error';
    it.error.setAttribute('data-testid', 'attachment-error');
    it.error.textContent = `⚠ ${text}`;
    it.body.before(it.error);
    if (stalled) return;
    if (!it.self) this.release(it, true);
    this.buttons(it, retry ? [
      ['Retry', `Send ${it.name} again`, () => this.retry(it)],
      ['Dismiss', `Dismiss ${it.name}`, () => this.cancel(it)],
    ] : []);
  }

  cancelled(it, text) {
    it.li.dataset.state = 'cancelled';
    it.progress.hidden = true;
    it.state.textContent = text;
    this.release(it, true);
    this.buttons(it, []);
  }

  buttons(it, list) {
    it.actions.replaceChildren();
    for (const [text, label, fn] of list) {
      const b = document.createElement('button');
      b.type = 'button';
      b.className = 'small-button';
      b.textContent = text;
      b.setAttribute('aria-label', label);
      b.addEventListener('click', fn);
      it.actions.append(b);
    }
  }

  cancel(it) {
    const s = this.session();
    if (s) s.transfers.cancel(it.ui);
  }

  async retry(it) {
    const s = this.session();
    if (!s) return;
    if (it.error) it.error.remove();
    it.error = null;
    it.li.dataset.state = 'transfer';
    it.progress.hidden = false;
    this.buttons(it, [['Cancel', `Cancel sending ${it.name}`, () => this.cancel(it)]]);
    await s.transfers.retry(it.ui);
  }

  /** Forgets an item's file: the object URL is revoked and the picture or link goes. */
  release(it, keepItem = false) {
    if (it.url) {
      URL.revokeObjectURL(it.url);
      this.urls.delete(it.url);
      it.url = null;
    }
    it.body.replaceChildren();
    if (!keepItem) this.items.delete(it.ui);
  }

  /** Burn: every object URL revoked, every item gone. */
  wipe() {
    for (const url of this.urls) URL.revokeObjectURL(url);
    this.urls.clear();
    for (const it of this.items.values()) it.li.remove();
    this.items.clear();
    this.clearRefusal();
    $('attach').value = '';
  }
}

/**
 * Sends files the user picked, dropped or pasted. Too big is said before the file is even read.
 * @param {AttachmentView} view
 */
export async function sendFiles(view, files) {
  view.clearRefusal();
  for (const file of files) {
    const s = view.session();
    if (!s || s.isOver()) return;
    const max = s.transfers.maxBytes;
    if (max && file.size > max) {
      view.refuse(`${file.name} is ${formatSize(file.size)}; this room takes files up to ${formatSize(max)}. Nothing was sent.`);
      continue;
    }
    const bytes = new Uint8Array(await file.arrayBuffer());
    const r = await s.sendFile({ name: file.name || 'pasted image', type: file.type, bytes });
    if (r && r.error) view.refuse(r.error);
  }
}

/**
 * The file button, drag and drop onto the conversation, and images pasted into the message box.
 * @param {() => (AttachmentView|null)} viewOf the room's attachment view, if a room is open
 */
export function wireAttachments(viewOf) {
  const send = (files) => {
    const view = viewOf();
    if (view && files.length) sendFiles(view, files);
  };
  const input = $('attach');
  input.addEventListener('change', () => {
    const files = [...input.files];
    input.value = '';
    send(files);
  });
  const chat = document.querySelector('.chat');
  chat.addEventListener('dragover', (e) => {
    if (!e.dataTransfer || ![...e.dataTransfer.types].includes('Files') || !viewOf()) return;
    e.preventDefault();
    chat.classList.add('dropping');
  });
  chat.addEventListener('dragleave', () => chat.classList.remove('dropping'));
  chat.addEventListener('drop', (e) => {
    chat.classList.remove('dropping');
    if (!e.dataTransfer || !e.dataTransfer.files.length) return;
    e.preventDefault();
    send([...e.dataTransfer.files]);
  });
  $('message').addEventListener('paste', (e) => {
    const files = e.clipboardData ? [...e.clipboardData.files].filter((f) => f.type.startsWith('image/')) : [];
    if (!files.length) return;
    e.preventDefault();
    send(files);
  });
}
