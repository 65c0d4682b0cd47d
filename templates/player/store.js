// The decoded frames a player keeps, ready to draw. A frame is {bitmap, lossless, rtt,
// ratio, scale} (see fetcher.js).
//
// Decoded frames are big (width x height x 4 bytes each) and an ImageBitmap holds its
// memory until closed, so the store keeps a bounded number, least recently used out
// first, and closes what it lets go. It never lets go of the frame on screen, nor of the
// frames about to be shown: evicting those would mean asking the kernel for them again
// right away.
//
// It holds frames of one resolution, `ratio` (the page's devicePixelRatio they were
// asked at): when the ratio changes, the frames of the old one go (all but the one on
// screen, which stays until another replaces it), and frames of another ratio that
// arrive later are closed at once, never kept: the player cannot show a frame sized
// for another screen. A frame without a ratio fits any.

export class FrameStore {
  // keep(): how many frames to keep now; protect(): the indices about to be shown (asked
  // only when something must go).
  constructor({ keep, protect }) {
    this.keep = keep;
    this.protect = protect;
    this.frames = new Map(); // index -> frame, least recently used first
    this.shown = null; // the frame on screen
    this.closed = false;
    this.ratio = 1;
  }

  // Whether `frame` is of the store's resolution.
  fits(frame) {
    return frame.ratio === undefined || frame.ratio === this.ratio;
  }

  // Frames are of resolution `ratio` from now on: the others go.
  setRatio(ratio) {
    if (ratio === this.ratio) return;
    this.ratio = ratio;
    this.forget((f) => !this.fits(f));
  }

  // Let the frames for which `drop(frame)` is true go (the one on screen stays there,
  // closed when another replaces it).
  forget(drop) {
    for (const [i, f] of this.frames) {
      if (!drop(f)) continue;
      if (f !== this.shown) f.bitmap.close();
      this.frames.delete(i);
    }
  }

  holds(frame) {
    for (const f of this.frames.values()) if (f === frame) return true;
    return false;
  }

  get size() {
    return this.frames.size;
  }

  has(i) {
    return this.frames.has(i);
  }

  get(i) {
    return this.frames.get(i);
  }

  // Keep frame i (replacing an older copy, e.g. a JPEG by its PNG), then evict down to
  // the bound. After close() the frame is closed at once: nothing will draw it.
  put(i, frame) {
    if (this.closed || !this.fits(frame)) {
      frame.bitmap.close();
      return;
    }
    const old = this.frames.get(i);
    if (old && old.bitmap !== frame.bitmap && old !== this.shown) old.bitmap.close();
    this.frames.set(i, frame);
    const keep = this.keep();
    if (this.frames.size <= keep) return;
    const needed = this.protect();
    for (const [j, f] of this.frames) {
      if (this.frames.size <= keep) break;
      if (needed.has(j) || f === this.shown) continue;
      f.bitmap.close();
      this.frames.delete(j);
    }
  }

  // Frame i is on screen now: most recently used, and never evicted while shown. (A
  // frame of another resolution, the poster say, is shown but not kept.)
  showing(i, frame) {
    const before = this.shown;
    this.shown = frame;
    if (before && before !== frame && !this.holds(before)) before.bitmap.close();
    if (!this.fits(frame)) return;
    this.frames.delete(i);
    this.frames.set(i, frame);
  }

  // Close every bitmap; later puts close theirs at once.
  close() {
    this.closed = true;
    for (const frame of this.frames.values()) frame.bitmap.close();
    if (this.shown && !this.holds(this.shown)) this.shown.bitmap.close();
    this.frames.clear();
  }
}
