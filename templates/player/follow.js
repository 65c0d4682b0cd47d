// Following a live player (ipyanimagic.live): the newest frame the kernel captured, at
// the page's own pace, and the count of frames while the user looks back.
//
// The kernel answers `newest` when there is a frame past the one the page has (a long
// poll, LIMITS.livePollMs at most), so frames travel one reply per request whatever the
// capture rate, never more than the page asks for, and nothing per captured frame reaches
// the notebook or the server's IOPub rate limit. While following, FOLLOW_DEPTH requests
// wait at the kernel: with one, each frame cost a whole round trip and the page showed
// 0.47 of its rAF rate (benchmarks/live.py); with two answered at consecutive captures,
// 0.52 (they came in pairs). So the requests carry the page's name and a spacing: the
// kernel answers each with a frame newer than the page was last sent, FOLLOW_SPACING_MS
// after the last at the soonest (frames/live.py): frames spread over time at up to the
// display rate, whatever the round trip (up to FOLLOW_DEPTH spacings). While the user
// looks back (a step, the slider, Pause) the requests are peeks: the count alone, no
// frame, one at a time, at most one per PEEK_MS.

import { LIMITS } from "../limits.js";

// ms between peeks while the user looks back: the slider's end and the count move.
export const PEEK_MS = 250;
// ms before asking again after a request failed (a slow kernel, a lost reply).
export const RETRY_MS = 1000;

// Requests waiting at the kernel while following (the newest frames).
export const FOLLOW_DEPTH = 4;
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

// How many requests may be on their way.
export function requestsWanted({ following }) {
  return following ? FOLLOW_DEPTH : 1;
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
  constructor({
    ask,
    following,
    onState,
    onFrame,
    onError = () => false,
    // Called as plain functions: a browser's setTimeout refuses another `this`.
    setTimer = (fn, ms) => setTimeout(fn, ms),
    clearTimer = (t) => clearTimeout(t),
  }) {
    Object.assign(this, { ask, following, onState, onFrame, onError, setTimer, clearTimer });
    this.have = -1; // the newest frame this page has been sent
    this.running = false;
    this.inFlight = 0; // requests on their way
    this.timer = null;
  }

  start(have = -1) {
    this.have = have;
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
    return requestsWanted({ following: this.following() });
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
      const asked = this.ask(nextAsk({ following, have: this.have }));
      // Room for another (following): it waits at the kernel beside this one.
      if (this.inFlight < this.wanted()) this.schedule(0);
      const { result, buffers } = await asked;
      if (!this.running) return;
      this.onState(result);
      if (buffers?.length && result.index > this.have) {
        this.have = result.index;
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
