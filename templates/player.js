// The animation player's page side. The JS clock owns playback: it asks the kernel for
// the frames it is about to show, a few requests in flight, and draws each decoded frame
// on a <canvas> on requestAnimationFrame. Rendered by Jinja; bridge.js is included below.
{% include "bridge.js" %}

const HTML = {{ html|tojson }};
// While playing, the page keeps enough frames on their way to cover a round trip at the
// current speed, with room to spare (a default Jupyter Server adds ~45 ms to each round
// trip, whatever it carries): 2 to 4 requests in flight, each for 1 to 8 frames.
const MIN_WINDOW = 2;
const MAX_WINDOW = 4;
const MAX_BATCH = 8;
const SPARE = 1.5;
const MAX_KEEP = 32; // decoded frames kept in the page
const FRAME_TIMEOUT = 120000; // ms; a long cell can hold the kernel's main thread
const SLOW_MS = 1000; // say "waiting for the kernel" after this long

class Player {
  // `bridge` is the kernel (through the widget's comm) or, in an exported HTML file,
  // the frames embedded in the page (see export.html).
  constructor(model, el, bridge = createBridge(model, { timeout: FRAME_TIMEOUT })) {
    this.model = model;
    this.key = model.get("key");
    this.bridge = bridge;
    // A lost kernel shows at once, whether a request was pending or not.
    this.bridge.onClose((reason) => this.disconnect(reason));
    el.innerHTML = HTML;
    this.root = el.querySelector(".iam-player");
    this.root.setAttribute("aria-label", model.get("label"));
    const $ = (sel) => this.root.querySelector(sel);
    this.canvas = $(".iam-frame");
    this.ctx = this.canvas.getContext("2d");
    this.slider = $(".iam-slider");
    this.bufferedBar = $(".iam-buffered");
    this.counter = $(".iam-counter");
    this.loopSelect = $(".iam-loop");
    this.speedInput = $(".iam-speed");
    this.fpsReadout = $(".iam-fps");
    this.status = $(".iam-status");
    this.details = $(".iam-details");
    this.traceback = $(".iam-traceback");
    this.buttons = {};
    for (const name of ["first", "prev", "reverse", "pause", "play", "next", "last"]) {
      this.buttons[name] = $(`.iam-${name}`);
    }

    this.current = -1; // index shown
    this.target = model.get("start"); // index wanted at rest
    this.direction = 0; // 0 paused, +1 playing, -1 reversing
    this.frames = new Map(); // index -> {bitmap, lossless}
    this.inflight = new Map(); // index -> {format, promise}
    this.requests = 0; // requests in flight
    this.targetBusy = false;
    this.nextDue = 0;
    this.raf = 0;
    this.shownAt = []; // display times while playing, for the fps readout
    this.closed = false;
    this.visible = true;
    this.rtt = 50; // ms, a running estimate of a frame request's round trip
    this.netRtt = 50; // ms, the same without the kernel's drawing time
    this.counts = { requested: 0, received: 0, displayed: 0, dropped: 0 };
    this.dirtyBuffered = true;
    this.lastError = null;

    this.loopSelect.value = model.get("loop");
    this.speedInput.value = String(Math.round(model.get("fps") * 100) / 100);
    this.bind();
    this.updateRange();
    this.showPosterOrFetch(model.get("poster"));
    if (model.get("autoplay")) this.play(+1);
    this.bufferTimer = setInterval(() => this.refreshBuffered(), 700);
    this.reportTimer = setInterval(() => this.report(), 2000);
    // Out of view: stop asking the kernel for frames; carry on when scrolled back.
    if (typeof IntersectionObserver !== "undefined") {
      this.observer = new IntersectionObserver((entries) => {
        const visible = entries.some((e) => e.isIntersecting);
        if (visible === this.visible) return;
        this.visible = visible;
        if (visible && this.direction) {
          this.nextDue = performance.now();
          cancelAnimationFrame(this.raf);
          this.raf = requestAnimationFrame((t) => this.tick(t));
        }
      });
      this.observer.observe(this.root);
    }
  }

  // Frames that must be on their way to play through one round trip. The round trip
  // counted here is the transport's, without the kernel's drawing time: when drawing is
  // the limit, bigger batches would only add latency.
  get ahead() {
    return Math.ceil(((this.netRtt * this.fps) / 1000) * SPARE) + 1;
  }
  get window() {
    return Math.max(MIN_WINDOW, Math.min(MAX_WINDOW, this.ahead));
  }
  get batch() {
    return Math.max(1, Math.min(MAX_BATCH, Math.ceil(this.ahead / this.window)));
  }

  report() {
    if (this.closed || !this.direction) return;
    const stats = {
      ...this.counts,
      rtt_ms: Math.round(this.rtt * 10) / 10,
      net_rtt_ms: Math.round(this.netRtt * 10) / 10,
      decoded: this.frames.size,
      window: this.window,
      batch: this.batch,
    };
    const fps = parseFloat(this.fpsReadout.textContent);
    if (Number.isFinite(fps)) stats.fps = fps;
    this.bridge.call(this.key, "report", { stats }, { timeout: 5000 }).catch(() => {});
  }

  // The start frame came with the widget's state: show it without asking the kernel.
  showPosterOrFetch(poster) {
    const bytes = poster && (poster.byteLength ?? poster.length);
    if (!bytes) {
      this.goto(this.target);
      return;
    }
    const start = this.target;
    this.targetBusy = true;
    createImageBitmap(new Blob([poster], { type: "image/png" }))
      .then((bitmap) => {
        this.targetBusy = false;
        const frame = { bitmap, lossless: true, rtt: 0 };
        this.store(start, frame);
        if (this.current < 0 || this.target === start) this.show(start, frame);
        if (this.target !== start) this.goto(this.target);
      })
      .catch(() => {
        this.targetBusy = false;
        this.goto(this.target);
      });
  }

  // -- settings -------------------------------------------------------------------

  get count() {
    const n = this.model.get("count");
    return n >= 0 ? n : null;
  }
  get fps() {
    const v = Number(this.speedInput.value);
    return v > 0 && Number.isFinite(v) ? Math.min(v, 240) : this.model.get("fps");
  }
  get loop() {
    return this.loopSelect.value;
  }
  get format() {
    return this.model.get("format");
  }
  get realtime() {
    return this.model.get("realtime");
  }
  // JPEG is cheap to make and send while frames fly by; a still frame is lossless.
  formatFor(playing) {
    const f = this.format;
    return f === "auto" ? (playing ? "jpeg" : "png") : f;
  }
  get lastIndex() {
    const n = this.count;
    return n !== null ? n - 1 : Math.max(this.model.get("known") - 1, this.current + 1, 0);
  }

  bind() {
    const b = this.buttons;
    b.first.onclick = () => this.stopAndGo(0);
    b.last.onclick = () => this.stopAndGo(this.lastIndex);
    b.prev.onclick = () => this.stepBy(-1);
    b.next.onclick = () => this.stepBy(+1);
    b.play.onclick = () => this.play(+1);
    b.reverse.onclick = () => this.play(-1);
    b.pause.onclick = () => this.pause();
    this.slider.addEventListener("input", () => this.stopAndGo(Number(this.slider.value)));
    this.loopSelect.addEventListener("change", () => this.sync("loop", this.loop));
    this.speedInput.addEventListener("change", () => {
      this.speedInput.value = String(Math.round(this.fps * 100) / 100);
      this.sync("fps", this.fps);
    });
    this.root.addEventListener("keydown", (ev) => this.onKey(ev));
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
  }

  sync(name, value) {
    try {
      this.model.set(name, value);
      this.model.save_changes();
    } catch (err) {
      console.warn("ipyanimagic: could not save", name, err);
    }
  }

  onKey(ev) {
    if (ev.target !== this.root && ev.target.closest("input, select")) return;
    const actions = {
      " ": () => (this.direction ? this.pause() : this.play(+1)),
      k: () => (this.direction ? this.pause() : this.play(+1)),
      ArrowRight: () => this.stepBy(+1),
      ArrowLeft: () => this.stepBy(-1),
      Home: () => this.stopAndGo(0),
      End: () => this.stopAndGo(this.lastIndex),
    };
    const action = actions[ev.key];
    if (!action) return;
    ev.preventDefault();
    ev.stopPropagation(); // keep JupyterLab's command-mode shortcuts out of it
    action();
  }

  // -- frames ---------------------------------------------------------------------

  // Ask the kernel for frame i (once); resolves to the stored frame or null on error.
  fetch(i, format) {
    const have = this.frames.get(i);
    if (have && (have.lossless || format !== "png")) return Promise.resolve(have);
    const pending = this.inflight.get(i);
    if (pending && pending.format === format) return pending.promise;
    const started = performance.now();
    const slow = setTimeout(() => this.setStatus("waiting for the kernel…"), SLOW_MS);
    const entry = { format };
    entry.promise = this.bridge
      .call(this.key, "frame", { index: i, format }, { raw: true })
      .then(async ({ result, buffers }) => {
        const blob = new Blob([buffers[0]], { type: result.mime });
        const bitmap = await createImageBitmap(blob);
        const rtt = performance.now() - started;
        const frame = { bitmap, lossless: result.mime === "image/png", rtt };
        this.rtt = this.rtt * 0.8 + rtt * 0.2;
        this.netRtt = this.netRtt * 0.8 + Math.max(1, rtt - (result.render_ms || 0)) * 0.2;
        this.counts.received += 1;
        this.store(i, frame);
        if (this.status.dataset.kind === "wait") this.setStatus("");
        return frame;
      })
      .catch((err) => {
        this.onFrameError(i, err);
        return null;
      })
      .finally(() => {
        clearTimeout(slow);
        this.requests -= 1;
        if (this.inflight.get(i) === entry) this.inflight.delete(i);
      });
    this.inflight.set(i, entry);
    this.requests += 1;
    this.counts.requested += 1;
    return entry.promise;
  }

  store(i, frame) {
    if (this.closed) {
      frame.bitmap.close();
      return;
    }
    const old = this.frames.get(i);
    if (old && old.bitmap !== frame.bitmap && old !== this.shownFrame) old.bitmap.close();
    this.frames.set(i, frame);
    this.dirtyBuffered = true;
    // Keep a few decoded frames, least recently used out first, but never the ones
    // about to be shown (by playback order: after the last frame of a loop comes 0).
    // Decoded frames cost width x height x 4 bytes each: keep what is on its way plus a few.
    const keep = Math.min(MAX_KEEP, this.window * this.batch + 6);
    if (this.frames.size > keep) {
      const needed = this.upcoming(this.window * this.batch);
      for (const [j, f] of this.frames) {
        if (this.frames.size <= keep) break;
        if (needed.has(j) || f === this.shownFrame) continue;
        f.bitmap.close();
        this.frames.delete(j);
      }
    }
  }

  // Indices the player shows next (and the one it shows now), in playback order.
  upcoming(n) {
    const out = new Set([this.current, this.target]);
    let i = this.current < 0 ? this.target : this.current;
    let dir = this.direction || 1;
    for (let k = 0; k < n; k++) {
      const next = this.step(i, dir);
      if (!next) break;
      ({ index: i, dir } = next);
      out.add(i);
    }
    return out;
  }

  show(i, frame) {
    if (this.closed) return;
    const { bitmap } = frame;
    if (this.canvas.width !== bitmap.width || this.canvas.height !== bitmap.height) {
      this.canvas.width = bitmap.width;
      this.canvas.height = bitmap.height;
      // The frame sets the player's width; the controls wrap below a small one.
      this.root.style.width = `${Math.max(bitmap.width, 280)}px`;
    }
    this.ctx.drawImage(bitmap, 0, 0);
    this.shownFrame = frame;
    // Most recently used last: eviction takes the oldest first.
    this.frames.delete(i);
    this.frames.set(i, frame);
    this.current = i;
    this.canvas.dataset.frame = String(i);
    this.publishFrame(i);
    this.updateRange();
    this.slider.value = String(i);
    this.updateCounter();
  }

  // Tell the model which frame is shown: in the page at once (links follow every frame),
  // to the kernel only at rest (no comm message per frame while playing).
  publishFrame(i) {
    if (this.model.get("current") !== i) this.model.set("current", i);
    if (!this.direction) this.saveFrame();
  }

  saveFrame() {
    try {
      this.model.save_changes();
    } catch (err) {
      /* the kernel is gone: nothing to tell */
    }
  }

  onFrameError(i, err) {
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
    this.pause();
    this.lastError = err;
    const text =
      err.name === "TimeoutError"
        ? `frame ${i}: no reply from the kernel (is a cell running?)`
        : `frame ${i}: ${err.name}: ${err.message}`;
    this.setStatus(text, "error");
    const tb = (err.traceback || []).join("");
    this.traceback.textContent = tb;
    this.details.hidden = !tb;
  }

  setStatus(text, kind = text === "waiting for the kernel…" ? "wait" : "") {
    if (this.status.dataset.kind === "error" && kind === "wait") return;
    this.status.textContent = text;
    this.status.dataset.kind = kind;
    this.status.classList.toggle("iam-error", kind === "error");
    if (kind !== "error") this.details.hidden = true;
  }

  // -- at rest --------------------------------------------------------------------

  clamp(i) {
    return Math.max(0, Math.min(Math.round(i), this.lastIndex));
  }

  stopAndGo(i) {
    this.pause();
    this.goto(i);
  }

  stepBy(delta) {
    this.pause();
    const from = this.target ?? this.current;
    this.goto(this.clamp(from + delta));
  }

  // Show frame i. Latest wins: one request at a time, and when it lands the newest
  // target is fetched next; stale positions are never queued.
  goto(i) {
    i = this.clamp(i);
    this.target = i;
    if (this.lastError) {
      this.lastError = null;
      this.setStatus("");
    }
    const have = this.frames.get(i);
    if (have) this.show(i, have);
    if (have && (have.lossless || this.formatFor(false) !== "png")) return;
    this.fetchTarget();
  }

  fetchTarget() {
    if (this.targetBusy || this.closed) return;
    const i = this.target;
    this.targetBusy = true;
    this.fetch(i, this.formatFor(false)).then((frame) => {
      this.targetBusy = false;
      if (this.direction || this.closed) return;
      if (this.target === i) {
        if (frame) this.show(i, frame);
        return;
      }
      const newer = this.frames.get(this.target);
      if (newer) this.show(this.target, newer);
      else if (frame) this.show(i, frame); // feedback while the thumb moves
      this.goto(this.target);
    });
  }

  // -- playing --------------------------------------------------------------------

  // The index after i in direction dir under the loop mode, or null at the end of "once".
  step(i, dir) {
    const last = this.count !== null ? this.count - 1 : null;
    let j = i + dir;
    if (j < 0 || (last !== null && j > last)) {
      if (this.loop === "loop") j = dir > 0 ? 0 : last ?? 0;
      else if (this.loop === "reflect") {
        dir = -dir;
        j = i + dir;
        if (j < 0 || (last !== null && j > last)) j = i;
      } else return null;
    }
    return { index: j, dir };
  }

  play(dir) {
    if (this.closed) return;
    const last = this.count !== null ? this.count - 1 : null;
    // Play from the end of a "once" run starts over, as a video player does.
    if (this.loop === "once" && last !== null) {
      if (dir > 0 && this.current >= last) this.goto(0);
      if (dir < 0 && this.current <= 0) this.goto(last);
    }
    this.setStatus("");
    this.lastError = null;
    this.direction = dir;
    this.nextDue = performance.now();
    this.shownAt = [];
    this.buttons.play.setAttribute("aria-pressed", String(dir > 0));
    this.buttons.reverse.setAttribute("aria-pressed", String(dir < 0));
    cancelAnimationFrame(this.raf);
    this.raf = requestAnimationFrame((t) => this.tick(t));
  }

  pause() {
    const wasPlaying = this.direction !== 0;
    this.direction = 0;
    cancelAnimationFrame(this.raf);
    this.buttons.play.setAttribute("aria-pressed", "false");
    this.buttons.reverse.setAttribute("aria-pressed", "false");
    this.fpsReadout.textContent = "";
    if (wasPlaying && this.current >= 0) {
      this.saveFrame();
      this.goto(this.current); // lossless at rest
    }
  }

  prefetch(from) {
    const window = this.window;
    if (this.requests >= window) return;
    const batch = this.batch;
    // The next frames in playback order that are neither here nor on their way.
    const missing = [];
    let pos = { index: from, dir: this.direction };
    for (let k = 0; k < window * batch && missing.length < (window - this.requests) * batch; k++) {
      pos = this.step(pos.index, pos.dir);
      if (!pos) break;
      if (!this.frames.has(pos.index) && !this.inflight.has(pos.index)) missing.push(pos.index);
    }
    const format = this.formatFor(true);
    while (missing.length && this.requests < window) this.fetchBatch(missing.splice(0, batch), format);
  }

  // One request for several frames; each index is marked as on its way.
  fetchBatch(indices, format) {
    if (indices.length === 1) {
      this.fetch(indices[0], format);
      return;
    }
    const started = performance.now();
    const entry = { format };
    this.requests += 1;
    this.counts.requested += indices.length;
    entry.promise = this.bridge
      .call(this.key, "frames", { indices, format }, { raw: true })
      .then(async ({ result, buffers }) => {
        const rtt = performance.now() - started;
        this.rtt = this.rtt * 0.8 + rtt * 0.2;
        const drawing = result.frames.reduce((t, m) => t + (m.render_ms || 0), 0);
        this.netRtt = this.netRtt * 0.8 + Math.max(1, rtt - drawing) * 0.2;
        const decoded = await Promise.all(
          result.frames.map((meta, k) => createImageBitmap(new Blob([buffers[k]], { type: meta.mime }))),
        );
        result.frames.forEach((meta, k) => {
          this.counts.received += 1;
          this.store(meta.index, { bitmap: decoded[k], lossless: meta.mime === "image/png", rtt });
        });
        if (result.error) {
          const e = result.error;
          this.onFrameError(e.index, new BridgeError(e.type, e.message, e.traceback));
        }
        return null;
      })
      .catch((err) => {
        this.onFrameError(indices[0], err);
        return null;
      })
      .finally(() => {
        this.requests -= 1;
        for (const i of indices) if (this.inflight.get(i) === entry) this.inflight.delete(i);
      });
    for (const i of indices) this.inflight.set(i, entry);
  }

  // The frame `k` steps ahead of i in playback order (null past the end of "once").
  advance(i, dir, k) {
    let pos = { index: i, dir };
    for (let n = 0; n < k; n++) {
      const next = this.step(pos.index, pos.dir);
      if (!next) return n === 0 ? null : pos;
      pos = next;
    }
    return pos;
  }

  tick(now) {
    if (!this.direction || this.closed || !this.visible) return;
    const start = this.current < 0 ? this.target : this.current;
    const period = 1000 / this.fps;
    if (this.step(start, this.direction) === null) {
      this.pause();
      return;
    }
    // Realtime: the clock decides which frame is due, skipping the ones that are late.
    const owed = this.realtime && now > this.nextDue ? 1 + Math.floor((now - this.nextDue) / period) : 1;
    const due = this.advance(start, this.direction, owed);
    this.prefetch(owed > 1 ? this.advance(start, this.direction, owed - 1).index : start);
    if (now >= this.nextDue && due) {
      let shown = null;
      if (this.frames.has(due.index)) shown = due;
      else if (owed > 1) {
        // Show the latest frame we have on the way to the due one.
        for (let k = owed - 1; k >= 1 && !shown; k--) {
          const pos = this.advance(start, this.direction, k);
          if (pos && this.frames.has(pos.index)) shown = pos;
        }
      }
      if (shown) {
        const skipped = shown === due ? owed - 1 : 0;
        this.counts.dropped += skipped;
        this.show(shown.index, this.frames.get(shown.index));
        this.counts.displayed += 1;
        this.direction = shown.dir;
        this.target = shown.index;
        this.nextDue += period * (shown === due ? owed : 1);
        // Fell behind (the kernel could not keep up): carry on from now, no burst. (Not
        // now + period: rAF ticks are irregular, and that would skip the next one.)
        if (now - this.nextDue > period) this.nextDue = now;
        this.shownAt.push(now);
        this.updateFps(now);
      }
    }
    this.raf = requestAnimationFrame((t) => this.tick(t));
  }

  updateFps(now) {
    while (this.shownAt.length && now - this.shownAt[0] > 1000) this.shownAt.shift();
    if (!this.fpsShownAt || now - this.fpsShownAt > 250) {
      this.fpsShownAt = now;
      const span = this.shownAt.length > 1 ? now - this.shownAt[0] : 0;
      const fps = span > 0 ? ((this.shownAt.length - 1) * 1000) / span : 0;
      this.fpsReadout.textContent = `${fps.toFixed(1)} fps`;
    }
  }

  // -- indicators -----------------------------------------------------------------

  updateRange() {
    const last = this.lastIndex;
    if (Number(this.slider.max) !== last) this.slider.max = String(last);
    this.updateCounter();
  }

  updateCounter() {
    const n = this.count;
    const shown = this.current >= 0 ? this.current + 1 : 0;
    this.counter.textContent = `${shown} / ${n !== null ? n : "?"}`;
  }

  async refreshBuffered() {
    if (this.closed || !this.dirtyBuffered || !this.root.isConnected) return;
    this.dirtyBuffered = false;
    let ranges;
    try {
      ranges = await this.bridge.call(this.key, "buffered", {}, { timeout: 5000 });
    } catch (err) {
      return;
    }
    const bar = this.bufferedBar;
    const width = Math.max(1, bar.clientWidth);
    if (bar.width !== width) bar.width = width;
    const ctx = bar.getContext("2d");
    ctx.clearRect(0, 0, bar.width, bar.height);
    ctx.fillStyle = getComputedStyle(this.root).getPropertyValue("--jp-brand-color2") || "#64b5f6";
    const total = this.lastIndex + 1;
    for (const [a, b] of ranges) {
      const x0 = (a / total) * width;
      const x1 = ((b + 1) / total) * width;
      ctx.fillRect(x0, 0, Math.max(1, x1 - x0), bar.height);
    }
    this.bufferedBar.dataset.ranges = JSON.stringify(ranges);
  }

  // -- life cycle -----------------------------------------------------------------

  disconnect(reason) {
    if (this.closed) return;
    this.pause();
    this.setStatus(`disconnected: ${reason}`, "error");
    for (const el of this.root.querySelectorAll("button, input, select")) el.disabled = true;
    this.destroy(reason, false);
  }

  destroy(reason = "the player was closed", clear = true) {
    this.closed = true;
    this.direction = 0;
    cancelAnimationFrame(this.raf);
    clearInterval(this.bufferTimer);
    clearInterval(this.reportTimer);
    if (this.observer) this.observer.disconnect();
    this.model.off("change:count", this.onCount);
    this.model.off("change:known", this.onCount);
    this.model.off("change:current", this.onFrame);
    this.bridge.close(reason);
    for (const frame of this.frames.values()) frame.bitmap.close();
    this.frames.clear();
    if (clear) this.shownFrame = null;
  }
}

export default {
  render({ model, el }) {
    const player = new Player(model, el);
    return () => player.destroy("the output was removed or the player closed");
  },
};
