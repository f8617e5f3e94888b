// What a message may carry once decrypted, checked the same way when sending and when receiving: text up to a
// length, a short quote for replies, one of a fixed set of reactions (so a reaction can say nothing else).

/** Longest message text (characters) the client accepts to send; keeps every body well under the 64 KiB frame. */
export const MAX_TEXT_CHARS = 4000;
/** The reactions a member can toggle on a message: a small fixed set, so a reaction says nothing else. */
export const REACTIONS = ['👍', '❤️', '😂', '😮', '😢', '🔥'];
/** How much of a message a reply quotes. */
export const QUOTE_CHARS = 140;

export function validQuote(re) {
  return !!re && typeof re === 'object' && typeof re.k === 'string' && re.k.length <= 64 && typeof re.n === 'string'
    && re.n.length <= 64 && typeof re.x === 'string' && [...re.x].length <= QUOTE_CHARS;
}
