// Following a live player (ipyanimagic.live): the newest frame the kernel captured, at
// the page's own pace, and the count of frames while the user looks back.
//
// The kernel answers `newest` when there is a frame past the one the page has (a long
// poll, LIMITS.livePollMs at most), so frames travel one reply per request whatever the
// capture rate, never more than the page asks for, and nothing per captured frame reaches
// the notebook or the server's IOPub rate limit. While following, several requests wait
// at the kernel: with one, each frame cost a whole round trip and the page showed 0.47 of
// its rAF rate (benchmarks/live.py), and over a remote link one frame per round trip;
// with two answered at consecutive captures, 0.52 (they came in pairs). So the requests
// carry the page's name and a spacing: the kernel answers each with a frame newer than
// the page was last sent, FOLLOW_SPACING_MS after the last at the soonest
// (frames/live.py), and the page keeps as many waiting as cover the round trip it
// measures (followDepth: each reply says how long it waited at the kernel, the rest is
// the link's; the fastest since following started, as queueing on a full link only
// lengthens the others), and no more frames than the link carries in that round trip
// and a spare (linkBudget: more would queue on the link and only add to every frame's
// delay). What a link carried is what was asked of it, so the spare is what lets the
// requests grow: one while the link queues (linkQueues: the recent round trips well
// over the fastest), LINK_SPARE on a remote link that does not; with one spare always,
// two requests at 60 ms / 20 Mbit/s held themselves there, 0.64 of the frames four
// waiting showed (benchmarks/remote.py). Frames spread over time at up to the display
// rate, whatever the round trip. While the user looks back (a step, the slider, Pause)
// the requests are peeks: the count alone, no frame, one at a time, at most one per
// PEEK_MS.
//
// Over a remote link (followRung) the frames are asked at a rung of adapt.js (a JPEG
// quality and a share of the page's resolution), by the rule that picks it while
// playing: the pace to keep up with is the loop's captures per second, what is kept up
// is the frames received per second, and each rung's bytes are measured from the
// replies. At 100 ms / 5 Mbit/s the full-resolution frames had filled the link (0.58 of
// the frames, 120 ms capture -> painted, benchmarks/remote.py). Near the kernel the rung
// is the top one: there the limit is the CPU the page shares with the loop, not the
// link.

import { LIMITS } from "../limits.js";
import { Window, decide, initial, rungKey } from "./adapt.js";

// ms between peeks while the user looks back: the slider's end and the count move.
export const PEEK_MS = 250;
// ms before asking again after a request failed (a slow kernel, a lost reply).
export const RETRY_MS = 1000;

// Requests waiting at the kernel while following: at least, at most, and before a round
// trip was measured.
export const FOLLOW_DEPTH_MIN = 2;
export const FOLLOW_DEPTH_MAX = 12;
export const FOLLOW_DEPTH_FIRST = 4;
// ms between two frames sent to a following page, at least: a 60 Hz display's interval
// less the jitter of capture times, so a fast loop fills every display frame (a faster
// display gets ~80 frames/s at most while following; a slower loop sets its own pace).
export const FOLLOW_SPACING_MS = 12;

// What to ask for next: the newest frame past `have` while following, else a peek.
export function nextAsk({ following, have }) {
  return following
    ? { after: have, peek: false, spacing: FOLLOW_SPACING_MS }
    : { after: have, peek: true };
}

// Requests to keep waiting while following, for a round trip of `transitMs` (without the
// kernel's long poll; null: not measured yet): one per spacing the round trip lasts, and
// one more; at most `budget` (the frames the link carries in a round trip).
export function followDepth(transitMs, budget = Infinity) {
  if (transitMs === null || !(transitMs >= 0)) return FOLLOW_DEPTH_FIRST;
  const n = Math.min(Math.ceil(transitMs / FOLLOW_SPACING_MS) + 1, budget);
  return Math.max(FOLLOW_DEPTH_MIN, Math.min(FOLLOW_DEPTH_MAX, n));
}

// Spare requests beyond what the link carried in a round trip while it does not queue,
// on a link whose fastest round trip is REMOTE_FLOOR_MS or more: a page on the kernel's
// machine (a few ms) gains nothing from more requests, and each costs the loop's
// process a message (measured: one more request there lengthened capture -> painted).
export const LINK_SPARE = 3;
export const REMOTE_FLOOR_MS = 40;

// Frames the link carries in a round trip of `floorMs` at `goodput` bytes/s, and
// `spare` more (so that what was measured while the requests were fewer can grow);
// Infinity until measured.
export function linkBudget({ goodput, floorMs, bytesPerFrame, spare = 1 }) {
  if (!(goodput > 0) || !(bytesPerFrame > 0) || !(floorMs >= 0)) return Infinity;
  return Math.floor((goodput * floorMs) / 1000 / bytesPerFrame) + spare;
}

// Round trips kept to tell a queueing link (linkQueues), and by how much the typical one
// must exceed the fastest: a quarter of it, and QUEUE_MIN_MS at least (jitter).
export const RECENT_TRIPS = 8;
export const QUEUE_MIN_MS = 20;

// Whether the link queues: the median of the recent round trips (each less its wait at
// the kernel) exceeds the fastest (`floorMs`) by more than a quarter of it.
export function linkQueues({ floorMs, recentMs }) {
  if (floorMs === null || !(floorMs >= 0) || !recentMs.length) return false;
  const sorted = [...recentMs].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)];
  return median - floorMs > Math.max(QUEUE_MIN_MS, floorMs / 4);
}

// The rung to ask frames at while following ({quality, factor}, and the adapt state in
// `state`), or null: no rung (not JPEG: `cap` null), or the top one near the kernel
// (the player's own quality at full resolution, what a request without a rung gets).
// `rate`: the loop's captures per second (null: not measured); `shown`: frames received
// per second; `goodput`: their bytes per second; `sizes`: rungKey -> bytes; `linkBound`:
// whether the link is what holds the frames back (it queues, or its budget allows fewer
// requests than the round trip wants: Follower.linkBound). Fewer frames than captured
// count as behind only then: a page that falls behind on a link with room is held back
// by its CPU (the loop's, the browser's), which smaller frames would not give back; a run
// without that check stepped down at 60 ms / 20 Mbit/s (0.74 of the frames against 0.84).
export function followRung(
  state,
  { cap, floorMs, rate, shown, goodput, sizes, linkBound = true },
  now,
) {
  if (cap === null || cap === undefined || !(floorMs >= REMOTE_FLOOR_MS)) return null;
  const s = state ?? initial(cap, now);
  // A page cannot be sent frames closer than FOLLOW_SPACING_MS apart.
  const fps = Math.min(rate ?? 0, 1000 / FOLLOW_SPACING_MS);
  if (!(fps > 0)) return s;
  const seen = linkBound || shown === null ? shown : Math.max(shown, fps);
  return decide(s, { cap, fps, shown: seen, goodput, sizes, drawMs: 0 }, now);
}

// How many requests may be on their way.
export function requestsWanted({ following, transitMs = null, budget = Infinity }) {
  return following ? followDepth(transitMs, budget) : 1;
}

// ms to wait before the next request.
export function pauseBefore({ following, failed }) {
  if (failed) return RETRY_MS;
  return following ? 0 : PEEK_MS;
}

function perSecond(rate) {
  if (!(rate > 0)) return "";
  return `, ${rate < 10 ? rate.toFixed(1) : Math.round(rate)}/s`;
}

// The status line of a live player: what is captured, how fast, and whether the view
// follows; "" once capture ended (an ordinary player from then on).
export function liveStatus({ live, known, rate, unit = "frames", total = -1, following }) {
  if (!live) return "";
  const count = total >= 0 ? `${known} / ${total} ${unit}` : `${known} ${unit}`;
  const text = `${count}${perSecond(rate)}`;
  return following ? `● live: ${text}` : `live: ${text} (End or ● Live: back to the newest)`;
}

export class Follower {
  // ask({after, peek}) -> Promise<{result, buffers}> (the bridge's raw reply);
  // following() -> bool; onState(result); onFrame(index, bytes, meta) -> Promise;
  // onError(err) -> true to stop.
  // cap() -> the player's JPEG quality, or null (frames are not JPEG: no rung);
  // onRung(state): the rung chosen changed (its `why` for the status line's tooltip).
  constructor({
    ask,
    following,
    onState,
    onFrame,
    onError = () => false,
    cap = () => null,
    onRung = () => {},
    // Called as plain functions: a browser's setTimeout refuses another `this`.
    setTimer = (fn, ms) => setTimeout(fn, ms),
    clearTimer = (t) => clearTimeout(t),
    now = () => performance.now(),
  }) {
    Object.assign(this, { ask, following, onState, onFrame, onError, cap, onRung });
    Object.assign(this, { setTimer, clearTimer, now });
    this.floor = null; // the fastest round trip of a frame since start, less the kernel's wait
    this.recent = []; // the last RECENT_TRIPS such round trips
    this.received = new Window(LIMITS.adapt.goodputWindowMs); // bytes of frames
    this.frameBytes = null; // of the last frame
    this.shown = new Window(LIMITS.adapt.shownWindowMs); // new frames received
    this.sizes = new Map(); // rungKey -> bytes of a frame at that rung
    this.rate = null; // the loop's captures per second, as the kernel last said
    this.rung = null; // the adapt state while following over a remote link (followRung)
    this.have = -1; // the newest frame this page has been sent
    this.running = false;
    this.inFlight = 0; // requests on their way
    this.timer = null;
  }

  start(have = -1) {
    this.have = have;
    this.floor = null;
    this.recent = [];
    this.received.reset();
    this.shown.reset();
    this.rung = null;
    this.running = true;
    this.schedule(0);
  }

  stop() {
    this.running = false;
    this.clearTimer(this.timer);
    this.timer = null;
  }

  // Following again: ask now, unless enough requests are on their way (their replies
  // ask next).
  poke() {
    if (this.running && this.inFlight < this.wanted()) this.schedule(0);
  }

  wanted() {
    return requestsWanted({
      following: this.following(),
      transitMs: this.floor,
      budget: this.budget().budget,
    });
  }

  // The link budget (linkBudget) and whether the link queues (linkQueues).
  budget() {
    const queues = linkQueues({ floorMs: this.floor, recentMs: this.recent });
    const budget = linkBudget({
      goodput: this.received.rate(this.now()),
      floorMs: this.floor,
      bytesPerFrame: this.frameBytes,
      spare: queues || !(this.floor >= REMOTE_FLOOR_MS) ? 1 : LINK_SPARE,
    });
    return { budget, queues };
  }

  // Whether the link holds the frames back: it queues, or it carries fewer frames in a
  // round trip than the round trip wants waiting (at 100 ms / 5 Mbit/s the budget kept
  // the link from queueing, and the frames were held back all the same).
  linkBound() {
    const { budget, queues } = this.budget();
    return queues || budget < followDepth(this.floor);
  }

  // The rung the next frame is asked at, or null (see followRung).
  rungNow() {
    const now = this.now();
    const before = this.rung;
    this.rung = followRung(
      this.rung,
      {
        cap: this.cap(),
        floorMs: this.floor,
        rate: this.rate,
        shown: this.shown.rate(now),
        goodput: this.received.rate(now),
        sizes: this.sizes,
        linkBound: this.linkBound(),
      },
      now,
    );
    if (this.rung?.why !== before?.why) this.onRung(this.rung);
    return this.rung && { quality: this.rung.quality, factor: this.rung.factor };
  }

  schedule(ms) {
    this.clearTimer(this.timer);
    this.timer = this.setTimer(() => {
      this.timer = null;
      this.once();
    }, ms);
  }

  async once() {
    if (!this.running || this.inFlight >= this.wanted()) return;
    this.inFlight += 1;
    let failed = false;
    try {
      const following = this.following();
      const rung = following ? this.rungNow() : null;
      const sentAt = this.now();
      const asked = this.ask({ ...nextAsk({ following, have: this.have }), ...rung });
      // Room for another (following): it waits at the kernel beside this one.
      if (this.inFlight < this.wanted()) this.schedule(0);
      const { result, buffers } = await asked;
      if (!this.running) return;
      this.onState(result);
      if (Number.isFinite(result.rate)) this.rate = result.rate;
      if (buffers?.length) {
        const now = this.now();
        this.frameBytes = buffers[0].byteLength ?? buffers[0].length ?? null;
        this.received.add(now, this.frameBytes ?? 0);
        if (rung && this.frameBytes) {
          const key = rungKey(rung);
          const before = this.sizes.get(key);
          this.sizes.set(key, before ? before * 0.7 + this.frameBytes * 0.3 : this.frameBytes);
        }
        if (Number.isFinite(result.waited_ms)) {
          const transit = Math.max(0, now - sentAt - result.waited_ms);
          this.floor = this.floor === null ? transit : Math.min(this.floor, transit);
          this.recent.push(transit);
          if (this.recent.length > RECENT_TRIPS) this.recent.shift();
        }
      }
      if (buffers?.length && result.index > this.have) {
        this.have = result.index;
        this.shown.add(this.now(), 1);
        await this.onFrame(result.index, buffers[0], result);
      }
      if (result.live === false) {
        this.stop();
        return;
      }
    } catch (err) {
      failed = true;
      if (this.onError(err)) {
        this.stop();
        return;
      }
    } finally {
      this.inFlight -= 1;
    }
    if (this.running) this.schedule(pauseBefore({ following: this.following(), failed }));
  }
}

// The follow request's timeout: the kernel's long poll, and a margin for the reply.
export const FOLLOW_TIMEOUT_MS = LIMITS.livePollMs + 20_000;
