// The frame wanted at rest (a click, a key, the slider, Python, the end of playback):
// which requests to send for it, which replies to show, and what to ask for ahead.
//
// Latest wins: positions the thumb passed are never queued. While it moves, up to
// `window` requests are on their way, each for the newest position when it was sent,
// in the moving format (JPEG, cheap to make), as while the slider's thumb is held: a
// round trip no longer bounds the frames shown per second to one per round trip. A reply shows only if nothing asked later has
// been shown (never back in time), except the target's own. Once still, the target's
// frame is the at-rest one (lossless), and the next frames in the direction of the last
// step are asked for quietly (its errors and its wait not shown: nobody asked yet), so a
// click on Next shows at once.
//
// What it works on is injected, so Node's test runner drives it with fakes:
//   fetch(i, format, {quiet}) -> Promise of the frame, or null (its error was shown, or
//     it came in a batch and is stored); a stored frame good enough resolves at once;
//   stored(i) -> the frame kept for i at the page's ratio, or undefined;
//   fits(frame) -> the frame is still at the page's ratio (it may change on the way);
//   good(frame) -> good enough at rest; format(moving) -> the format to ask in;
//   show(i, frame); shown() -> the index on screen; active() -> at rest and open;
//   ahead(i) -> the frames worth asking for after i at rest.

export const SEEK_WINDOW = 3;

export class Seeker {
  constructor({ fetch, stored, fits, good, format, show, shown, active, ahead }) {
    Object.assign(this, { fetch, stored, fits, good, format, show, shown, active, ahead });
    this.window = SEEK_WINDOW;
    this.target = 0;
    this.asked = new Map(); // index -> the order it was asked in
    this.sent = 0; // requests sent so far
    this.shownOrder = 0; // the order of the request whose frame is on screen
    this.held = false; // something else is on its way for the target (the poster)
    this.moving = false; // the slider's thumb is held: any frame will do for now
  }

  // Replies to requests sent before now never show (playback took over the screen).
  forget() {
    this.shownOrder = this.sent;
  }

  // Show frame i: at once if it is kept, and ask for it if it is not, or not good
  // enough (at rest: while `moving`, any kept frame will do).
  goto(i, { moving = false } = {}) {
    this.target = i;
    this.moving = moving;
    const have = this.stored(i);
    if (have) {
      this.forget();
      this.show(i, have);
    }
    if (have && this.good(have)) this.askAhead(i);
    else if (!have || !moving) this.request();
  }

  // Ask for the target, unless it is asked for already or the window is full (a reply
  // asks again for the newest target).
  request() {
    const i = this.target;
    if (this.held || this.asked.has(i) || this.asked.size >= this.window || !this.active()) {
      return;
    }
    // Moving: the thumb is held, or others are still on their way and nothing is kept
    // for this one yet.
    const moving = this.moving || (this.asked.size > 0 && !this.stored(i));
    const order = ++this.sent;
    this.asked.set(i, order);
    this.fetch(i, this.format(moving)).then((reply) => {
      this.asked.delete(i);
      // A batch that carried i (asked while playing) answers null: its frames went to
      // the store one by one.
      const frame = reply ?? this.stored(i);
      if (!this.active()) return;
      const fresh = frame && this.fits(frame);
      const newest = order > this.shownOrder && !this.stored(this.target);
      if (fresh && (i === this.target || newest)) {
        this.shownOrder = Math.max(this.shownOrder, order);
        this.show(i, frame);
      }
      if (i === this.target && !frame) return; // failed: its error is shown
      this.settle();
    });
  }

  // A reply came: make the target's frame the one on screen, good enough at rest, and
  // ask ahead; or ask for it.
  settle() {
    const i = this.target;
    const have = this.stored(i);
    if (!have || !this.good(have)) {
      if (have && this.shown() !== i) this.show(i, have);
      if (!have || !this.moving) this.request();
      return;
    }
    if (this.shown() !== i) {
      this.forget();
      this.show(i, have);
    }
    if (this.asked.size === 0) this.askAhead(i);
  }

  askAhead(i) {
    for (const j of this.ahead(i)) {
      const have = this.stored(j);
      if (!(have && this.good(have))) this.fetch(j, this.format(false), { quiet: true });
    }
  }
}
