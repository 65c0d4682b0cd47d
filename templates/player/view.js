// The player's DOM: the canvas, the controls and the indicators (buttons, slider,
// counter, fps readout, buffered bar, status line with its traceback). It draws what it
// is told and reports what the user does as named actions; it decides nothing.
//
// The controls' markup comes from player.html (rendered by Jinja, autoescaped), handed
// over as a string: tests and screen readers find the controls by their aria-labels and
// `.iam-*` classes.

const BUTTONS = ["first", "prev", "reverse", "pause", "play", "next", "last"];
const WAITING = "waiting for the kernel…";

// Keys, with the player focused, and the action each one triggers.
const KEYS = {
  " ": "toggle",
  k: "toggle",
  ArrowRight: "next",
  ArrowLeft: "prev",
  Home: "first",
  End: "last",
};

export class PlayerView {
  constructor(el, { html, label }) {
    el.innerHTML = html;
    this.root = el.querySelector(".iam-player");
    this.root.setAttribute("aria-label", label);
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
    for (const name of BUTTONS) this.buttons[name] = $(`.iam-${name}`);
    this.liveButton = $(".iam-live");
    this.shownAt = []; // display times while playing, for the fps readout
    this.fpsShownAt = 0;
  }

  // actions: {first, last, prev, next, play, reverse, pause, toggle, seek(i, moving),
  // loop(mode), speed(), live()}: what each control and key does. `moving`: the slider's thumb
  // is held (a drag); its release seeks again, still.
  bind(actions) {
    for (const name of BUTTONS) this.buttons[name].onclick = () => actions[name]();
    this.liveButton.onclick = () => actions.live();
    let held = false;
    const release = () => {
      if (!held) return;
      held = false;
      actions.seek(Number(this.slider.value), false);
    };
    this.slider.addEventListener("pointerdown", () => {
      held = true;
      // Released anywhere (the pointer may leave the slider while it drags).
      this.root.ownerDocument.addEventListener("pointerup", release, { once: true });
      this.root.ownerDocument.addEventListener("pointercancel", release, { once: true });
    });
    this.slider.addEventListener("input", () => actions.seek(Number(this.slider.value), held));
    this.loopSelect.addEventListener("change", () => actions.loop(this.loopSelect.value));
    this.speedInput.addEventListener("change", () => actions.speed());
    this.root.addEventListener("keydown", (ev) => {
      if (ev.target !== this.root && ev.target.closest("input, select")) return;
      const action = KEYS[ev.key];
      if (!action) return;
      ev.preventDefault();
      ev.stopPropagation(); // keep JupyterLab's command-mode shortcuts out of it
      actions[action]();
    });
  }

  // A live player's button: shown while frames are captured, pressed while following.
  showLive(live, following) {
    this.liveButton.hidden = !live;
    this.liveButton.setAttribute("aria-pressed", String(Boolean(live && following)));
    this.root.dataset.live = live ? (following ? "following" : "looking back") : "";
  }

  // onChange(visible) when the player scrolls in or out of view (where supported).
  observe(onChange) {
    if (typeof IntersectionObserver === "undefined") return;
    this.observer = new IntersectionObserver((entries) => {
      onChange(entries.some((e) => e.isIntersecting));
    });
    this.observer.observe(this.root);
  }

  get loop() {
    return this.loopSelect.value;
  }
  set loop(mode) {
    this.loopSelect.value = mode;
  }
  // What the speed field holds, as typed.
  get speedText() {
    return this.speedInput.value;
  }
  showSpeed(fps) {
    this.speedInput.value = String(Math.round(fps * 100) / 100);
  }
  // The measured fps shown, or NaN when not playing.
  get measuredFps() {
    return parseFloat(this.fpsReadout.textContent);
  }
  get connected() {
    return this.root.isConnected;
  }

  // Draw frame i: `bitmap` has `scale` pixels per CSS pixel (the devicePixelRatio it
  // was drawn for). The canvas gets the bitmap's pixels as its backing store and the
  // figure's size in CSS pixels, so the player has the same layout at every ratio; in
  // an output narrower than that it shrinks, keeping its aspect ratio (player.css).
  // `exact`: the frame's pixels as the kernel drew them (false: a JPEG while playing, the
  // poster's preview), said by the canvas's data-exact.
  draw(i, bitmap, scale = 1, exact = true) {
    const canvas = this.canvas;
    if (canvas.width !== bitmap.width || canvas.height !== bitmap.height || this.scale !== scale) {
      canvas.width = bitmap.width;
      canvas.height = bitmap.height;
      this.scale = scale;
      const width = Math.round((bitmap.width / scale) * 100) / 100;
      canvas.style.width = `${width}px`;
      canvas.dataset.scale = String(scale);
      // The frame sets the player's width; the controls wrap below a small one. In a
      // narrower output it shrinks (min(): its width never forces the output wider).
      this.root.style.width = `min(${Math.max(width, 280)}px, 100%)`;
    }
    this.ctx.drawImage(bitmap, 0, 0);
    canvas.dataset.exact = String(exact);
    canvas.dataset.frame = String(i);
  }

  // The slider's range and the counter ("shown / count", "?" while the count is unknown).
  range(last, current, count) {
    if (Number(this.slider.max) !== last) this.slider.max = String(last);
    this.showCounter(current, count);
  }

  position(i, count) {
    this.slider.value = String(i);
    this.showCounter(i, count);
  }

  showCounter(current, count) {
    const shown = current >= 0 ? current + 1 : 0;
    this.counter.textContent = `${shown} / ${count !== null ? count : "?"}`;
  }

  playing(dir) {
    this.buttons.play.setAttribute("aria-pressed", String(dir > 0));
    this.buttons.reverse.setAttribute("aria-pressed", String(dir < 0));
    if (!dir) this.fpsReadout.textContent = "";
    this.shownAt = [];
  }

  // A frame was shown while playing at `now` (ms): the readout says how many per second,
  // over the last second, refreshed 4 times a second.
  frameShown(now) {
    this.shownAt.push(now);
    while (this.shownAt.length && now - this.shownAt[0] > 1000) this.shownAt.shift();
    if (!this.fpsShownAt || now - this.fpsShownAt > 250) {
      this.fpsShownAt = now;
      const span = this.shownAt.length > 1 ? now - this.shownAt[0] : 0;
      const fps = span > 0 ? ((this.shownAt.length - 1) * 1000) / span : 0;
      this.fpsReadout.textContent = `${fps.toFixed(1)} fps`;
    }
  }

  // The status line. An error stays until replaced by something other than "waiting".
  setStatus(text, kind = text === WAITING ? "wait" : "") {
    if (this.status.dataset.kind === "error" && kind === "wait") return;
    this.status.textContent = text;
    this.status.dataset.kind = kind;
    this.status.classList.toggle("iam-error", kind === "error");
    if (kind !== "error") this.details.hidden = true;
  }

  waiting() {
    this.setStatus(WAITING);
  }

  // The wait is over: clear "waiting", leave anything else.
  arrived() {
    if (this.status.dataset.kind === "wait") this.setStatus("");
  }

  showError(text, traceback = []) {
    this.setStatus(text, "error");
    const tb = traceback.join("");
    this.traceback.textContent = tb;
    this.details.hidden = !tb;
  }

  disable() {
    for (const el of this.root.querySelectorAll("button, input, select")) el.disabled = true;
  }

  // The bar under the slider: the ranges [a, b] of frames the kernel holds, of `total`.
  buffered(ranges, total) {
    const bar = this.bufferedBar;
    const width = Math.max(1, bar.clientWidth);
    if (bar.width !== width) bar.width = width;
    const ctx = bar.getContext("2d");
    ctx.clearRect(0, 0, bar.width, bar.height);
    ctx.fillStyle = getComputedStyle(this.root).getPropertyValue("--jp-brand-color2") || "#64b5f6";
    for (const [a, b] of ranges) {
      const x0 = (a / total) * width;
      const x1 = ((b + 1) / total) * width;
      ctx.fillRect(x0, 0, Math.max(1, x1 - x0), bar.height);
    }
    bar.dataset.ranges = JSON.stringify(ranges);
  }

  close() {
    if (this.observer) this.observer.disconnect();
  }
}
