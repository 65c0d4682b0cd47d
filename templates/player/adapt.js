// Playing over the link the page measures (issue 21), as pure rules: from the bytes
// received per second (goodput), the frames shown per second against the asked fps, the
// fastest recent round trip and the bytes of a frame at each JPEG quality, which quality
// to ask frames at while playing, and how many frames to keep on their way. No DOM, no
// timers, no bridge: the player calls these on every animation frame, the tests call
// them with made-up times. (At rest nothing here applies: the frame is lossless PNG at
// the page's full resolution.)
//
// The order of what gives: quality first (a ladder, LIMITS.qualityLadder, topped and
// capped by the player's `quality`), then frames (the clock shows fewer: it waits for
// late ones, or skips them in realtime). Resolution is not lowered: the store keeps
// frames of one ratio (store.js), and a ratio change while playing would drop every
// frame on its way.
//
// Down quickly: behind (fewer frames shown than asked) for LIMITS.adapt.downMs, while
// the kernel is not what limits (its drawing time fits the frame period) nor the page
// (its own animation frames: a page that ticks fewer times a second than the fps asked,
// and shows a frame at nearly every tick, is not waiting for the link), the player
// goes to the best rung whose bytes at the asked fps fit the goodput, and remembers that
// goodput as the link's ceiling. Up slowly: keeping up for upMs, one rung, when the next
// rung's bytes (with a margin) fit under the ceiling, or when no ceiling was measured in
// the last ceilingMs (the link may have changed: the step up is a probe, and a failed one
// comes back down within downMs).

import { LIMITS } from "../limits.js";

const A = LIMITS.adapt;

// Values over the last `ms` milliseconds: a sum per second, or the least.
export class Window {
  constructor(ms) {
    this.ms = ms;
    this.reset();
  }

  // Forget what was measured (Play starts afresh: a pause is not a slow link).
  reset() {
    this.samples = [];
    this.since = null; // the first sample's time since the reset
  }

  add(now, value) {
    this.since ??= now;
    this.samples.push([now, value]);
    this.prune(now);
  }

  prune(now) {
    while (this.samples.length && now - this.samples[0][0] > this.ms) this.samples.shift();
  }

  // Per second over the window (or since the first sample, when that is shorter); null
  // until `minMs` have passed since the first sample.
  rate(now, minMs = A.warmupMs) {
    if (this.since === null || now - this.since < minMs) return null;
    this.prune(now);
    const span = Math.min(this.ms, now - this.since);
    const sum = this.samples.reduce((t, [, v]) => t + v, 0);
    return (sum * 1000) / span;
  }

  // The least value in the window, or null when there is none.
  min(now) {
    this.prune(now);
    return this.samples.length ? Math.min(...this.samples.map(([, v]) => v)) : null;
  }
}

// The qualities to play at, best first: the user's `quality` (the cap, and the top
// rung), then the ladder's rungs below it.
export function rungs(cap) {
  const top = Math.max(LIMITS.qualityMin, Math.min(LIMITS.qualityMax, Math.round(cap)));
  return [top, ...LIMITS.qualityLadder.filter((q) => q < top)];
}

// Bytes of one frame at quality q: as measured (`sizes`: quality -> bytes), else from
// the nearest measured quality (x (q / q0) ** sizeExponent); null when none is.
export function bytesAt(q, sizes) {
  if (sizes.has(q)) return sizes.get(q);
  let near = null;
  for (const r of sizes.keys()) if (near === null || Math.abs(r - q) < Math.abs(near - q)) near = r;
  return near === null ? null : sizes.get(near) * (q / near) ** A.sizeExponent;
}

const mbit = (bytesPerS) => `${((bytesPerS * 8) / 1e6).toFixed(1)} Mbit/s`;
const perS = (fps) => `${fps.toFixed(fps < 10 ? 1 : 0)}`;

// Where a player starts playing: at `quality` (the last one it played at, the link being
// what it was), else at the top; nothing measured yet.
export function initial(cap, now, quality = null) {
  const ladder = rungs(cap);
  const q = quality === null ? ladder[0] : (ladder.find((r) => r <= quality) ?? ladder.at(-1));
  return {
    quality: q,
    changedAt: now,
    behindSince: null,
    keepingUpSince: null,
    ceiling: null, // {bps, at}: the goodput when last behind
    why: "measuring the link",
  };
}

// The state after a look at the measurements at time `now`:
//   cap: the player's `quality`; fps: the speed asked; shown: frames shown per second
//   (null until measured); goodput: bytes received per second (null until measured);
//   sizes: quality -> bytes of a frame; drawMs: the kernel's drawing time per frame;
//   ticks: the page's animation frames per second while playing (null: not measured).
// The state's `quality` is what to ask for; `why` says why, for the status line.
export function decide(state, { cap, fps, shown, goodput, sizes, drawMs, ticks = null }, now) {
  const ladder = rungs(cap);
  const s = { ...state };
  if (!ladder.includes(s.quality)) {
    s.quality = ladder.find((r) => r <= s.quality) ?? ladder.at(-1);
    s.changedAt = now;
    s.why = `quality ${s.quality}: capped by the player's quality`;
  }
  if (shown === null || goodput === null) return s;
  // More carried than the ceiling: raise it, without making it younger (what a player
  // that keeps up receives is what it asks for, not what the link could carry).
  if (s.ceiling && goodput > s.ceiling.bps) s.ceiling = { ...s.ceiling, bps: goodput };
  const i = ladder.indexOf(s.quality);
  const pace = `${perS(shown)} of ${perS(fps)} frames/s`;
  if (shown < fps * A.behind) {
    s.keepingUpSince = null;
    s.behindSince ??= now;
    if (drawMs * fps > 1000 * A.kernelBusy) {
      s.why = `quality ${s.quality}: ${pace}; the kernel's drawing (${Math.round(drawMs)} ms a frame) is the limit, not the link`;
      return s;
    }
    if (ticks !== null && ticks < fps * A.behind && shown >= ticks * A.behind) {
      s.why = `quality ${s.quality}: ${pace}; the page draws ${perS(ticks)} times a second (its display or a busy tab) and shows a frame at nearly each: the limit, not the link`;
      return s;
    }
    if (now - s.behindSince < A.downMs || now - s.changedAt < A.downMs) return s;
    s.ceiling = { bps: goodput, at: now };
    s.behindSince = null;
    if (i === ladder.length - 1) {
      s.why = `quality ${s.quality} (the lowest): ${pace}, the link carries ${mbit(goodput)}: fewer frames`;
      return s;
    }
    const fits = (q) => (bytesAt(q, sizes) ?? Infinity) * fps <= goodput * A.fit;
    let j = i + 1;
    while (j < ladder.length - 1 && !fits(ladder[j])) j++;
    s.quality = ladder[j];
    s.changedAt = now;
    s.why = `quality ${s.quality}, down from ${ladder[i]}: ${pace}, the link carries ${mbit(goodput)}`;
    return s;
  }
  s.behindSince = null;
  s.keepingUpSince ??= now;
  if (i === 0) {
    if (!s.why.startsWith(`quality ${s.quality}`)) s.why = `quality ${s.quality}: the top (${pace})`;
    return s;
  }
  if (now - s.keepingUpSince < A.upMs || now - s.changedAt < A.upMs) return s;
  const next = ladder[i - 1];
  const need = (bytesAt(next, sizes) ?? 0) * fps * A.upMargin;
  const ceiling = s.ceiling && now - s.ceiling.at < A.ceilingMs ? s.ceiling.bps : null;
  if (ceiling !== null && need > ceiling) {
    s.why = `quality ${s.quality}: ${next} would need ${mbit(need)} with margin, the link carried ${mbit(ceiling)}`;
    return s;
  }
  s.quality = next;
  s.changedAt = now;
  s.keepingUpSince = now;
  s.why =
    ceiling === null
      ? `quality ${next}, up from ${ladder[i]}: ${pace} for ${A.upMs / 1000} s (a probe: no recent limit of the link)`
      : `quality ${next}, up from ${ladder[i]}: ${pace}, ${mbit(need)} with margin fits the ${mbit(ceiling)} the link carried`;
  return s;
}

// Frames to keep on their way: as many as make goodput x (the fastest recent round trip
// + inflightMarginMs) bytes, at least minInflightFrames; no bound (Infinity) until the
// goodput, the round trip and a frame's bytes are measured. A link that is full does not
// get more queued on it than it carries in a round trip (which would only add waiting to
// every request), and one that is not grows the bound each round trip, as goodput grows.
export function inFlightBudget({ goodput, rttFloor, bytesPerFrame }) {
  if (!(goodput > 0) || !(bytesPerFrame > 0) || rttFloor === null || !(rttFloor >= 0)) {
    return Infinity;
  }
  const bytes = (goodput * (rttFloor + A.inflightMarginMs)) / 1000;
  return Math.max(A.minInflightFrames, Math.floor(bytes / bytesPerFrame));
}
