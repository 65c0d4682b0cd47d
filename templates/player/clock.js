// The player's playback clock, as pure functions of what they are given: which frame
// comes after which under a loop mode, which frame is due at a given time, which frames
// to ask for ahead of time, and how many requests to keep in flight for the measured
// round trip. No DOM, no timers, no bridge: the page calls these on every animation
// frame, and the tests call them with made-up times.
//
// A "mode" is {count, loop}: count is the frame count, or null while it is unknown (a
// generator that has not run out yet); loop is one of LIMITS.loopModes. A position is
// {index, dir}: dir is +1 playing forward, -1 in reverse.

import { LIMITS } from "../limits.js";

// In the order ipyanimagic/limits.py lists them (a test holds them there).
const [ONCE, LOOP, REFLECT] = LIMITS.loopModes;

// The position after frame i going dir, or null at the end of "once". "loop" wraps to
// the other end; "reflect" turns around (and stays put on a single frame).
export function step(i, dir, { count, loop }) {
  const last = count !== null ? count - 1 : null;
  let j = i + dir;
  if (j < 0 || (last !== null && j > last)) {
    if (loop === LOOP) j = dir > 0 ? 0 : (last ?? 0);
    else if (loop === REFLECT) {
      dir = -dir;
      j = i + dir;
      if (j < 0 || (last !== null && j > last)) j = i;
    } else return null;
  }
  return { index: j, dir };
}

// The position k steps after i. Past the end of "once" it stops at the last position
// reached, or is null when not even one step is possible.
export function advance(i, dir, k, mode) {
  let pos = { index: i, dir };
  for (let n = 0; n < k; n++) {
    const next = step(pos.index, pos.dir, mode);
    if (!next) return n === 0 ? null : pos;
    pos = next;
  }
  return pos;
}

// The frames the player shows next, n steps of playback order from where it is (and
// the ones it shows and wants now): the store must not evict these. At rest the order
// is taken forward.
export function upcoming({ current, target, direction }, n, mode) {
  const out = new Set([current, target]);
  let i = current < 0 ? target : current;
  let dir = direction || 1;
  for (let k = 0; k < n; k++) {
    const next = step(i, dir, mode);
    if (!next) break;
    ({ index: i, dir } = next);
    out.add(i);
  }
  return out;
}

// Play from the end of a "once" run starts over, as a video player does: the frame to
// jump to before playing in direction dir from `current`, or null to play from there.
export function restartFor(current, dir, { count, loop }) {
  if (loop !== ONCE || count === null) return null;
  const last = count - 1;
  if (dir > 0 && current >= last) return 0;
  if (dir < 0 && current <= 0) return last;
  return null;
}

// What one animation-frame callback does while playing, from `start` (the frame shown)
// at time `now` (ms) with the next frame due at `nextDue`:
//   {end: true}: nothing comes after `start` (end of "once"): stop.
//   else {prefetchFrom, show, skipped, nextDue}: ask for the frames after
//   `prefetchFrom`; show the position `show` (null: nothing to show yet, keep waiting);
//   `skipped` frames were dropped to get there; `nextDue` is when the next one is due.
// Without realtime every frame is shown in turn and the clock waits for late ones.
// With realtime the clock decides the due frame and late ones are skipped; when the
// due frame is not here, the latest one on the way to it that is here is shown.
// `has(i)` says whether frame i is decoded and ready.
export function tick({ start, direction, nextDue, now, fps, realtime, has }, mode) {
  if (step(start, direction, mode) === null) return { end: true };
  const period = 1000 / fps;
  const owed = realtime && now > nextDue ? 1 + Math.floor((now - nextDue) / period) : 1;
  const due = advance(start, direction, owed, mode);
  const prefetchFrom = owed > 1 ? advance(start, direction, owed - 1, mode).index : start;
  const plan = { prefetchFrom, show: null, skipped: 0, nextDue };
  if (now < nextDue || !due) return plan;
  let shown = null;
  if (has(due.index)) shown = due;
  else if (owed > 1) {
    for (let k = owed - 1; k >= 1 && !shown; k--) {
      const pos = advance(start, direction, k, mode);
      if (pos && has(pos.index)) shown = pos;
    }
  }
  if (!shown) return plan;
  plan.show = shown;
  plan.skipped = shown === due ? owed - 1 : 0;
  plan.nextDue = nextDue + period * (shown === due ? owed : 1);
  // Fell behind (the kernel could not keep up): carry on from now, no burst. (Not
  // now + period: animation frames come irregularly, and that would skip the next one.)
  if (now - plan.nextDue > period) plan.nextDue = now;
  return plan;
}

// The next frames after `from` in playback order that are neither here nor on their
// way (`skip(i)` is true for those), at most `want` of them, looking `horizon` steps
// ahead.
export function toPrefetch({ from, direction, horizon, want, skip }, mode) {
  const missing = [];
  let pos = { index: from, dir: direction };
  for (let k = 0; k < horizon && missing.length < want; k++) {
    pos = step(pos.index, pos.dir, mode);
    if (!pos) break;
    if (!skip(pos.index)) missing.push(pos.index);
  }
  return missing;
}

// How much to keep on its way while playing, from the transport's round trip (ms,
// without the kernel's drawing time: when drawing is the limit, bigger batches would
// only add latency) and the speed:
//   ahead: frames that must be on their way to play through one round trip, with room
//     to spare (a Jupyter Server without ipyanimagic's extension adds ~45 ms to each
//     round trip; with it, one costs ~10 ms);
//   window: requests in flight; batch: frames per request.
// A short round trip needs few frames on their way: at ~10 ms and 60 fps, two requests
// of one frame each, where ~50 ms takes four of two. Each frame then arrives as soon as
// it is drawn, instead of waiting for the rest of its batch.
export function flow(netRtt, fps) {
  const ahead = Math.ceil(((netRtt * fps) / 1000) * LIMITS.spare) + 1;
  const window = Math.max(LIMITS.minWindow, Math.min(LIMITS.maxWindow, ahead));
  const batch = Math.max(1, Math.min(LIMITS.maxBatch, Math.ceil(ahead / window)));
  return { ahead, window, batch };
}

// Decoded frames to keep: what is on its way plus a few (each costs width x height x 4
// bytes), never more than LIMITS.maxKeep.
export function keepBound({ window, batch }) {
  return Math.min(LIMITS.maxKeep, window * batch + 6);
}

// The speed the speed field asks for, within LIMITS.fpsMax; `fallback` when the field
// holds no positive number.
export function speed(value, fallback) {
  const v = Number(value);
  return v > 0 && Number.isFinite(v) ? Math.min(v, LIMITS.fpsMax) : fallback;
}

// ms of drawing past which a frame is not asked for ahead at rest: a guess that slow
// would hold the kernel (and a cell run meanwhile) for a frame nobody may ask for.
export const AHEAD_MAX_DRAW_MS = 100;

// Frames asked for ahead at rest: two, so that clicks faster than a round trip find
// the next one there too.
export const AHEAD_AT_REST = 2;

// The frames to ask for ahead while at rest on frame i, after steps of `dir` (Next:
// +1, Previous: -1): the next AHEAD_AT_REST that way, within 0..last; none when frames
// take longer than AHEAD_MAX_DRAW_MS to draw (`drawMs`, measured).
export function nextAtRest(i, dir, last, drawMs) {
  if (!(drawMs <= AHEAD_MAX_DRAW_MS)) return [];
  const by = dir < 0 ? -1 : 1;
  const out = [];
  for (let j = i + by; out.length < AHEAD_AT_REST && j >= 0 && j <= last; j += by) {
    out.push(j);
  }
  return out;
}
