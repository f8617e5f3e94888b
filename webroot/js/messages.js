// The message list of the room screen: messages with their replies and reactions. Text goes in through
// textContent only. Each message is known by its key (sender fingerprint and number in that sender's order),
// which every screen computes alike, so a reply or a reaction names the same message everywhere.

import { REACTIONS } from './content.js';

export class MessageList {
  /**
   * @param {HTMLOListElement} list
   * @param {{onReply: Function, onReact: Function}} actions
   */
  constructor(list, actions) {
    this.list = list;
    this.actions = actions;
    /** client id -> li (for acks); key -> {li, text, name} (for replies and reactions) */
    this.byId = new Map();
    this.byKey = new Map();
    /** key -> emoji -> Set of fingerprints */
    this.reactions = new Map();
    this.myFp = null;
  }

  add(e) {
    const li = document.createElement('li');
    li.className = e.self ? 'msg self' : 'msg';
    if (e.pending) li.classList.add('pending');
    li.setAttribute('data-testid', 'message');
    if (e.self) this.myFp = e.fp;
    const who = document.createElement('span');
    who.className = 'who';
    who.textContent = `${e.name}${e.badge ? ` ${e.badge}` : ''}${e.self ? ' (you)' : ''}`;
    const time = document.createElement('time');
    const at = Number.isFinite(e.at) ? new Date(e.at) : new Date();
    time.textContent = at.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
    li.append(who, time, this.actionsFor(e));
    if (e.re) {
      const quote = document.createElement('blockquote');
      quote.className = 'quote';
      quote.setAttribute('data-testid', 'quote');
      quote.textContent = `${e.re.n}: ${e.re.x}`;
      li.append(quote);
    }
    const text = document.createElement('p');
    text.className = 'text';
    text.textContent = e.text;
    const reactions = document.createElement('div');
    reactions.className = 'reactions';
    li.append(text, reactions);
    this.byId.set(e.id, li);
    if (e.key) this.byKey.set(e.key, { li, text: e.text, name: e.name, reactions });
    this.append(li);
    if (e.key) this.renderReactions(e.key);
  }

  actionsFor(e) {
    const box = document.createElement('span');
    box.className = 'msg-actions';
    if (!e.key) return box;
    const reply = document.createElement('button');
    reply.type = 'button';
    reply.setAttribute('data-testid', 'reply');
    reply.textContent = 'Reply';
    reply.setAttribute('aria-label', `Reply to ${e.name}`);
    reply.addEventListener('click', () => this.actions.onReply({ key: e.key, name: e.name, text: e.text }));
    const react = document.createElement('button');
    react.type = 'button';
    react.setAttribute('data-testid', 'react');
    react.textContent = 'React';
    react.setAttribute('aria-label', `React to ${e.name}'s message`);
    react.setAttribute('aria-expanded', 'false');
    const picker = document.createElement('span');
    picker.className = 'react-picker';
    picker.hidden = true;
    for (const emoji of REACTIONS) {
      const b = document.createElement('button');
      b.type = 'button';
      b.setAttribute('data-testid', 'react-choice');
      b.textContent = emoji;
      b.setAttribute('aria-label', `React with ${emoji}`);
      b.addEventListener('click', () => {
        picker.hidden = true;
        react.setAttribute('aria-expanded', 'false');
        this.actions.onReact(e.key, emoji, !this.mine(e.key, emoji));
        react.focus();
      });
      picker.append(b);
    }
    react.addEventListener('click', () => {
      picker.hidden = !picker.hidden;
      react.setAttribute('aria-expanded', String(!picker.hidden));
      if (!picker.hidden) picker.firstChild.focus();
    });
    box.append(reply, react, picker);
    return box;
  }

  mine(key, emoji) {
    const set = this.reactions.get(key)?.get(emoji);
    return !!(set && this.myFp && set.has(this.myFp));
  }

  onReaction(r) {
    if (r.self) this.myFp = r.fp;
    let byEmoji = this.reactions.get(r.key);
    if (!byEmoji) {
      byEmoji = new Map();
      this.reactions.set(r.key, byEmoji);
    }
    const set = byEmoji.get(r.emoji) || new Set();
    if (r.on) set.add(r.fp);
    else set.delete(r.fp);
    byEmoji.set(r.emoji, set);
    this.renderReactions(r.key);
  }

  renderReactions(key) {
    const target = this.byKey.get(key);
    const byEmoji = this.reactions.get(key);
    if (!target || !byEmoji) return;
    target.reactions.replaceChildren();
    for (const [emoji, set] of byEmoji) {
      if (!set.size) continue;
      const chip = document.createElement('span');
      chip.className = this.myFp && set.has(this.myFp) ? 'reaction mine' : 'reaction';
      chip.setAttribute('data-testid', 'reaction');
      chip.textContent = `${emoji} ${set.size}`;
      target.reactions.append(chip);
    }
  }

  system(text, level = 'info', testid = null) {
    const li = document.createElement('li');
    li.className = `system ${level}`;
    if (testid) li.setAttribute('data-testid', testid);
    li.textContent = text;
    this.append(li);
  }

  append(li) {
    const list = this.list;
    const stick = list.scrollTop + list.clientHeight >= list.scrollHeight - 40;
    list.append(li);
    if (stick) li.scrollIntoView({ block: 'end' });
  }

  acked(id) {
    const li = this.byId.get(id);
    if (li) li.classList.remove('pending');
  }

  /** Burn: the texts go at once, then everything the list knew. */
  clearTexts() {
    for (const p of this.list.querySelectorAll('.text, .quote')) p.textContent = '';
  }

  wipe() {
    this.byId.clear();
    this.byKey.clear();
    this.reactions.clear();
    this.list.replaceChildren();
  }
}
