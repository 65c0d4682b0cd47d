// Playing over the link the page measures (issue 21), as pure rules: from the bytes
// received per second (goodput), the frames shown per second against the asked fps, the
// fastest recent round trip and the bytes of a frame at each rung, which rung to ask
// frames at while playing, and how many frames to keep on their way. No DOM, no timers,
// no bridge: the player calls these on every animation frame, the tests call them with
// made-up times. (At rest nothing here applies: the frame is lossless PNG at the page's
// full resolution.)
//
// A rung is {quality, factor}: a JPEG quality and a resolution, as a share of the page's
// devicePixelRatio. The order of what gives (LIMITS.playLadder, topped and capped by the
// player's `quality`): quality first, then resolution (JPEG's bytes follow the pixels
// far more than the quality), then frames (the clock shows fewer: it waits for late
// ones, or skips them in realtime). Frames drawn at a lower resolution are kept with the
// others (store.js keeps frames by the page's ratio, whatever their scale) and drawn at
// the player's size; like every JPEG, they are replaced by the lossless frame at rest.
//
// The pace to keep up with is the fps asked, or the page's own animation frames per
// second when it ticks fewer times than that (its display, a busy tab: it cannot show
// more frames than it ticks, and one that shows a frame at nearly every tick is not
// waiting for the link, so it is keeping up, and steps back up after a bad start).
//
// Down quickly: behind (fewer frames shown than that pace) for LIMITS.adapt.downMs,
// while the kernel is not what limits (its drawing time fits the frame period), the
// player goes to the best rung whose bytes at that pace fit the goodput, and remembers
// that goodput as the link's ceiling. Up slowly: keeping up for upMs, one rung, when the next
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

const same = (a, b) => a.quality === b.quality && a.factor === b.factor;

// The rungs to play at, best first: the user's `quality` at full resolution (the cap,
// and the top rung), then the ladder's rungs below it, each quality capped.
export function rungs(cap) {
  const top = Math.max(LIMITS.qualityMin, Math.min(LIMITS.qualityMax, Math.round(cap)));
  const out = [{ quality: top, factor: 1 }];
  for (const [q, factor] of LIMITS.playLadder) {
    if (factor === 1 && q >= top) continue;
    const rung = { quality: Math.min(q, top), factor };
    if (!out.some((r) => same(r, rung))) out.push(rung);
  }
  return out;
}

// The name of a rung in the measured sizes (fetcher.js keeps bytes per rung by it).
export const rungKey = (rung) => `${rung.quality}@${rung.factor}`;

// The scale to ask frames at, on a page of `ratio`, at resolution `factor`.
export function playScale(ratio, factor) {
  return Math.max(LIMITS.scaleMin, Math.round(ratio * factor * 100) / 100);
}

// Bytes of one frame at `rung`: as measured (`sizes`: rungKey -> bytes), else from the
// nearest measured rung (the same resolution first), x (q / q0) ** sizeExponent x
// (factor / factor0) ** scaleExponent; null when none is.
export function bytesAt(rung, sizes) {
  const key = rungKey(rung);
  if (sizes.has(key)) return sizes.get(key);
  let near = null;
  for (const [k, bytes] of sizes) {
    const [q, factor] = k.split("@").map(Number);
    const d = Math.abs(Math.log(factor / rung.factor)) * 1000 + Math.abs(q - rung.quality);
    if (near === null || d < near.d) near = { d, q, factor, bytes };
  }
  if (near === null) return null;
  return (
    near.bytes *
    (rung.quality / near.q) ** A.sizeExponent *
    (rung.factor / near.factor) ** A.scaleExponent
  );
}

const mbit = (bytesPerS) => `${((bytesPerS * 8) / 1e6).toFixed(1)} Mbit/s`;
const perS = (fps) => `${fps.toFixed(fps < 10 ? 1 : 0)}`;
// "55", "55 at 0.75 of the resolution"; label(): "quality 55 ...", for the status line.
const short = (r) => (r.factor === 1 ? `${r.quality}` : `${r.quality} at ${r.factor} of the resolution`);
const label = (r) => `quality ${short(r)}`;

// The best rung at or below `rung` in both quality and resolution (the last: none is).
function atOrBelow(ladder, rung) {
  return ladder.find((r) => r.quality <= rung.quality && r.factor <= rung.factor) ?? ladder.at(-1);
}

// Where a player starts playing: at `last` (the rung it last played at, the link being
// what it was), else at the top; nothing measured yet.
export function initial(cap, now, last = null) {
  const ladder = rungs(cap);
  const rung = last === null ? ladder[0] : atOrBelow(ladder, last);
  return {
    quality: rung.quality,
    factor: rung.factor,
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
//   sizes: rungKey -> bytes of a frame; drawMs: the kernel's drawing time per frame;
//   ticks: the page's animation frames per second while playing (null: not measured).
// The state's `quality` and `factor` are the rung to ask at; `why` says why, for the
// status line.
export function decide(state, { cap, fps, shown, goodput, sizes, drawMs, ticks = null }, now) {
  const ladder = rungs(cap);
  const s = { ...state };
  let i = ladder.findIndex((r) => same(r, s));
  if (i < 0) {
    const rung = atOrBelow(ladder, s);
    Object.assign(s, { quality: rung.quality, factor: rung.factor, changedAt: now });
    s.why = `${label(rung)}: capped by the player's quality`;
    i = ladder.indexOf(rung);
  }
  if (shown === null || goodput === null) return s;
  // More carried than the ceiling: raise it, without making it younger (what a player
  // that keeps up receives is what it asks for, not what the link could carry).
  if (s.ceiling && goodput > s.ceiling.bps) s.ceiling = { ...s.ceiling, bps: goodput };
  const here = ladder[i];
  const pace = `${perS(shown)} of ${perS(fps)} frames/s`;
  // A page that ticks fewer times a second than the fps asked (its display, a busy tab)
  // can show no more frames than it ticks: that is the pace to keep up with.
  const pageLimit = ticks !== null && ticks < fps * A.behind;
  const target = pageLimit ? ticks : fps;
  if (shown < target * A.behind) {
    s.keepingUpSince = null;
    s.behindSince ??= now;
    if (drawMs * target > 1000 * A.kernelBusy) {
      s.why = `${label(here)}: ${pace}; the kernel's drawing (${Math.round(drawMs)} ms a frame) is the limit, not the link`;
      return s;
    }
    if (now - s.behindSince < A.downMs || now - s.changedAt < A.downMs) return s;
    s.ceiling = { bps: goodput, at: now };
    s.behindSince = null;
    if (i === ladder.length - 1) {
      s.why = `${label(here)} (the lowest): ${pace}, the link carries ${mbit(goodput)}: fewer frames`;
      return s;
    }
    const fits = (r) => (bytesAt(r, sizes) ?? Infinity) * target <= goodput * A.fit;
    let j = i + 1;
    while (j < ladder.length - 1 && !fits(ladder[j])) j++;
    Object.assign(s, { quality: ladder[j].quality, factor: ladder[j].factor, changedAt: now });
    s.why = `${label(ladder[j])}, down from ${short(here)}: ${pace}, the link carries ${mbit(goodput)}`;
    return s;
  }
  s.behindSince = null;
  s.keepingUpSince ??= now;
  const pageWhy = `${label(here)}: ${pace}; the page draws ${perS(ticks ?? 0)} times a second (its display or a busy tab) and shows a frame at nearly each: the limit, not the link`;
  if (i === 0) {
    if (pageLimit) s.why = pageWhy;
    else if (!s.why.startsWith(`${label(here)}:`)) s.why = `${label(here)}: the top (${pace})`;
    return s;
  }
  if (now - s.keepingUpSince < A.upMs || now - s.changedAt < A.upMs) {
    if (pageLimit) s.why = pageWhy;
    return s;
  }
  const next = ladder[i - 1];
  const need = (bytesAt(next, sizes) ?? 0) * target * A.upMargin;
  const ceiling = s.ceiling && now - s.ceiling.at < A.ceilingMs ? s.ceiling.bps : null;
  if (ceiling !== null && need > ceiling) {
    s.why = `${label(here)}: ${short(next)} would need ${mbit(need)} with margin, the link carried ${mbit(ceiling)}`;
    return s;
  }
  Object.assign(s, { quality: next.quality, factor: next.factor, changedAt: now });
  s.keepingUpSince = now;
  s.why =
    ceiling === null
      ? `${label(next)}, up from ${short(here)}: ${pace} for ${A.upMs / 1000} s (a probe: no recent limit of the link)`
      : `${label(next)}, up from ${short(here)}: ${pace}, ${mbit(need)} with margin fits the ${mbit(ceiling)} the link carried`;
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
