// Switching between the page's screens: one <section> shows at a time, its heading takes focus (screen readers
// hear where they are), and each way a room can end has its own closed screen and test hook.

export const $ = (id) => document.getElementById(id);

export function show(screen) {
  for (const s of document.querySelectorAll('main > section')) s.hidden = s.id !== screen;
  const h = document.querySelector(`#${screen} h1`);
  if (h) h.focus({ preventScroll: true });
}

/** One screen per way a room can end for you, each with its own test hook. */
export const CLOSED = {
  kicked: ['closed-kicked', 'You were removed', 'The creator removed you from this room. Your keys for it are gone.'],
  banned: ['closed-kicked', 'You were removed', 'The creator removed you from this room; this seat cannot come back.'],
  room_locked: ['closed-locked', 'The room is locked', 'The room is locked: the creator is not letting anyone in right now.'],
  room_full: ['closed-full', 'The room is full', 'The room has as many members as it may. Try again when someone leaves.'],
  refused: ['closed', 'You cannot enter', 'The server refused this seat.'],
  lockout: ['closed-lockout', 'Locked out', 'Too many wrong PINs or too many messages from this connection. Try again later.'],
  protocol: ['closed', 'Disconnected', 'The server closed the connection because of a protocol error.'],
  replaced: ['closed-replaced', 'Opened elsewhere', 'This seat was taken over by another tab or device.'],
  left: ['closed-left', 'You left', 'You left the room. Its keys are gone from this tab.'],
  link_rotated: ['closed-link-rotated', 'This link no longer works', 'The creator changed the room\'s link (after removing someone), or the link is not this room\'s. Ask a member for the new link.'],
};

export function showClosed(title, text, testid) {
  $('closed-h').textContent = title;
  $('closed-text').textContent = text;
  $('screen-closed').setAttribute('data-testid', testid);
  show('screen-closed');
}
