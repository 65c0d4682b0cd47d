// The frame wanted at rest: latest wins with a few requests in flight, never back in
// time, lossless at rest, and the next frame asked for ahead, quietly.
import assert from "node:assert/strict";
import { test } from "node:test";

import { SEEK_WINDOW, Seeker } from "../../templates/player/seeker.js";
import { settle } from "./fakes.js";

// A seeker over a fake kernel: every fetch waits until the test answers it (or fails
// it); the store keeps what arrives, as the player's does.
function seekerOf({ playing = false, ahead = (i) => [i + 1] } = {}) {
  const store = new Map();
  const asked = []; // {i, format, quiet, answer(lossless?), fail()}
  const screen = []; // indices shown, in order
  const state = { playing, current: -1 };
  const seeker = new Seeker({
    fetch: (i, format, { quiet = false } = {}) => {
      const have = store.get(i);
      if (have && (have.lossless || format !== "png")) return Promise.resolve(have);
      // A request on its way is shared, as the fetcher shares it.
      const same = asked.find((a) => a.i === i && a.format === format && !a.done);
      if (same) {
        same.quiet &&= quiet;
        return same.promise;
      }
      const entry = { i, format, quiet };
      entry.promise = new Promise((resolve) => {
        entry.answer = () => {
          const frame = { i, lossless: format === "png" };
          store.set(i, frame);
          resolve(frame);
        };
        entry.fail = () => resolve(null);
      });
      asked.push(entry);
      return entry.promise;
    },
    stored: (i) => store.get(i),
    fits: () => true,
    good: (frame) => frame.lossless,
    format: (moving) => (moving ? "jpeg" : "png"),
    show: (i) => {
      screen.push(i);
      state.current = i;
    },
    shown: () => state.current,
    active: () => !state.playing,
    ahead,
  });
  const pending = (i) => asked.find((a) => a.i === i && !a.done);
  const answer = async (i) => {
    const a = pending(i);
    a.done = true;
    a.answer();
    await settle();
  };
  return { seeker, store, asked, screen, state, answer, pending };
}

const targets = (asked) => asked.filter((a) => !a.quiet).map((a) => `${a.i}:${a.format}`);

test("a click shows the kept frame at once and asks for the next one ahead, quietly", async () => {
  const { seeker, store, asked, screen } = seekerOf();
  store.set(5, { i: 5, lossless: true });
  seeker.goto(5);
  assert.deepEqual(screen, [5]);
  assert.deepEqual(
    asked.map((a) => [a.i, a.format, a.quiet]),
    [[6, "png", true]],
  );
});

test("a frame not kept is asked for lossless at rest, then the next one ahead", async () => {
  const { seeker, asked, screen, answer } = seekerOf();
  seeker.goto(3);
  assert.deepEqual(targets(asked), ["3:png"]);
  await answer(3);
  assert.deepEqual(screen, [3]);
  assert.deepEqual(
    asked.map((a) => [a.i, a.quiet]),
    [
      [3, false],
      [4, true],
    ],
  );
  // Next: the frame ahead is already on its way (now asked for, not a guess).
  seeker.goto(4);
  assert.equal(asked.length, 2);
  assert.equal(asked[1].quiet, false);
  await answer(4);
  assert.deepEqual(screen, [3, 4]);
});

test("while the thumb moves, up to SEEK_WINDOW requests fly, the later ones quick (JPEG)", async () => {
  const { seeker, asked } = seekerOf();
  for (let i = 10; i < 20; i++) seeker.goto(i);
  // Each goto asks for the newest position while the window has room; 13.. wait.
  assert.equal(SEEK_WINDOW, 3);
  assert.deepEqual(targets(asked), ["10:png", "11:jpeg", "12:jpeg"]);
});

test("a reply asks for the newest position: positions passed are never asked for", async () => {
  const { seeker, asked, answer } = seekerOf();
  for (let i = 10; i < 20; i++) seeker.goto(i);
  await answer(11);
  assert.deepEqual(targets(asked), ["10:png", "11:jpeg", "12:jpeg", "19:jpeg"]);
});

test("a reply older than the frame on screen never shows: no step back in time", async () => {
  const { seeker, screen, answer } = seekerOf();
  seeker.goto(10);
  seeker.goto(11);
  seeker.goto(12); // the target
  await answer(11); // newer than nothing shown: feedback while the thumb moves
  await answer(10); // asked before 11, which is on screen: dropped
  assert.deepEqual(screen, [11]);
  await answer(12);
  assert.deepEqual(screen, [11, 12]);
});

test("the target's quick frame is replaced by a lossless one once the thumb stops", async () => {
  const { seeker, store, asked, screen, answer } = seekerOf();
  seeker.goto(10);
  seeker.goto(11); // quick: 10 is still on its way
  await answer(11);
  assert.equal(store.get(11).lossless, false);
  await answer(10); // stale: not shown; the target is asked for again, lossless
  assert.deepEqual(screen, [11]);
  assert.deepEqual(targets(asked).slice(-1), ["11:png"]);
  await answer(11);
  assert.deepEqual(screen, [11, 11]);
  assert.equal(store.get(11).lossless, true);
  const last = asked.at(-1);
  assert.deepEqual([last.i, last.format, last.quiet], [12, "png", true]);
});

test("the target's own reply shows even when a later-asked frame is on screen", async () => {
  const { seeker, screen, answer } = seekerOf();
  seeker.goto(10);
  seeker.goto(11);
  seeker.goto(10); // back to 10: its request is still on its way
  await answer(11); // the target is 10: 11 is feedback (nothing newer shown)
  await answer(10);
  assert.deepEqual(screen, [11, 10]);
});

test("a target that came in a batch asked while playing (the request answers null) shows", async () => {
  const { seeker, store, screen, pending } = seekerOf();
  seeker.goto(6);
  store.set(6, { i: 6, lossless: true }); // the batch's frames go to the store
  pending(6).fail();
  await settle();
  assert.deepEqual(screen, [6]);
});

test("a failed target shows nothing more and asks no more", async () => {
  const { seeker, asked, screen, pending } = seekerOf();
  seeker.goto(7);
  pending(7).fail();
  await settle();
  assert.deepEqual(screen, []);
  assert.equal(asked.length, 1);
});

test("replies that land while playing, or asked before Play, never show", async () => {
  const { seeker, state, screen, answer } = seekerOf();
  seeker.goto(3);
  state.playing = true;
  seeker.forget();
  await answer(3);
  assert.deepEqual(screen, []);
  state.playing = false;
  seeker.goto(8); // paused at 8: the late 3 is kept, not shown
  assert.deepEqual(screen, []);
});

test("nothing is asked for while the poster is on its way, then the target is", async () => {
  const { seeker, asked } = seekerOf();
  seeker.held = true;
  seeker.goto(0);
  assert.equal(asked.length, 0);
  seeker.held = false;
  seeker.goto(0);
  assert.deepEqual(targets(asked), ["0:png"]);
});

test("no frame is asked for ahead when there is none", async () => {
  const { seeker, store, asked } = seekerOf({ ahead: () => [] });
  store.set(9, { i: 9, lossless: true });
  seeker.goto(9);
  assert.equal(asked.length, 0);
});

test("while the thumb is held every request is quick, and its release asks lossless", async () => {
  const { seeker, asked, screen, answer } = seekerOf();
  seeker.goto(10, { moving: true });
  await answer(10);
  seeker.goto(12, { moving: true });
  await answer(12);
  assert.deepEqual(targets(asked), ["10:jpeg", "12:jpeg"]);
  assert.deepEqual(screen, [10, 12]);
  seeker.goto(12, { moving: false }); // let go
  assert.deepEqual(targets(asked), ["10:jpeg", "12:jpeg", "12:png"]);
  await answer(12);
  assert.deepEqual(screen, [10, 12, 12, 12]);
});
