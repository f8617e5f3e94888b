// Server frames are hostile input. Each one is checked against its schema here, before the session lets it
// touch any state: a frame that does not fit is dropped whole (issue 26, "malformed frames change nothing").

const ID = /^[A-Za-z0-9_-]{1,64}$/;
const CODE = /^[a-z_]{1,40}$/;
const ADMIN_OPS = new Set(['kick', 'lock', 'unlock', 'extend', 'burn', 'rotate']);
const MAX_BODY = 90_000;
const MAX_PROFILE = 8192;
const MAX_MEMBERS = 256;

const str = (v, max) => typeof v === 'string' && v.length >= 1 && v.length <= max;
const id = (v) => typeof v === 'string' && ID.test(v);
/** Epoch milliseconds: a finite whole number in a sane range (2020 .. 2100). */
const time = (v) => Number.isSafeInteger(v) && v > 1_577_836_800_000 && v < 4_102_444_800_000;
const seq = (v) => Number.isSafeInteger(v) && v >= 0;
const optional = (v, check) => v === undefined || check(v);

const SCHEMAS = {
  joined: (f) => id(f.memberId) && str(f.resumeToken, 512) && Array.isArray(f.members) && f.members.length <= MAX_MEMBERS
    && f.members.every((m) => m && typeof m === 'object' && id(m.memberId) && str(m.profile, MAX_PROFILE))
    && time(f.expiresAt) && time(f.serverTime) && typeof f.locked === 'boolean' && optional(f.seq, seq)
    && optional(f.maxAttachmentBytes, (n) => Number.isSafeInteger(n) && n > 0),
  member_joined: (f) => id(f.memberId) && str(f.profile, MAX_PROFILE),
  member_left: (f) => id(f.memberId) && (f.reason === 'left' || f.reason === 'kicked'),
  msg: (f) => id(f.from) && seq(f.seq) && str(f.id, 64) && str(f.body, MAX_BODY) && optional(f.direct, (d) => typeof d === 'boolean'),
  ack: (f) => str(f.id, 64) && seq(f.seq),
  chunk: (f) => id(f.from) && str(f.id, 64) && str(f.body, MAX_BODY) && optional(f.direct, (d) => typeof d === 'boolean'),
  chunk_ack: (f) => str(f.id, 64),
  tick: (f) => time(f.expiresAt) && time(f.serverTime) && Number.isFinite(f.remainingMs),
  pong: (f) => time(f.serverTime),
  extended: (f) => time(f.expiresAt),
  locked: (f) => typeof f.locked === 'boolean',
  burned: () => true,
  error: (f) => typeof f.code === 'string' && CODE.test(f.code),
  admin_ok: (f) => typeof f.op === 'string' && ADMIN_OPS.has(f.op),
};

/** @returns {boolean} true when the frame is an object of a known type whose fields all fit their schema */
export function validFrame(f) {
  if (!f || typeof f !== 'object' || Array.isArray(f) || typeof f.type !== 'string') return false;
  const check = SCHEMAS[f.type];
  return !!check && check(f) === true;
}
