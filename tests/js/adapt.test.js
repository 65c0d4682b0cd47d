// Playing over the link the page measures: which JPEG quality to ask for while playing,
// when to step down and up, and how many frames to keep on their way.
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import {
  Window,
  bytesAt,
  decide,
  inFlightBudget,
  initial,
  rungs,
} from "../../templates/player/adapt.js";
import { LIMITS } from "../../templates/limits.js";

const A = LIMITS.adapt;
const KiB = 1024;
const MBIT = 1e6 / 8; // bytes per second

// A frame of a noisy image: 48 KiB at 85 and every rung measured, as a player that
// played at each would have them.
const sizes = new Map([
  [85, 48 * KiB],
  [70, 33 * KiB],
  [55, 25 * KiB],
  [40, 20 * KiB],
  [30, 16 * KiB],
]);

// Feed `decide` the same measurements every `every` ms from `from` to `to`; the states.
function run(state, m, from, to, every = 16) {
  const seen = [];
  for (let t = from; t <= to; t += every) {
    state = decide(state, m, t);
    seen.push({ t, quality: state.quality, why: state.why });
  }
  return { state, seen };
}
const firstChange = (seen, from) => seen.find((s) => s.quality !== from);

describe("the ladder", () => {
  test("starts at the player's quality and goes down the ladder below it", () => {
    assert.deepEqual(rungs(85), [85, 70, 55, 40, 30]);
    assert.deepEqual(rungs(95), [95, 85, 70, 55, 40, 30]);
    assert.deepEqual(rungs(60), [60, 55, 40, 30]);
  });

  test("a quality at or below the lowest rung is the only one: the user asked for it", () => {
    assert.deepEqual(rungs(30), [30]);
    assert.deepEqual(rungs(10), [10]);
  });

  test("a player starts at the top, or where it last played", () => {
    assert.equal(initial(85, 0).quality, 85);
    assert.equal(initial(85, 0, 55).quality, 55);
    // ... within the cap
    assert.equal(initial(50, 0, 70).quality, 50);
  });
});

describe("bytes of a frame", () => {
  test("as measured at that quality", () => {
    assert.equal(bytesAt(55, sizes), 25 * KiB);
  });

  test("else from the nearest measured quality, smaller below it and larger above", () => {
    const one = new Map([[85, 40 * KiB]]);
    assert.ok(bytesAt(70, one) < 40 * KiB);
    assert.ok(bytesAt(30, one) < bytesAt(70, one));
    assert.ok(bytesAt(95, one) > 40 * KiB);
  });

  test("unknown when nothing was measured", () => {
    assert.equal(bytesAt(85, new Map()), null);
  });
});

describe("stepping down", () => {
  // 30 fps asked; the link carries 1 Mbit/s: 48 KiB frames come at ~2.5 a second.
  const behind = { cap: 85, fps: 30, shown: 2.5, goodput: 1 * MBIT, sizes, drawMs: 5 };

  test("behind on the link: down within downMs, to the best rung that fits the goodput", () => {
    const { seen } = run(initial(85, 0), behind, 0, 2000);
    const change = firstChange(seen, 85);
    assert.ok(change.t >= A.downMs && change.t <= A.downMs + 50, `changed at ${change.t}`);
    // 1 Mbit/s at 30 fps is ~4 KiB a frame: no rung fits: the lowest.
    assert.equal(change.quality, 30);
    assert.match(change.why, /down from 85: 2\.5 of 30 frames\/s, the link carries 1\.0 Mbit\/s/);
  });

  test("only as far as needed: the best rung whose bytes fit the goodput", () => {
    // 30 fps x 25 KiB (quality 55) = 6.1 Mbit/s fits 0.9 x 8 Mbit/s; 33 KiB (70) does not.
    const m = { ...behind, shown: 20, goodput: 8 * MBIT };
    const change = firstChange(run(initial(85, 0), m, 0, 2000).seen, 85);
    assert.equal(change.quality, 55);
  });

  test("a blip shorter than downMs changes nothing", () => {
    let state = run(initial(85, 0), behind, 0, A.downMs - 100).state;
    state = run(state, { ...behind, shown: 30 }, A.downMs - 84, 1500).state;
    assert.equal(state.quality, 85);
  });

  test("not while the kernel's drawing is the limit: a lower quality would not help", () => {
    const slowKernel = { ...behind, shown: 20, goodput: 20 * MBIT, drawMs: 45 };
    const { state } = run(initial(85, 0), slowKernel, 0, 3000);
    assert.equal(state.quality, 85);
    assert.match(state.why, /kernel's drawing \(45 ms a frame\) is the limit/);
  });

  test("not while the page is the limit: it ticks fewer times than the fps and shows a frame at each", () => {
    // 60 fps asked of a page whose animation frames come 24 times a second (a busy tab).
    const slowPage = { ...behind, fps: 60, shown: 23, goodput: 20 * MBIT, ticks: 24 };
    const { state } = run(initial(85, 0), slowPage, 0, 3000);
    assert.equal(state.quality, 85);
    assert.match(state.why, /the page draws 24 times a second .* the limit, not the link/);
  });

  test("a page that ticks often but waits for frames is behind on the link", () => {
    const waiting = { ...behind, ticks: 60 };
    const change = firstChange(run(initial(85, 0), waiting, 0, 2000).seen, 85);
    assert.equal(change.quality, 30);
  });

  test("at the lowest rung, fewer frames, and the status says so", () => {
    const { state } = run(initial(85, 0, 30), behind, 0, 2000);
    assert.equal(state.quality, 30);
    assert.match(state.why, /the lowest.*fewer frames/);
  });

  test("nothing is decided before frames and bytes are measured", () => {
    const { state } = run(initial(85, 0), { ...behind, shown: null, goodput: null }, 0, 3000);
    assert.equal(state.quality, 85);
    assert.equal(state.why, "measuring the link");
  });
});

describe("stepping up", () => {
  const keepingUp = { cap: 85, fps: 30, shown: 30, goodput: 5 * MBIT, sizes, drawMs: 5 };

  test("keeping up with no limit measured: one rung per upMs (a probe)", () => {
    const { seen } = run(initial(85, 0, 30), keepingUp, 0, 3 * A.upMs + 100);
    const ups = seen.filter((s, k) => k && s.quality !== seen[k - 1].quality);
    assert.deepEqual(
      ups.map((s) => s.quality),
      [40, 55, 70],
    );
    assert.ok(ups[0].t >= A.upMs, `first step up at ${ups[0].t}`);
    assert.ok(ups[1].t - ups[0].t >= A.upMs);
    assert.match(ups[0].why, /up from 30: .* \(a probe/);
  });

  test("not while the next rung would not fit under the link's measured ceiling", () => {
    // Behind at 1.3 Mbit/s: down to 30 (16 KiB x 30/s = 3.9 Mbit/s: still behind, but
    // the lowest); then keeping up (a slower speed asked: 8 fps).
    let { state } = run(initial(85, 0), { ...keepingUp, shown: 10, goodput: 1.3 * MBIT }, 0, 1000);
    assert.equal(state.quality, 30);
    // 40 needs 20 KiB x 8 x 1.25 = 1.6 Mbit/s > 1.3: held ...
    const slow = { ...keepingUp, fps: 8, shown: 8, goodput: 1.05 * MBIT };
    // (the ceiling was measured when it stepped down, at downMs)
    ({ state } = run(state, slow, 1016, A.downMs + A.ceilingMs - 50));
    assert.equal(state.quality, 30);
    assert.match(state.why, /40 would need 1\.6 Mbit\/s with margin, the link carried 1\.3 Mbit\/s/);
    // ... until the ceiling is old: then a probe.
    ({ state } = run(state, slow, A.downMs + A.ceilingMs, A.downMs + A.ceilingMs + 100));
    assert.equal(state.quality, 40);
  });

  test("up when the next rung fits the ceiling with margin", () => {
    // Behind at 8 Mbit/s: down to 55 (see above); then keeping up at 55: 70 needs
    // 33 KiB x 30 x 1.25 = 10.1 Mbit/s: it does not fit 8 ...
    let { state } = run(initial(85, 0), { ...keepingUp, shown: 20, goodput: 8 * MBIT }, 0, 800);
    assert.equal(state.quality, 55);
    ({ state } = run(state, { ...keepingUp, goodput: 6 * MBIT }, 816, 4000));
    assert.equal(state.quality, 55);
    // ... but the link was measured carrying more (12 Mbit/s, the rate restored): up.
    ({ state } = run(state, { ...keepingUp, goodput: 12 * MBIT }, 4016, 4016 + A.upMs));
    assert.equal(state.quality, 70);
  });

  test("up is slower than down: a step up waits upMs after any change", () => {
    assert.ok(A.upMs >= 2 * A.downMs);
  });

  test("never above the player's quality", () => {
    const { state } = run(initial(60, 0), { ...keepingUp, cap: 60 }, 0, 20_000);
    assert.equal(state.quality, 60);
    // The cap lowered while playing: at once.
    const lowered = decide(state, { ...keepingUp, cap: 50 }, 20_016);
    assert.equal(lowered.quality, 50);
  });
});

describe("frames on their way", () => {
  test("bytes in flight at most goodput x (the fastest round trip + a margin)", () => {
    // 5 Mbit/s, 100 ms: 625 KB/s x 0.2 s = 125 KB: 6 frames of 18 KiB (not 32).
    const n = inFlightBudget({ goodput: 5 * MBIT, rttFloor: 100, bytesPerFrame: 18 * KiB });
    assert.equal(n, Math.floor((5 * MBIT * (100 + A.inflightMarginMs)) / 1000 / (18 * KiB)));
    assert.equal(n, 6);
  });

  test("never fewer than minInflightFrames", () => {
    const n = inFlightBudget({ goodput: 10 * KiB, rttFloor: 100, bytesPerFrame: 48 * KiB });
    assert.equal(n, A.minInflightFrames);
  });

  test("unbounded until goodput, round trip and a frame's bytes are measured", () => {
    assert.equal(inFlightBudget({ goodput: null, rttFloor: 100, bytesPerFrame: 1 }), Infinity);
    assert.equal(inFlightBudget({ goodput: 1e6, rttFloor: null, bytesPerFrame: 1 }), Infinity);
    assert.equal(inFlightBudget({ goodput: 1e6, rttFloor: 100, bytesPerFrame: null }), Infinity);
  });
});

describe("measuring over a window", () => {
  test("a rate per second over the window, once warmupMs have passed", () => {
    const w = new Window(2000);
    for (let t = 0; t <= 4000; t += 100) w.add(t, 1000); // 10 kB a second
    assert.equal(w.rate(4000), 10_000 + 500); // 21 samples in the last 2000 ms
    const fresh = new Window(2000);
    fresh.add(0, 1000);
    assert.equal(fresh.rate(A.warmupMs - 1), null);
  });

  test("a stall shows: nothing arriving brings the rate down", () => {
    const w = new Window(1000);
    for (let t = 0; t <= 1000; t += 100) w.add(t, 1);
    assert.ok(w.rate(1000) > 9);
    assert.equal(w.rate(2500), 0);
  });

  test("reset: a pause is not a slow link", () => {
    const w = new Window(1000);
    w.add(0, 5);
    w.reset();
    assert.equal(w.rate(5000), null);
  });

  test("the least value in the window", () => {
    const w = new Window(1000);
    w.add(0, 50);
    w.add(500, 80);
    w.add(900, 60);
    assert.equal(w.min(900), 50);
    assert.equal(w.min(1400), 60);
    assert.equal(w.min(5000), null);
  });
});
