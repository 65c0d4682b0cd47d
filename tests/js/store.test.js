// The decoded-frame store: bounded, least recently used out first, never the frames
// about to be shown nor the one on screen, and every bitmap it lets go of is closed.
import assert from "node:assert/strict";
import { test } from "node:test";

import { FrameStore } from "../../templates/player/store.js";
import { fakeBitmap } from "./fakes.js";

const frame = (label, lossless = false) => ({ bitmap: fakeBitmap(label), lossless, rtt: 0 });

function storeOf({ keep = 3, protect = [] } = {}) {
  return new FrameStore({ keep: () => keep, protect: () => new Set(protect) });
}

test("past its bound the store lets the least recently used frames go, and closes them", () => {
  const store = storeOf({ keep: 3 });
  const frames = [0, 1, 2, 3, 4].map((i) => frame(i));
  frames.forEach((f, i) => store.put(i, f));
  assert.equal(store.size, 3);
  assert.deepEqual([0, 1, 2, 3, 4].filter((i) => store.has(i)), [2, 3, 4]);
  assert.deepEqual(
    frames.map((f) => f.bitmap.closed),
    [true, true, false, false, false],
  );
});

test("the frames about to be shown are never evicted, even past the bound", () => {
  const store = storeOf({ keep: 2, protect: [0, 1, 2] });
  for (const i of [0, 1, 2, 3]) store.put(i, frame(i));
  assert.deepEqual([0, 1, 2, 3].filter((i) => store.has(i)), [0, 1, 2]);
  assert.equal(store.size, 3);
});

test("the shown frame is never evicted, and showing makes a frame most recently used", () => {
  const store = storeOf({ keep: 2 });
  const first = frame(0);
  store.put(0, first);
  store.put(1, frame(1));
  store.showing(0, first);
  store.put(2, frame(2)); // 1 is now the least recently used
  assert.ok(store.has(0) && store.has(2) && !store.has(1));
  store.put(3, frame(3)); // 0 is on screen: 2 goes
  assert.ok(store.has(0) && store.has(3) && !store.has(2));
  assert.equal(first.bitmap.closed, false);
});

test("a newer copy replaces an older one, which is closed unless it is on screen", () => {
  const store = storeOf({ keep: 5 });
  const jpeg = frame("jpeg");
  store.put(0, jpeg);
  const png = frame("png", true);
  store.put(0, png);
  assert.equal(store.get(0), png);
  assert.equal(jpeg.bitmap.closed, true);

  const shown = frame("shown");
  store.put(1, shown);
  store.showing(1, shown);
  store.put(1, frame("better", true));
  assert.equal(shown.bitmap.closed, false, "still on the canvas");
});

test("the same bitmap stored again is not closed", () => {
  const store = storeOf();
  const f = frame(0);
  store.put(0, f);
  store.put(0, { ...f, rtt: 9 });
  assert.equal(f.bitmap.closed, false);
});

test("close closes every bitmap, and frames that arrive afterwards are closed at once", () => {
  const store = storeOf();
  const held = [frame(0), frame(1)];
  held.forEach((f, i) => store.put(i, f));
  store.close();
  assert.ok(held.every((f) => f.bitmap.closed));
  assert.equal(store.size, 0);
  const late = frame(2);
  store.put(2, late);
  assert.equal(late.bitmap.closed, true);
  assert.equal(store.has(2), false);
});

test("the bound is asked for on every put: it follows the measured flow", () => {
  let keep = 4;
  const store = new FrameStore({ keep: () => keep, protect: () => new Set() });
  for (const i of [0, 1, 2, 3]) store.put(i, frame(i));
  keep = 2;
  store.put(4, frame(4));
  assert.equal(store.size, 2);
});

const at = (label, ratio, lossless = false) => ({ ...frame(label, lossless), ratio });

test("the store holds frames of one ratio: a change lets the others go, but the shown one", () => {
  const store = storeOf({ keep: 10 });
  const shown = at("shown", 1);
  const other = at("other", 1);
  store.put(0, shown);
  store.put(1, other);
  store.showing(0, shown);
  store.setRatio(2);
  assert.equal(store.has(0) || store.has(1), false);
  assert.equal(store.get(0), undefined, "the old-size frame is not shown again");
  assert.equal(other.bitmap.closed, true);
  assert.equal(shown.bitmap.closed, false, "still on the canvas");
  const sharp = at("sharp", 2);
  store.put(0, sharp);
  store.showing(0, sharp);
  assert.equal(shown.bitmap.closed, true, "replaced on the canvas: closed");
  assert.equal(store.get(0), sharp);
});

test("forget lets matching frames go; the shown one is closed once replaced", () => {
  const store = storeOf({ keep: 10 });
  const blurry = at("blurry", 1);
  const kept = at("kept", 1);
  store.put(0, blurry);
  store.put(1, kept);
  store.showing(0, blurry);
  store.forget((f) => f === blurry);
  assert.equal(store.has(0), false);
  assert.equal(store.has(1), true);
  assert.equal(blurry.bitmap.closed, false, "still on the canvas");
  store.showing(1, kept);
  assert.equal(blurry.bitmap.closed, true);
  assert.equal(kept.bitmap.closed, false);
});

test("a frame of another ratio is closed on arrival, never kept", () => {
  const store = storeOf();
  store.setRatio(1.5);
  const late = at("late", 1);
  store.put(3, late);
  assert.equal(store.has(3), false);
  assert.equal(late.bitmap.closed, true);
  assert.equal(store.fits(at("x", 1.5)), true);
  assert.equal(store.fits(frame("no ratio")), true);
});

test("a frame of another ratio can be shown (the poster) without being kept", () => {
  const store = storeOf();
  store.setRatio(2);
  const poster = at("poster", 1, true);
  store.showing(0, poster);
  assert.equal(store.has(0), false);
  assert.equal(poster.bitmap.closed, false);
  store.close();
  assert.equal(poster.bitmap.closed, true);
});
