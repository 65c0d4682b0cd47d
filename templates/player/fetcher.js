// Frame requests to the kernel (or an exported file) through a bridge: what is on its
// way, the measured round trip, and decoding. The player decides what to ask for; this
// module asks, once per frame and format, keeps at most `window` requests in flight
// while playing, and hands decoded frames and errors back through callbacks.
//
// Decoding is injected (`decode(bytes, mime)`, createImageBitmap in the page) so that
// the same code runs under Node's test runner.
//
// Resolution: every request asks for frames at `ratio` (the page's devicePixelRatio,
// set by the player), times the resolution of the rung asked while playing JPEG. A frame
// comes back as {bitmap, lossless, rtt, ratio, scale}: `ratio` is the page's when it was
// asked (the player keeps frames of one ratio), `scale` the bitmap's pixels per CSS
// pixel, as the kernel drew it (`pixelScale` when the reply does not say: an exported
// file's frames, drawn at the scale the file records).
//
// The link: bytes of replies over time (`goodput`, bytes/s over a sliding window), the
// fastest recent round trip (`rttFloor`), the bytes of a frame at each rung asked
// (`sizes`, by adapt.js's rungKey) and the frames on their way (`framesInFlight`), for
// adapt.js's rules. A JPEG request may ask at a `rung` {quality, factor} (else the
// kernel's quality, the player's `quality`, at the page's full resolution).

import { BridgeError } from "../bridge/bridge.js";
import { LIMITS } from "../limits.js";
import { Window, playScale, rungKey } from "./adapt.js";

// The weight of the newest round trip in the running estimates.
const NEWEST = 0.2;

export class Fetcher {
  // bridge, key: where frames come from. decode(bytes, mime) -> Promise of a bitmap.
  // onFrame(i, frame): frame i arrived, decoded ({bitmap, lossless, rtt}).
  // onError(i, err, asked): frame i failed (err.name is the Python type, or the bridge's);
  // `asked` is the frame the request was for: a later one when a run in order stopped
  // at frame i, and so could not reach it.
  // onSlow(): a single-frame request has waited `slowMs`; onArrive(): one answered.
  // now(): a clock in ms.
  constructor({
    bridge,
    key,
    decode,
    onFrame = () => {},
    onError = () => {},
    onSlow = () => {},
    onArrive = () => {},
    now = () => performance.now(),
    slowMs = LIMITS.slowMs,
    ratio = 1,
    pixelScale = 1,
  }) {
    Object.assign(this, { bridge, key, decode, onFrame, onError, onSlow, onArrive, now, slowMs });
    Object.assign(this, { ratio, pixelScale });
    this.inflight = new Map(); // index -> {format, ratio, promise}, one entry per request
    this.requests = 0; // requests in flight
    // ms, running estimates of a frame request's round trip, with and without the
    // kernel's drawing time: a guess until the first reply, which replaces it.
    this.rtt = LIMITS.assumedRttMs;
    this.netRtt = LIMITS.assumedRttMs;
    this.measured = 0;
    // ms the kernel takes to draw one frame: the lower edge of what replies say (a lower
    // one is taken at once, a higher one a fifth of the way). A frame is heavy when all
    // of them are; one slow reply (a first draw, a busy machine) does not make it so.
    // null until a reply says.
    this.drawMs = null;
    this.counts = { requested: 0, received: 0 };
    this.received = new Window(LIMITS.adapt.goodputWindowMs); // bytes of replies
    this.rtts = new Window(LIMITS.adapt.rttFloorWindowMs); // ms, round trips
    this.sizes = new Map(); // rungKey asked -> bytes of a frame (running estimate)
    this.framesInFlight = 0;
  }

  // Bytes received per second (null until measured since the last resetRates()).
  get goodput() {
    return this.received.rate(this.now());
  }

  // The fastest round trip of a request in the last few seconds (null: none).
  get rttFloor() {
    return this.rtts.min(this.now());
  }

  // Measure goodput afresh (Play: the time at rest is not a slow link).
  resetRates() {
    this.received.reset();
  }

  // A reply brought `buffers` (frames asked at `rung`, or null) in `rtt` ms.
  tally(buffers, rung, rtt) {
    const now = this.now();
    const bytes = buffers.reduce((t, b) => t + (b.byteLength ?? b.length ?? 0), 0);
    this.received.add(now, bytes);
    this.rtts.add(now, rtt);
    if (rung === null || !buffers.length) return;
    const each = bytes / buffers.length;
    const key = rungKey(rung);
    const had = this.sizes.get(key);
    this.sizes.set(key, had === undefined ? each : had * (1 - NEWEST) + each * NEWEST);
  }

  // The arguments of a request and the rung they ask at (null: the kernel's quality at
  // full resolution; always for PNG, which is lossless at the page's resolution).
  args(args, format, rung) {
    if (rung === null || format !== LIMITS.formats[1]) return [{ ...args, scale: this.ratio }, null];
    const scale = playScale(this.ratio, rung.factor);
    return [{ ...args, quality: rung.quality, scale }, rung];
  }

  // Whether frame i is on its way at the current ratio (in any format).
  has(i) {
    return this.inflight.get(i)?.ratio === this.ratio;
  }

  decoded(bitmap, meta, ratio, rtt) {
    const scale = meta.scale ?? this.pixelScale;
    return { bitmap, lossless: meta.mime === LIMITS.mime.png, rtt, ratio, scale };
  }

  // A reply of `frames` frames took `rtt` ms, `drawingMs` of them drawing.
  measure(rtt, drawingMs, frames = 1) {
    const net = Math.max(1, rtt - drawingMs);
    const w = this.measured++ ? NEWEST : 1;
    this.rtt = this.rtt * (1 - w) + rtt * w;
    this.netRtt = this.netRtt * (1 - w) + net * w;
    const each = drawingMs / Math.max(1, frames);
    const d = this.drawMs;
    this.drawMs = d === null || each < d ? each : d * (1 - NEWEST) + each * NEWEST;
  }

  // Ask for frame i (once per format); resolves to the frame, or null on error (which
  // went to onError). A request already on its way is shared. `quiet`: a guess (the
  // frame after the one at rest): its error and its wait are not reported, unless a
  // caller that is not quiet shares it before it ends. `rung`: see args().
  fetch(i, format, { quiet = false, rung = null } = {}) {
    const ratio = this.ratio;
    const pending = this.inflight.get(i);
    if (pending && pending.format === format && pending.ratio === ratio) {
      if (!quiet && pending.quiet) {
        pending.quiet = false;
        pending.slow = setTimeout(() => this.onSlow(), this.slowMs);
      }
      return pending.promise;
    }
    const started = this.now();
    const entry = { format, ratio, quiet };
    if (!quiet) entry.slow = setTimeout(() => this.onSlow(), this.slowMs);
    const [args, atRung] = this.args({ index: i, format }, format, rung);
    entry.promise = this.bridge
      .call(this.key, "frame", args, { raw: true })
      .then(async ({ result, buffers }) => {
        this.tally(buffers, atRung, this.now() - started);
        const bitmap = await this.decode(buffers[0], result.mime);
        const rtt = this.now() - started;
        const frame = this.decoded(bitmap, result, ratio, rtt);
        this.measure(rtt, result.render_ms || 0);
        this.counts.received += 1;
        this.onFrame(i, frame);
        this.onArrive();
        return frame;
      })
      .catch((err) => {
        // Reported for the frame that failed: an earlier one, in a run in order.
        if (!entry.quiet) this.onError(Number.isInteger(err.frame) ? err.frame : i, err, i);
        return null;
      })
      .finally(() => {
        clearTimeout(entry.slow);
        this.requests -= 1;
        this.framesInFlight -= 1;
        if (this.inflight.get(i) === entry) this.inflight.delete(i);
      });
    this.inflight.set(i, entry);
    this.requests += 1;
    this.framesInFlight += 1;
    this.counts.requested += 1;
    return entry.promise;
  }

  // One request for several frames (a single one goes as `frame`). The kernel stops a
  // batch at its first failing frame: the frames before it arrive, then the error,
  // reported for the index that failed.
  fetchBatch(indices, format, rung = null) {
    if (indices.length === 1) {
      this.fetch(indices[0], format, { rung });
      return;
    }
    const started = this.now();
    const ratio = this.ratio;
    const entry = { format, ratio };
    this.requests += 1;
    this.framesInFlight += indices.length;
    this.counts.requested += indices.length;
    const [args, atRung] = this.args({ indices, format }, format, rung);
    entry.promise = this.bridge
      .call(this.key, "frames", args, { raw: true })
      .then(async ({ result, buffers }) => {
        const rtt = this.now() - started;
        this.tally(buffers, atRung, rtt);
        const drawing = result.frames.reduce((t, m) => t + (m.render_ms || 0), 0);
        this.measure(rtt, drawing, result.frames.length);
        const decoded = await Promise.all(
          result.frames.map((meta, k) => this.decode(buffers[k], meta.mime)),
        );
        result.frames.forEach((meta, k) => {
          this.counts.received += 1;
          this.onFrame(meta.index, this.decoded(decoded[k], meta, ratio, rtt));
        });
        if (result.error) {
          const e = result.error;
          // The batch stopped at the first frame it could not make.
          const asked = indices[result.frames.length] ?? e.index;
          this.onError(e.index, new BridgeError(e.type, e.message, e.traceback), asked);
        }
        return null;
      })
      .catch((err) => {
        this.onError(indices[0], err, indices[0]);
        return null;
      })
      .finally(() => {
        this.requests -= 1;
        this.framesInFlight -= indices.length;
        for (const i of indices) if (this.inflight.get(i) === entry) this.inflight.delete(i);
      });
    for (const i of indices) this.inflight.set(i, entry);
  }

  // Ask for `indices` (in order) in batches of `batch`, while fewer than `window`
  // requests are in flight; the rest are left for a later call. `rung`: see args().
  prefetch(indices, { window, batch, format, rung = null }) {
    const missing = [...indices];
    while (missing.length && this.requests < window) {
      this.fetchBatch(missing.splice(0, batch), format, rung);
    }
  }
}
