// Telling someone that something happened while the tab was in the background, all in this page and never with
// message text: an unread count in the tab title, an optional short tone, an optional desktop notification.

export class Attention {
  constructor(doc = document) {
    this.doc = doc;
    this.baseTitle = doc.title;
    this.unread = 0;
    this.sound = false;
    this.notify = false;
    this.audio = null;
    doc.addEventListener('visibilitychange', () => {
      if (!doc.hidden) this.clear();
    });
  }

  /** A message arrived: counted, and announced as configured, only while the tab is not being looked at. */
  onMessage() {
    if (!this.doc.hidden) return;
    this.unread++;
    this.doc.title = `(${this.unread}) ${this.baseTitle}`;
    if (this.sound) this.tone();
    if (this.notify && globalThis.Notification && Notification.permission === 'granted') {
      try {
        // The same words for every message: nothing of the room's content leaves the page.
        new Notification('Burnroom', { body: 'New message in your room', tag: 'burnroom', silent: true });
      } catch (e) {
        // some browsers only allow notifications from a service worker; the title count still works
      }
    }
  }

  clear() {
    this.unread = 0;
    this.doc.title = this.baseTitle;
  }

  tone() {
    try {
      this.audio = this.audio || new AudioContext();
      const osc = this.audio.createOscillator();
      const gain = this.audio.createGain();
      gain.gain.value = 0.05;
      osc.frequency.value = 880;
      osc.connect(gain).connect(this.audio.destination);
      osc.start();
      osc.stop(this.audio.currentTime + 0.12);
    } catch (e) {
      // no audio here: the count in the title is enough
    }
  }

  /** Asks for permission when turned on; returns whether desktop notifications are on. */
  async setNotify(on) {
    if (on && globalThis.Notification && Notification.permission !== 'granted') {
      on = (await Notification.requestPermission()) === 'granted';
    }
    this.notify = !!on && !!globalThis.Notification;
    return this.notify;
  }

  /** The room ended: back to the plain title, nothing switched on for the next one. */
  reset() {
    this.clear();
    this.sound = false;
    this.notify = false;
  }
}
