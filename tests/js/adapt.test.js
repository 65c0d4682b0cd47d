// Playing over the link the page measures: which rung (JPEG quality, resolution) to ask
// for while playing, when to step down and up, and how many frames to keep on their way.
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import {
  Window,
  bytesAt,
  decide,
  inFlightBudget,
  initial,
  playScale,
  rungKey,
  rungs,
} from "../../templates/player/adapt.js";
import { LIMITS } from "../../templates/limits.js";

const A = LIMITS.adapt;
const KiB = 1024;
const MBIT = 1e6 / 8; // bytes per second

// A frame of a noisy image: 48 KiB at 85 and every rung measured, as a player that
// played at each would have them.
const sizes = new Map([
  ["85@1", 48 * KiB],
  ["70@1", 33 * KiB],
  ["55@1", 25 * KiB],
  ["55@0.75", 16 * KiB],
  ["55@0.5", 9 * KiB],
  ["40@0.5", 7 * KiB],
  ["30@0.5", 6 * KiB],
]);

// Feed `decide` the same measurements every `every` ms from `from` to `to`; the states.
function run(state, m, from, to, every = 16) {
  const seen = [];
  for (let t = from; t <= to; t += every) {
    state = decide(state, m, t);
    seen.push({ t, rung: rungKey(state), why: state.why });
  }
  return { state, seen };
}
const firstChange = (seen, from) => seen.find((s) => s.rung !== from);
const keys = (ladder) => ladder.map(rungKey);

describe("the ladder", () => {
  test("quality first, then resolution, then quality again, from the player's quality down", () => {
    assert.deepEqual(keys(rungs(85)), ["85@1", "70@1", "55@1", "55@0.75", "55@0.5", "40@0.5", "30@0.5"]);
    assert.deepEqual(keys(rungs(95)), ["95@1", "85@1", "70@1", "55@1", "55@0.75", "55@0.5", "40@0.5", "30@0.5"]);
    assert.deepEqual(keys(rungs(60)), ["60@1", "55@1", "55@0.75", "55@0.5", "40@0.5", "30@0.5"]);
  });

  test("the player's quality caps every rung; below the ladder only the resolution gives", () => {
    assert.deepEqual(keys(rungs(50)), ["50@1", "50@0.75", "50@0.5", "40@0.5", "30@0.5"]);
    assert.deepEqual(keys(rungs(30)), ["30@1", "30@0.75", "30@0.5"]);
    assert.deepEqual(keys(rungs(10)), ["10@1", "10@0.75", "10@0.5"]);
  });

  test("a rung's scale is the page's ratio times its resolution, never below scaleMin", () => {
    assert.equal(playScale(2, 0.75), 1.5);
    assert.equal(playScale(1.25, 0.5), 0.63);
    assert.equal(playScale(0.3, 0.5), LIMITS.scaleMin);
  });

  test("a player starts at the top, or where it last played", () => {
    assert.equal(rungKey(initial(85, 0)), "85@1");
    assert.equal(rungKey(initial(85, 0, { quality: 55, factor: 0.75 })), "55@0.75");
    // ... within the cap
    assert.equal(rungKey(initial(50, 0, { quality: 70, factor: 1 })), "50@1");
    assert.equal(rungKey(initial(50, 0, { quality: 55, factor: 0.5 })), "50@0.5");
  });
});

describe("bytes of a frame", () => {
  test("as measured at that rung", () => {
    assert.equal(bytesAt({ quality: 55, factor: 0.75 }, sizes), 16 * KiB);
  });

  test("else from the nearest measured rung: smaller below it, larger above", () => {
    const one = new Map([["85@1", 40 * KiB]]);
    const at = (quality, factor = 1) => bytesAt({ quality, factor }, one);
    assert.ok(at(70) < 40 * KiB);
    assert.ok(at(30) < at(70));
    assert.ok(at(95) > 40 * KiB);
    // fewer pixels, fewer bytes: 0.75 of the resolution, ~0.63 of them
    assert.ok(Math.abs(at(85, 0.75) / (40 * KiB) - 0.75 ** A.scaleExponent) < 1e-9);
    assert.ok(at(55, 0.5) < at(55, 0.75));
  });

  test("the same resolution is nearer than the same quality", () => {
    const two = new Map([
      ["55@1", 20 * KiB],
      ["85@0.5", 9 * KiB],
    ]);
    const estimate = bytesAt({ quality: 70, factor: 0.5 }, two);
    assert.ok(Math.abs(estimate - 9 * KiB * (70 / 85) ** A.sizeExponent) < 1e-9);
  });

  test("unknown when nothing was measured", () => {
    assert.equal(bytesAt({ quality: 85, factor: 1 }, new Map()), null);
  });
});

describe("stepping down", () => {
  // 30 fps asked; the link carries 1 Mbit/s: 48 KiB frames come at ~2.5 a second.
  const behind = { cap: 85, fps: 30, shown: 2.5, goodput: 1 * MBIT, sizes, drawMs: 5 };

  test("behind on the link: down within downMs, to the best rung that fits the goodput", () => {
    const { seen } = run(initial(85, 0), behind, 0, 2000);
    const change = firstChange(seen, "85@1");
    assert.ok(change.t >= A.downMs && change.t <= A.downMs + 50, `changed at ${change.t}`);
    // 1 Mbit/s at 30 fps is ~4 KiB a frame: no rung fits: the lowest.
    assert.equal(change.rung, "30@0.5");
    assert.match(
      change.why,
      /quality 30 at 0\.5 of the resolution, down from 85: 2\.5 of 30 frames\/s, the link carries 1\.0 Mbit\/s/,
    );
  });

  test("only as far as needed: the best rung whose bytes fit the goodput", () => {
    // 30 fps x 25 KiB (quality 55) = 6.1 Mbit/s fits 0.9 x 8 Mbit/s; 33 KiB (70) does not.
    const m = { ...behind, shown: 20, goodput: 8 * MBIT };
    const change = firstChange(run(initial(85, 0), m, 0, 2000).seen, "85@1");
    assert.equal(change.rung, "55@1");
    // At 4 Mbit/s 55 does not fit either; 0.75 of the resolution (16 KiB: 3.9 Mbit/s) ...
    const slower = { ...m, goodput: 4.5 * MBIT };
    assert.equal(firstChange(run(initial(85, 0), slower, 0, 2000).seen, "85@1").rung, "55@0.75");
    // ... and at 2.5 Mbit/s half of it (9 KiB: 2.2 Mbit/s).
    const slowest = { ...m, goodput: 2.5 * MBIT };
    const change2 = firstChange(run(initial(85, 0), slowest, 0, 2000).seen, "85@1");
    assert.equal(change2.rung, "55@0.5");
    assert.match(change2.why, /^quality 55 at 0\.5 of the resolution, down from 85/);
  });

  test("a blip shorter than downMs changes nothing", () => {
    let state = run(initial(85, 0), behind, 0, A.downMs - 100).state;
    state = run(state, { ...behind, shown: 30 }, A.downMs - 84, 1500).state;
    assert.equal(rungKey(state), "85@1");
  });

  test("not while the kernel's drawing is the limit: a lower quality would not help", () => {
    const slowKernel = { ...behind, shown: 20, goodput: 20 * MBIT, drawMs: 45 };
    const { state } = run(initial(85, 0), slowKernel, 0, 3000);
    assert.equal(rungKey(state), "85@1");
    assert.match(state.why, /kernel's drawing \(45 ms a frame\) is the limit/);
  });

  test("not while the page is the limit: it ticks fewer times than the fps and shows a frame at each", () => {
    // 60 fps asked of a page whose animation frames come 24 times a second (a busy tab).
    const slowPage = { ...behind, fps: 60, shown: 23, goodput: 20 * MBIT, ticks: 24 };
    const { state } = run(initial(85, 0), slowPage, 0, 3000);
    assert.equal(rungKey(state), "85@1");
    assert.match(state.why, /the page draws 24 times a second .* the limit, not the link/);
  });

  test("a page that ticks often but waits for frames is behind on the link", () => {
    const waiting = { ...behind, ticks: 60 };
    const change = firstChange(run(initial(85, 0), waiting, 0, 2000).seen, "85@1");
    assert.equal(change.rung, "30@0.5");
  });

  test("at the lowest rung, fewer frames, and the status says so", () => {
    const { state } = run(initial(85, 0, { quality: 30, factor: 0.5 }), behind, 0, 2000);
    assert.equal(rungKey(state), "30@0.5");
    assert.match(state.why, /the lowest.*fewer frames/);
  });

  test("nothing is decided before frames and bytes are measured", () => {
    const { state } = run(initial(85, 0), { ...behind, shown: null, goodput: null }, 0, 3000);
    assert.equal(rungKey(state), "85@1");
    assert.equal(state.why, "measuring the link");
  });
});

describe("stepping up", () => {
  const keepingUp = { cap: 85, fps: 30, shown: 30, goodput: 5 * MBIT, sizes, drawMs: 5 };

  test("keeping up with no limit measured: one rung per upMs (a probe)", () => {
    const lowest = { quality: 30, factor: 0.5 };
    const { seen } = run(initial(85, 0, lowest), keepingUp, 0, 3 * A.upMs + 100);
    const ups = seen.filter((s, k) => k && s.rung !== seen[k - 1].rung);
    assert.deepEqual(
      ups.map((s) => s.rung),
      ["40@0.5", "55@0.5", "55@0.75"],
    );
    assert.ok(ups[0].t >= A.upMs, `first step up at ${ups[0].t}`);
    assert.ok(ups[1].t - ups[0].t >= A.upMs);
    assert.match(ups[0].why, /up from 30 at 0\.5 of the resolution: .* \(a probe/);
  });

  test("not while the next rung would not fit under the link's measured ceiling", () => {
    // Behind at 1.3 Mbit/s: down to the lowest (6 KiB x 30/s = 1.5 Mbit/s: still
    // behind); then keeping up (a slower speed asked: 20 fps).
    let { state } = run(initial(85, 0), { ...keepingUp, shown: 10, goodput: 1.3 * MBIT }, 0, 1000);
    assert.equal(rungKey(state), "30@0.5");
    // 40 at half the resolution needs 7 KiB x 20 x 1.25 = 1.4 Mbit/s > 1.3: held ...
    const slow = { ...keepingUp, fps: 20, shown: 20, goodput: 1.05 * MBIT };
    // (the ceiling was measured when it stepped down, at downMs)
    ({ state } = run(state, slow, 1016, A.downMs + A.ceilingMs - 50));
    assert.equal(rungKey(state), "30@0.5");
    assert.match(
      state.why,
      /40 at 0\.5 of the resolution would need 1\.4 Mbit\/s with margin, the link carried 1\.3 Mbit\/s/,
    );
    // ... until the ceiling is old: then a probe.
    ({ state } = run(state, slow, A.downMs + A.ceilingMs, A.downMs + A.ceilingMs + 100));
    assert.equal(rungKey(state), "40@0.5");
  });

  test("up when the next rung fits the ceiling with margin", () => {
    // Behind at 8 Mbit/s: down to 55 (see above); then keeping up at 55: 70 needs
    // 33 KiB x 30 x 1.25 = 10.1 Mbit/s: it does not fit 8 ...
    let { state } = run(initial(85, 0), { ...keepingUp, shown: 20, goodput: 8 * MBIT }, 0, 800);
    assert.equal(rungKey(state), "55@1");
    ({ state } = run(state, { ...keepingUp, goodput: 6 * MBIT }, 816, 4000));
    assert.equal(rungKey(state), "55@1");
    // ... but the link was measured carrying more (12 Mbit/s, the rate restored): up.
    ({ state } = run(state, { ...keepingUp, goodput: 12 * MBIT }, 4016, 4016 + A.upMs));
    assert.equal(rungKey(state), "70@1");
  });

  test("a page that ticks fewer times than the fps asked keeps up at its own pace: up again after a bad start", () => {
    // 60 fps asked of a page whose display frames come 53.7 times a second: it shows 49.7
    // frames a second, a frame at nearly every tick. Down at the lowest after a start
    // that was behind, it climbs back, one rung per upMs.
    const lowest = { quality: 30, factor: 0.5 };
    const m = { ...keepingUp, fps: 60, shown: 49.7, ticks: 53.7, goodput: 20 * MBIT };
    const { seen, state } = run(initial(85, 0, lowest), m, 0, 2 * A.upMs + 100);
    const ups = seen.filter((s, k) => k && s.rung !== seen[k - 1].rung).map((s) => s.rung);
    assert.deepEqual(ups, ["40@0.5", "55@0.5"]);
    assert.match(state.why, /the page draws 54 times a second .* the limit, not the link/);
  });

  test("up is slower than down: a step up waits upMs after any change", () => {
    assert.ok(A.upMs >= 2 * A.downMs);
  });

  test("never above the player's quality", () => {
    const { state } = run(initial(60, 0), { ...keepingUp, cap: 60 }, 0, 20_000);
    assert.equal(rungKey(state), "60@1");
    // The cap lowered while playing: at once.
    const lowered = decide(state, { ...keepingUp, cap: 50 }, 20_016);
    assert.equal(rungKey(lowered), "50@1");
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
