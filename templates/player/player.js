// The animation player's page side, wired together. The clock (clock.js) owns
// playback: on every animation frame it says which frame is due and which to ask for
// next; the fetcher asks the bridge for them (a few requests in flight), the store keeps
// them decoded, and the view draws them and the controls. The bridge is the kernel (over
// the widget's comm, bridge.js) or, in an exported file, the embedded frames
// (offline_bridge.js): the player cannot tell which.
//
// Why this file is long (~520 lines): it is the one state machine of a player (the frame
// shown, the frame wanted, the direction) and every control, tick and reply changes that
// one state. Its pure rules live in clock.js and are unit-tested there; cutting the rest
// into modules would spread one state over several files, so it is kept whole.

import * as adapt from "./adapt.js";
import * as clock from "./clock.js";
import { Fetcher } from "./fetcher.js";
import { FOLLOW_TIMEOUT_MS, Follower, liveStatus } from "./follow.js";
import { LIMITS } from "../limits.js";
import { Seeker } from "./seeker.js";
import { FrameStore } from "./store.js";
import { firstFrameShown, pageFirstFrames, upgradeWait } from "./upgrade.js";
import { PlayerView } from "./view.js";

// Format names, in the order ipyanimagic/limits.py lists them (a test holds them there).
const [PNG, JPEG] = LIMITS.formats;
const [AUTO] = LIMITS.playerFormats;
const REPORT_TIMEOUT_MS = 5000;
// Voila's page (its <body data-voila>) never tells widgets that its kernel stopped
// (culled, crashed, server stopped: measured with Voila 0.5.13), so there the only sign
// is that no reply comes; elsewhere the bridge hears of it and the player says
// "disconnected" at once.
const IN_VOILA = typeof document !== "undefined" && document.body?.dataset.voila === "voila";
const NO_REPLY = IN_VOILA
  ? "no reply from the kernel (busy, or stopped: Voila does not tell the page; reload it)"
  : "no reply from the kernel (is a cell running?)";

// The page's devicePixelRatio as frames are asked at: hundredths (browser zoom gives
// 1.100000023841858), within what the kernel draws.
export function pageRatio(ratio = globalThis.devicePixelRatio) {
  const r = Math.round((Number(ratio) || 1) * 100) / 100;
  return Math.max(LIMITS.scaleMin, Math.min(LIMITS.scaleMax, r));
}

// Decoded off the main thread by the browser.
export function decodeImage(bytes, mime) {
  return createImageBitmap(new Blob([bytes], { type: mime }));
}

class Player {
  constructor(model, el, { bridge, html, decode }) {
    this.model = model;
    this.key = model.get("key");
    this.bridge = bridge;
    this.decode = decode;
    // A lost kernel shows at once, whether a request was pending or not.
    this.bridge.onClose((reason) => this.disconnect(reason));
    this.view = new PlayerView(el, { html, label: model.get("label") });
    // Frames are asked at the screen's devicePixelRatio, and again when it changes
    // (zoom, another screen), so that they are sharp; an exported file's frames were
    // drawn at the scale it records, whatever the screen.
    const fixed = model.get("scale");
    this.ratio = typeof fixed === "number" ? fixed : pageRatio();

    // The frame wanted at rest: its requests, and the next one asked for ahead.
    this.seeker = new Seeker({
      fetch: (i, format, options) => this.fetch(i, format, options),
      stored: (i) => this.store.get(i),
      fits: (frame) => this.store.fits(frame),
      good: (frame) => frame.lossless || this.formatFor(false) !== PNG,
      format: (moving) => this.formatFor(moving),
      // While following a live player, a frame asked for before a newer one arrived
      // is not shown after it.
      show: (i, frame) => (this.following && i < this.current ? null : this.show(i, frame)),
      shown: () => this.current,
      active: () => !this.direction && !this.closed,
      ahead: (i) => clock.nextAtRest(i, this.stepDir, this.lastIndex, this.drawMs),
    });
    this.current = -1; // index shown
    this.target = model.get("start"); // index wanted at rest
    this.failedAt = null; // the frame asked for when a frame failed, until the next goto
    this.playhead = null; // where playing resumes when it is not the frame shown
    this.failAhead = null; // {i, err}: a frame ahead of the play head failed
    this.failedAhead = new Set(); // the frames asked for ahead that failed, while playing
    this.direction = 0; // 0 paused, +1 playing, -1 reversing
    this.stepDir = +1; // the way the last step went: the frame asked for ahead at rest
    this.nextDue = 0;
    this.raf = 0;
    this.closed = false;
    this.visible = true;
    this.counts = { displayed: 0, dropped: 0 };
    // While playing JPEG: the quality asked for, and why (adapt.js); frames shown/s.
    this.adapting = null;
    this.shownRate = new adapt.Window(LIMITS.adapt.shownWindowMs);
    // ... and the page's own animation frames per second meanwhile (a slow page).
    this.tickRate = new adapt.Window(LIMITS.adapt.shownWindowMs);
    this.dirtyBuffered = true;
    this.lastError = null;
    // A live player (ipyanimagic.live): frames captured while code runs; the view
    // follows the newest until the user looks back (follow.js).
    this.live = model.get("live") === true;
    this.following = this.live;
    this.liveState = { known: model.get("known") || 0, rate: null };
    this.follower = null;
    this.store = new FrameStore({
      keep: () => clock.keepBound(this.flow),
      protect: () => {
        const { window, batch } = this.flow;
        return clock.upcoming(this, window * batch, this.mode);
      },
    });
    this.fetcher = new Fetcher({
      bridge,
      key: this.key,
      decode,
      onFrame: (i, frame) => this.keep(i, frame),
      onError: (i, err, asked) => this.onFrameError(i, err, asked),
      onSlow: () => this.view.waiting(),
      onArrive: () => this.view.arrived(),
      ratio: this.ratio,
      pixelScale: typeof fixed === "number" ? fixed : 1,
    });
    this.store.setRatio(this.ratio);
    if (typeof fixed !== "number") this.watchRatio();

    this.view.loop = model.get("loop");
    this.view.showSpeed(model.get("fps"));
    this.bind();
    this.updateRange();
    if (this.live) this.startLive();
    else this.showPosterOrFetch(model.get("poster"));
    if (model.get("autoplay")) this.play(+1);
    this.bufferTimer = setInterval(() => this.refreshBuffered(), 700);
    this.reportTimer = setInterval(() => this.report(), 2000);
    // Out of view: stop asking the kernel for frames; carry on when scrolled back.
    this.view.observe((visible) => {
      if (visible === this.visible) return;
      this.visible = visible;
      if (visible) this.follower?.poke();
      if (visible && this.direction) {
        this.nextDue = performance.now();
        this.schedule();
      }
    });
  }

  // -- settings -------------------------------------------------------------------

  get count() {
    const n = this.model.get("count");
    return n >= 0 ? n : null;
  }
  get fps() {
    return clock.speed(this.view.speedText, this.model.get("fps"));
  }
  get mode() {
    return { count: this.count, loop: this.view.loop };
  }
  get flow() {
    return clock.flow(this.fetcher.netRtt, this.fps);
  }
  // JPEG is cheap to make and send while frames fly by; a still frame is lossless.
  formatFor(playing) {
    const f = this.model.get("format");
    return f === AUTO ? (playing ? JPEG : PNG) : f;
  }
  get target() {
    return this.seeker.target;
  }
  set target(i) {
    this.seeker.target = i;
  }
  // ms the kernel takes to draw a frame, as measured (0 before the first reply).
  get drawMs() {
    return this.fetcher.drawMs ?? 0;
  }
  get lastIndex() {
    if (this.live) return Math.max(this.liveState.known - 1, 0);
    const n = this.count;
    if (n !== null) return n - 1;
    const known = Math.max(this.model.get("known"), this.liveState.known);
    return Math.max(known - 1, this.current + 1, 0);
  }

  bind() {
    // Every control but Live and End leaves a live player's newest frame (looking back).
    const back =
      (action) =>
      (...args) => {
        this.leaveLive();
        action(...args);
      };
    this.view.bind({
      first: back(() => this.stopAndGo(0)),
      last: () => (this.live ? this.follow() : this.stopAndGo(this.lastIndex)),
      prev: back(() => this.stepBy(-1)),
      next: back(() => this.stepBy(+1)),
      play: back(() => this.play(+1)),
      reverse: back(() => this.play(-1)),
      pause: back(() => this.pause()),
      toggle: back(() => (this.direction ? this.pause() : this.play(+1))),
      seek: back((i, moving) => this.stopAndGo(i, moving)),
      live: () => this.follow(),
      loop: (mode) => this.sync("loop", mode),
      speed: () => {
        this.view.showSpeed(this.fps);
        this.sync("fps", this.fps);
      },
    });
    this.onCount = () => this.updateRange();
    this.model.on("change:count", this.onCount);
    this.model.on("change:known", this.onCount);
    // `current` set from elsewhere (Python, or an ipywidgets link to another player).
    // Ignored while playing: the kernel echoes each saved value back, and an echo of a
    // frame shown before Play would otherwise pull the player back and stop it.
    this.onFrame = () => {
      if (this.direction) return;
      const v = this.model.get("current");
      if (v !== this.current && v !== this.target) this.stopAndGo(v);
    };
    this.model.on("change:current", this.onFrame);
    // The kernel's own line (frames drawn in order, workers not used; kernel side:
    // supply.py) in the status line, its purity verdict as the status line's tooltip.
    this.onNote = () => {
      if (this.closed) return;
      const status = this.view.status;
      this.tooltip();
      const note = this.model.get("note") || "";
      if (note || status.dataset.kind === "note") this.view.setStatus(note, note ? "note" : "");
    };
    this.model.on("change:note change:purity", this.onNote);
    this.onNote();
    // Until the kernel knows whether the animation remembers (the `purity` trait), it
    // draws frames in order at the resolution of the first (the poster's); once it
    // knows, frames can be sharp: ask again for those that are not.
    this.onPurity = () => this.sharpen();
    this.model.on("change:purity", this.onPurity);
    this.onLive = () => {
      const live = this.model.get("live");
      if (live === false) this.liveEnded();
      else if (live === true && !this.live && !this.closed) {
        // Capturing again (a later cell): follow the new frames.
        this.live = true;
        this.following = true;
        this.startLive(this.liveState.known - 1);
      }
    };
    this.model.on("change:live", this.onLive);
  }

  // -- live (ipyanimagic.live) ------------------------------------------------------

  startLive(have = -1) {
    this.pause();
    // This view's name at the kernel: its waiting requests bring different frames, and
    // another view of the same player (a second tab) is answered on its own.
    this.followerName ??= `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
    this.view.showLive(true, true);
    this.follower = new Follower({
      // A rung's factor (a slow link, follow.js) is the share of the page's ratio the
      // frame travels at; the capture stays at the page's ratio.
      ask: ({ factor, ...args }) =>
        this.bridge.call(
          this.key,
          "newest",
          {
            ...args,
            format: this.formatFor(true),
            scale: this.ratio,
            ...(factor < 1 ? { send_scale: adapt.playScale(this.ratio, factor) } : {}),
            follower: this.followerName,
          },
          { raw: true, timeout: FOLLOW_TIMEOUT_MS },
        ),
      cap: () => (this.formatFor(true) === JPEG ? this.model.get("quality") : null),
      onRung: () => this.tooltip(),
      following: () => this.following && this.visible && !this.closed,
      onState: (state) => this.liveUpdate(state),
      onFrame: (i, bytes, meta) => this.liveFrame(i, bytes, meta),
      onError: (err) => {
        if (err.name === "Disconnected" || err.name === "SendError") {
          this.disconnect(err.message);
          return true;
        }
        if (!this.lastError) this.view.setStatus(`live: ${err.name}: ${err.message}`, "live");
        return false;
      },
    });
    this.follower.start(have);
    this.liveStatusLine();
  }

  liveUpdate(state) {
    if (this.closed) return;
    if (Number.isInteger(state.known) && state.known >= this.liveState.known) {
      this.liveState = { known: state.known, rate: state.rate ?? null };
    }
    this.updateRange();
    this.dirtyBuffered = true;
    if (state.live === false) this.liveEnded();
    else this.liveStatusLine();
  }

  async liveFrame(i, bytes, meta) {
    const bitmap = await this.decode(bytes, meta.mime);
    const frame = this.fetcher.decoded(bitmap, meta, this.ratio, 0);
    // Captured at the page's ratio (sent at a share of it over a slow link), or at an
    // older one: not kept, not shown.
    const atRatio = (meta.resampled_from ?? meta.scale) === this.ratio;
    if (this.closed || !this.following || i <= this.current || !atRatio) {
      if (!this.closed && atRatio) this.keep(i, frame);
      else bitmap.close();
      return;
    }
    this.keep(i, frame);
    this.target = i;
    this.show(i, frame);
  }

  liveStatusLine() {
    if (this.closed || this.lastError) return;
    const text = liveStatus({
      live: this.live,
      known: this.liveState.known,
      rate: this.liveState.rate,
      unit: this.model.get("unit") || "frames",
      total: this.model.get("total") ?? -1,
      following: this.following,
    });
    if (text || this.view.status.dataset.kind === "live") this.view.setStatus(text, "live");
  }

  // Back to the newest frame, and following it.
  follow() {
    if (!this.live) {
      this.stopAndGo(this.lastIndex);
      return;
    }
    this.pause();
    this.following = true;
    this.view.showLive(true, true);
    const newest = this.liveState.known - 1;
    if (this.follower) this.follower.have = Math.max(this.current, 0) - 1;
    if (newest > this.current) this.goto(newest);
    this.follower?.poke();
    this.liveStatusLine();
  }

  leaveLive() {
    if (!this.live || !this.following) return;
    this.following = false;
    this.view.showLive(true, false);
    this.liveStatusLine();
    this.tooltip();
  }

  // Capture ended: an ordinary player with every frame, at rest on the one shown (the
  // newest, lossless, when it was following).
  liveEnded() {
    if (!this.live) return;
    const wasFollowing = this.following;
    this.live = false;
    this.following = false;
    this.follower?.stop();
    this.view.showLive(false, false);
    this.liveStatusLine();
    this.tooltip();
    // The final count comes with the trait change that may be what called this.
    const known = Math.max(this.liveState.known, this.count ?? 0, this.model.get("known"));
    this.liveState = { known, rate: null };
    this.updateRange();
    if (known > 0 && (wasFollowing || this.current < 0)) this.goto(known - 1);
  }

  sharpen() {
    if (this.closed || typeof this.model.get("scale") === "number") return;
    this.store.forget((f) => f.scale !== this.ratio);
    if (!this.direction && this.current >= 0 && this.view.scale !== this.ratio) {
      this.goto(this.target);
    }
  }

  sync(name, value) {
    try {
      this.model.set(name, value);
      this.model.save_changes();
    } catch (err) {
      console.warn("ipyanimagic: could not save", name, err);
    }
  }

  report() {
    if (this.closed || !this.direction) return;
    const { window, batch } = this.flow;
    const goodput = this.fetcher.goodput;
    const stats = {
      ...this.fetcher.counts,
      ...this.counts,
      rtt_ms: Math.round(this.fetcher.rtt * 10) / 10,
      net_rtt_ms: Math.round(this.fetcher.netRtt * 10) / 10,
      decoded: this.store.size,
      window,
      batch,
      quality: this.adapting?.quality ?? null,
      resolution: this.adapting?.factor ?? null,
      goodput_kib_s: goodput === null ? null : Math.round(goodput / 102.4) / 10,
      in_flight_max: this.inFlightBudget(),
    };
    const fps = this.view.measuredFps;
    if (Number.isFinite(fps)) stats.fps = fps;
    this.bridge
      .call(this.key, "report", { stats }, { timeout: REPORT_TIMEOUT_MS })
      .catch(() => {});
  }

  // The status line's tooltip: the kernel's purity verdict, then what playing chose and
  // why (its `data-quality` and `data-resolution`: the JPEG quality and the share of the
  // full resolution asked for while playing, else empty).
  tooltip() {
    const status = this.view.status;
    const a = this.adapting;
    const f = this.live && this.following ? this.follower?.rung : null;
    const lines = [this.model.get("purity") || ""];
    if (f) lines.push(`following over a remote link: JPEG ${f.why}`);
    if (a && this.direction) lines.push(`playing: JPEG ${a.why}`);
    else if (a) lines.push(`at rest: lossless (PNG) at full resolution; last played at JPEG ${a.why}`);
    status.title = lines.filter(Boolean).join("\n");
    const chosen = f ?? (a && this.direction ? a : null);
    status.dataset.quality = chosen ? String(chosen.quality) : "";
    status.dataset.resolution = chosen ? String(chosen.factor) : "";
  }

  // The rung (JPEG quality, resolution) to ask at while playing (adapt.js), from what
  // was measured.
  adaptQuality(now) {
    if (!this.adapting) return;
    const before = this.adapting;
    const m = {
      cap: this.model.get("quality"),
      fps: this.fps,
      shown: this.shownRate.rate(now),
      goodput: this.fetcher.goodput,
      sizes: this.fetcher.sizes,
      drawMs: this.drawMs,
      ticks: this.tickRate.rate(now),
    };
    this.adapting = adapt.decide(before, m, now);
    if (this.adapting.why !== before.why) {
      this.tooltip();
    }
  }

  // Frames to keep on their way while playing JPEG: bytes in flight bounded by what the
  // link carries in a round trip (adapt.js); null: no bound.
  inFlightBudget() {
    const rung = this.playingRung();
    if (rung === null || !this.direction) return null;
    const { goodput, rttFloor, sizes } = this.fetcher;
    const n = adapt.inFlightBudget({ goodput, rttFloor, bytesPerFrame: adapt.bytesAt(rung, sizes) });
    return Number.isFinite(n) ? n : null;
  }

  // The rung frames are asked at while playing JPEG ({quality, factor}); null: none
  // chosen (PNG, or never played).
  playingRung() {
    const a = this.adapting;
    return a ? { quality: a.quality, factor: a.factor } : null;
  }

  // -- resolution -----------------------------------------------------------------

  // Listen for the next change of devicePixelRatio (a media query on the current one
  // stops matching), then for the one after it.
  watchRatio() {
    if (typeof matchMedia !== "function") return;
    const query = matchMedia(`(resolution: ${globalThis.devicePixelRatio || 1}dppx)`);
    const onChange = () => {
      this.unwatchRatio();
      if (this.closed) return;
      this.watchRatio();
      this.setRatio(pageRatio());
    };
    query.addEventListener("change", onChange);
    this.unwatchRatio = () => query.removeEventListener("change", onChange);
  }

  // Frames at `ratio` from now on. The frames of the old one go; the one on screen stays
  // until a frame at the new ratio replaces it (at rest: asked for now; playing: the
  // clock waits for the next frames at the new ratio). Never a frame of the old size
  // after one of the new.
  setRatio(ratio) {
    if (ratio === this.ratio || this.closed) return;
    this.ratio = ratio;
    this.fetcher.ratio = ratio;
    this.store.setRatio(ratio);
    if (!this.direction) this.goto(this.target);
  }

  // -- frames ---------------------------------------------------------------------

  // The start frame came with the widget's state: show it without asking the kernel.
  showPosterOrFetch(poster) {
    const bytes = poster && (poster.byteLength ?? poster.length);
    if (!bytes) {
      this.goto(this.target);
      return;
    }
    const start = this.target;
    this.seeker.held = true;
    this.decode(poster, LIMITS.mime.png)
      .then((bitmap) => {
        this.seeker.held = false;
        // The poster is drawn at the figure's size (scale 1); on a screen of another
        // ratio, or when it is a preview (256 colours, `poster_exact` false: the kernel
        // sends that when it is much smaller), it is shown until the exact frame
        // arrives, never kept; that frame is asked for once the page's new players have
        // shown theirs (upgradeLater).
        const exact = this.model.get("poster_exact") !== false;
        const frame = { bitmap, lossless: exact, rtt: 0, ratio: 1, scale: 1 };
        const sharp = exact && this.store.fits(frame);
        if (sharp) this.keep(start, frame);
        if (this.current < 0 || this.target === start) {
          this.show(start, frame);
          firstFrameShown(pageFirstFrames(), performance.now());
        } else if (!sharp) bitmap.close();
        if (this.target !== start) this.goto(this.target);
        else if (!sharp) this.upgradeLater(start);
      })
      .catch(() => {
        this.seeker.held = false;
        this.goto(this.target);
      });
  }

  // The exact frame `start` in place of its poster, when upgrade.js says the page's
  // burst of new players is over; dropped if the user has moved on, plays, or has it
  // already (what they did asked for its frames at once).
  upgradeLater(start) {
    const page = pageFirstFrames();
    const since = performance.now();
    const wait = () => {
      if (this.closed || this.direction || this.target !== start) return;
      if (this.store.get(start)?.lossless) return;
      const ms = upgradeWait({ since, last: page.last, now: performance.now() });
      if (ms > 0) setTimeout(wait, ms);
      else this.goto(start);
    };
    wait();
  }

  // Frame i as `format`: the stored one when it is good enough, else from the kernel.
  fetch(i, format, options) {
    const have = this.store.get(i);
    if (have && (have.lossless || format !== PNG)) return Promise.resolve(have);
    return this.fetcher.fetch(i, format, options);
  }

  keep(i, frame) {
    this.store.put(i, frame);
    this.dirtyBuffered = true;
  }

  show(i, frame) {
    if (this.closed) return;
    this.view.draw(i, frame.bitmap, frame.scale ?? 1, frame.lossless !== false);
    this.store.showing(i, frame);
    this.current = i;
    this.publishFrame(i);
    this.updateRange();
    this.view.position(i, this.count);
  }

  // Tell the model which frame is shown: in the page at once (links follow every frame),
  // to the kernel only at rest and once the slider's thumb is let go: no comm message per
  // frame while playing or dragging (each one also brought the kernel's echo and two
  // status messages for the page to handle, taking time from the drag itself).
  publishFrame(i) {
    if (this.model.get("current") !== i) this.model.set("current", i);
    // Nor while a live player captures: the kernel's main thread reads them only after
    // the loop, and its echo of an old one would then pull the view back.
    if (!this.direction && !this.seeker.moving && !this.live) this.saveFrame();
  }

  saveFrame() {
    try {
      this.model.save_changes();
    } catch {
      /* the kernel is gone: nothing to tell */
    }
  }

  // Frame i failed; `asked` is the frame that was wanted (a later one when the animation
  // is drawn in order: nothing past a failing frame can be drawn, and the status says so).
  onFrameError(i, err, asked = i) {
    if (this.closed) return;
    if (err.name === "Disconnected" || err.name === "SendError") {
      this.disconnect(err.message);
      return;
    }
    if (err.name === "FrameOutOfRange") {
      // A generator ran out: the count is known now; playback follows the loop mode.
      this.updateRange();
      if (!this.direction && i === this.target) this.goto(Math.min(i, this.lastIndex));
      return;
    }
    if (this.direction) {
      // A frame asked for ahead failed: playing goes on up to it and stops there.
      const next = clock.step(this.playFrom(), this.direction, this.mode);
      if (next && next.index !== i) {
        this.failAhead ??= { i, err };
        this.failedAhead.add(i).add(asked); // not asked for again while playing
        return;
      }
    }
    this.stopOnError(i, err, asked);
  }

  stopOnError(i, err, asked) {
    this.pause();
    this.lastError = err;
    // Steps and Play go on from the frame that failed, not from the one shown before it.
    this.failedAt = asked;
    let text = `frame ${i}: ${err.name}: ${err.message}`;
    if (err.name === "TimeoutError") text = `frame ${i}: ${NO_REPLY}`;
    else if (asked !== i) {
      text =
        `frames after ${i} cannot be drawn: this animation is drawn in order and ` +
        `frame ${i} failed (${err.name}: ${err.message})`;
    }
    this.view.showError(text, err.traceback || []);
  }

  // -- at rest --------------------------------------------------------------------

  clamp(i) {
    return Math.max(0, Math.min(Math.round(i), this.lastIndex));
  }

  stopAndGo(i, moving = false) {
    this.pause();
    const from = this.target ?? this.current;
    if (i !== from) this.stepDir = i > from ? +1 : -1;
    this.goto(i, moving);
  }

  stepBy(delta) {
    this.pause();
    const from = this.failedAt ?? this.target ?? this.current;
    this.stepDir = delta < 0 ? -1 : +1;
    this.goto(this.clamp(from + delta));
  }

  // Show frame i (seeker.js: latest wins, never back in time, the next asked ahead).
  // `moving`: the slider is being dragged (quick frames until it is let go).
  goto(i, moving = false) {
    i = this.clamp(i);
    this.failedAt = null;
    if (this.lastError) {
      this.lastError = null;
      this.view.setStatus("");
    }
    this.seeker.goto(i, { moving });
  }

  // -- playing --------------------------------------------------------------------

  play(dir) {
    if (this.closed) return;
    // After a frame failed, playing goes on past it (the frame after it is the first due).
    const failed = this.failedAt;
    this.failedAt = null;
    this.failAhead = null;
    this.failedAhead.clear();
    const restart = clock.restartFor(this.current, dir, this.mode);
    if (restart !== null) this.goto(restart);
    else if (failed !== null) this.playhead = failed;
    this.view.setStatus("");
    this.lastError = null;
    this.seeker.forget();
    this.direction = dir;
    this.stepDir = dir;
    this.nextDue = performance.now();
    // Measured afresh (a pause is not a slow link), from the rung last played at.
    this.fetcher.resetRates();
    this.shownRate.reset();
    this.tickRate.reset();
    this.adapting =
      this.formatFor(true) === JPEG
        ? adapt.initial(this.model.get("quality"), this.nextDue, this.playingRung())
        : null;
    this.tooltip();
    this.view.playing(dir);
    this.schedule();
  }

  pause() {
    const wasPlaying = this.direction !== 0;
    this.direction = 0;
    this.playhead = null;
    this.failAhead = null;
    this.failedAhead.clear();
    cancelAnimationFrame(this.raf);
    this.view.playing(0);
    if (wasPlaying) this.tooltip();
    if (wasPlaying && this.current >= 0) {
      this.saveFrame();
      this.goto(this.current); // lossless at rest
    }
  }

  schedule() {
    cancelAnimationFrame(this.raf);
    this.raf = requestAnimationFrame((t) => this.tick(t));
  }

  prefetch(from) {
    const { window, batch } = this.flow;
    if (this.fetcher.requests >= window) return;
    const room = (this.inFlightBudget() ?? Infinity) - this.fetcher.framesInFlight;
    if (room <= 0) return;
    const missing = clock.toPrefetch(
      {
        from,
        direction: this.direction,
        horizon: window * batch,
        want: Math.min((window - this.fetcher.requests) * batch, room),
        skip: (i) => this.store.has(i) || this.fetcher.has(i) || this.failedAhead.has(i),
      },
      this.mode,
    );
    const format = this.formatFor(true);
    const rung = this.playingRung();
    this.fetcher.prefetch(missing, { window, batch: Math.min(batch, room), format, rung });
  }

  // The frame playing goes on from: the one shown, or where Play resumed.
  playFrom() {
    return this.playhead ?? (this.current < 0 ? this.target : this.current);
  }

  tick(now) {
    if (!this.direction || this.closed || !this.visible) return;
    if (this.failAhead && now >= this.nextDue) {
      const next = clock.step(this.playFrom(), this.direction, this.mode);
      if (!next || next.index === this.failAhead.i) {
        const { i, err } = this.failAhead;
        this.stopOnError(i, err, i); // reached it: shown as that frame's error
        return;
      }
    }
    const plan = clock.tick(
      {
        start: this.playFrom(),
        direction: this.direction,
        nextDue: this.nextDue,
        now,
        fps: this.fps,
        realtime: this.model.get("realtime"),
        has: (i) => this.store.has(i),
      },
      this.mode,
    );
    if (plan.end) {
      this.pause();
      return;
    }
    this.tickRate.add(now, 1);
    this.adaptQuality(now);
    this.prefetch(plan.prefetchFrom);
    const shown = plan.show;
    if (shown) {
      this.shownRate.add(now, 1);
      this.counts.dropped += plan.skipped;
      this.show(shown.index, this.store.get(shown.index));
      this.counts.displayed += 1;
      this.direction = shown.dir;
      this.target = shown.index;
      this.playhead = null;
      this.nextDue = plan.nextDue;
      this.view.frameShown(now);
    }
    this.raf = requestAnimationFrame((t) => this.tick(t));
  }

  // -- indicators -----------------------------------------------------------------

  updateRange() {
    this.view.range(this.lastIndex, this.current, this.count);
  }

  async refreshBuffered() {
    if (this.closed || !this.dirtyBuffered || !this.view.connected) return;
    this.dirtyBuffered = false;
    let ranges;
    try {
      ranges = await this.bridge.call(this.key, "buffered", {}, { timeout: REPORT_TIMEOUT_MS });
    } catch {
      return;
    }
    this.view.buffered(ranges, this.lastIndex + 1);
  }

  // -- life cycle -----------------------------------------------------------------

  disconnect(reason) {
    if (this.closed) return;
    this.pause();
    this.view.setStatus(`disconnected: ${reason}`, "error");
    this.view.disable();
    this.destroy(reason);
  }

  destroy(reason = "the player was closed") {
    this.closed = true;
    this.direction = 0;
    this.unwatchRatio?.();
    this.follower?.stop();
    cancelAnimationFrame(this.raf);
    clearInterval(this.bufferTimer);
    clearInterval(this.reportTimer);
    this.view.close();
    this.model.off("change:count", this.onCount);
    this.model.off("change:known", this.onCount);
    this.model.off("change:current", this.onFrame);
    this.model.off("change:purity", this.onPurity);
    this.model.off("change:live", this.onLive);
    this.bridge.close(reason);
    this.store.close();
  }
}

// A player for `model` (the widget's state: key, label, count, known, fps, loop,
// autoplay, realtime, start, format, poster, current) in element `el`, with frames
// from `bridge` and the controls' markup `html`. Returns it; `destroy(reason)` ends it.
export function createPlayer(model, el, { bridge, html, decode = decodeImage }) {
  return new Player(model, el, { bridge, html, decode });
}
