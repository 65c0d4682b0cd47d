// The playback clock: what comes next under each loop mode, what is due when, what to
// ask for ahead, and how much to keep on its way.
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import {
  AHEAD_AT_REST,
  AHEAD_MAX_DRAW_MS,
  advance,
  nextAtRest,
  flow,
  keepBound,
  restartFor,
  speed,
  step,
  tick,
  toPrefetch,
  upcoming,
} from "../../templates/player/clock.js";
import { LIMITS } from "../../templates/limits.js";

const once = { count: 5, loop: "once" };
const loop = { count: 5, loop: "loop" };
const reflect = { count: 5, loop: "reflect" };
const at = (index, dir) => ({ index, dir });

test("the loop modes and formats are the ones limits.py lists, in its order", () => {
  // clock.js and player.js take them from LIMITS by position.
  assert.deepEqual(LIMITS.loopModes, ["once", "loop", "reflect"]);
  assert.deepEqual(LIMITS.formats, ["png", "jpeg"]);
  assert.equal(LIMITS.playerFormats[0], "auto");
});

describe("step", () => {
  test("inside the range every mode moves one frame in its direction", () => {
    for (const mode of [once, loop, reflect]) {
      assert.deepEqual(step(2, +1, mode), at(3, +1));
      assert.deepEqual(step(2, -1, mode), at(1, -1));
    }
  });

  test("once stops at both ends", () => {
    assert.equal(step(4, +1, once), null);
    assert.equal(step(0, -1, once), null);
  });

  test("loop wraps around at both ends", () => {
    assert.deepEqual(step(4, +1, loop), at(0, +1));
    assert.deepEqual(step(0, -1, loop), at(4, -1));
  });

  test("reflect turns around at both ends", () => {
    assert.deepEqual(step(4, +1, reflect), at(3, -1));
    assert.deepEqual(step(0, -1, reflect), at(1, +1));
  });

  test("reflect on a single frame stays on it", () => {
    assert.deepEqual(step(0, +1, { count: 1, loop: "reflect" }), at(0, -1));
  });

  test("while the count is unknown there is no end going forward", () => {
    const growing = { count: null, loop: "once" };
    assert.deepEqual(step(1000, +1, growing), at(1001, +1));
    assert.equal(step(0, -1, growing), null);
    assert.deepEqual(step(0, -1, { count: null, loop: "loop" }), at(0, -1));
  });
});

describe("advance", () => {
  test("goes k steps through the loop mode", () => {
    assert.deepEqual(advance(3, +1, 4, loop), at(2, +1));
    assert.deepEqual(advance(3, +1, 3, reflect), at(2, -1));
  });

  test("stops at the end of once, or is null when not one step is possible", () => {
    assert.deepEqual(advance(2, +1, 10, once), at(4, +1));
    assert.equal(advance(4, +1, 3, once), null);
  });
});

describe("upcoming", () => {
  test("holds the shown and wanted frames and the next ones in playback order", () => {
    const next = upcoming({ current: 3, target: 3, direction: +1 }, 3, loop);
    assert.deepEqual([...next].sort(), [0, 1, 3, 4]);
  });

  test("follows the direction, and goes forward at rest", () => {
    assert.deepEqual([...upcoming({ current: 2, target: 2, direction: -1 }, 2, once)], [2, 1, 0]);
    assert.deepEqual([...upcoming({ current: 2, target: 2, direction: 0 }, 2, once)], [2, 3, 4]);
  });

  test("before any frame is shown it starts from the target", () => {
    assert.deepEqual([...upcoming({ current: -1, target: 3, direction: 0 }, 5, once)], [-1, 3, 4]);
  });
});

describe("restartFor", () => {
  test("play at the end of a once run starts over, reverse at the start from the end", () => {
    assert.equal(restartFor(4, +1, once), 0);
    assert.equal(restartFor(0, -1, once), 4);
    assert.equal(restartFor(2, +1, once), null);
  });

  test("other modes, and an unknown count, play on from where they are", () => {
    assert.equal(restartFor(4, +1, loop), null);
    assert.equal(restartFor(4, +1, reflect), null);
    assert.equal(restartFor(4, +1, { count: null, loop: "once" }), null);
  });
});

describe("tick", () => {
  const everything = () => true;
  const base = { start: 1, direction: +1, nextDue: 1000, fps: 10, realtime: false };

  test("nothing is shown before its time, but the frames ahead are asked for", () => {
    const plan = tick({ ...base, now: 999, has: everything }, loop);
    assert.equal(plan.show, null);
    assert.equal(plan.prefetchFrom, 1);
    assert.equal(plan.nextDue, 1000);
  });

  test("the due frame is shown and the next one is due a period later", () => {
    const plan = tick({ ...base, now: 1000, has: everything }, loop);
    assert.deepEqual(plan.show, at(2, +1));
    assert.equal(plan.skipped, 0);
    assert.equal(plan.nextDue, 1100);
  });

  test("the clock waits for a frame that has not arrived", () => {
    const plan = tick({ ...base, now: 1500, has: () => false }, loop);
    assert.equal(plan.show, null);
    assert.equal(plan.nextDue, 1000);
  });

  test("the clock skips late frames only in realtime", () => {
    const late = { ...base, now: 1250, has: everything };
    const patient = tick(late, loop);
    assert.deepEqual(patient.show, at(2, +1), "every frame in turn");
    assert.equal(patient.skipped, 0);
    // 250 ms late at 10 fps: frames 2 and 3 are owed too; 4 is due.
    const realtime = tick({ ...late, realtime: true }, loop);
    assert.deepEqual(realtime.show, at(4, +1));
    assert.equal(realtime.skipped, 2);
    assert.equal(realtime.nextDue, 1300);
    assert.equal(realtime.prefetchFrom, 3);
  });

  test("in realtime the latest frame on the way to a missing due one is shown", () => {
    const plan = tick(
      { ...base, now: 1250, realtime: true, has: (i) => i === 2 || i === 3 },
      loop,
    );
    assert.deepEqual(plan.show, at(3, +1));
    assert.equal(plan.skipped, 0);
    // Behind by more than a period after it: carry on from now, no burst.
    assert.equal(plan.nextDue, 1250);
  });

  test("a player that fell behind carries on from now instead of catching up", () => {
    const plan = tick({ ...base, now: 5000, has: everything }, loop);
    assert.deepEqual(plan.show, at(2, +1));
    assert.equal(plan.nextDue, 5000);
  });

  test("the end of a once run ends playback, in either direction", () => {
    assert.deepEqual(tick({ ...base, start: 4, now: 1000, has: everything }, once), { end: true });
    assert.deepEqual(
      tick({ ...base, start: 0, direction: -1, now: 1000, has: everything }, once),
      { end: true },
    );
  });

  test("reverse under reflect turns forward at the first frame", () => {
    const plan = tick({ ...base, start: 0, direction: -1, now: 1000, has: everything }, reflect);
    assert.deepEqual(plan.show, at(1, +1));
  });

  test("reverse under loop wraps to the last frame", () => {
    const plan = tick({ ...base, start: 0, direction: -1, now: 1000, has: everything }, loop);
    assert.deepEqual(plan.show, at(4, -1));
  });
});

describe("toPrefetch", () => {
  const ask = (over, mode) =>
    toPrefetch({ from: 1, direction: +1, horizon: 8, want: 8, skip: () => false, ...over }, mode);

  test("asks for the next frames in playback order, wrapping under loop", () => {
    assert.deepEqual(ask({ from: 3, horizon: 4 }, loop), [4, 0, 1, 2]);
  });

  test("leaves out frames that are here or on their way", () => {
    assert.deepEqual(ask({ skip: (i) => i === 2 || i === 4 }, once), [3]);
  });

  test("stops at want frames, at the horizon, and at the end of once", () => {
    assert.deepEqual(ask({ want: 2 }, loop), [2, 3]);
    assert.deepEqual(ask({ horizon: 3 }, loop), [2, 3, 4]);
    assert.deepEqual(ask({}, once), [2, 3, 4]);
  });

  test("in reverse it asks for the frames before", () => {
    assert.deepEqual(ask({ from: 2, direction: -1 }, reflect), [1, 0, 1, 2, 3, 4, 3, 2]);
  });
});

describe("flow", () => {
  test("keeps one round trip's worth of frames on their way, with room to spare", () => {
    // 50 ms at 30 fps: 1.5 frames a round trip, x1.5 spare, +1.
    assert.deepEqual(flow(50, 30), { ahead: 4, window: 4, batch: 1 });
    assert.deepEqual(flow(50, 60), { ahead: 6, window: 4, batch: 2 });
  });

  test("a short round trip asks for fewer frames per request, at the same throughput", () => {
    // With the server extension (~10 ms) vs without (~50 ms), at 60 fps.
    const quick = flow(10, 60);
    const slow = flow(50, 60);
    assert.deepEqual(quick, { ahead: 2, window: 2, batch: 1 });
    assert.ok(quick.batch < slow.batch && quick.window * quick.batch < slow.window * slow.batch);
    // Either way, frames on their way cover a round trip at the speed asked, and more.
    for (const [rtt, f] of [
      [10, quick],
      [50, slow],
    ]) {
      const perRoundTrip = (rtt * 60) / 1000;
      assert.ok(f.window * f.batch >= perRoundTrip + 1, `${rtt} ms`);
    }
  });

  test("never fewer than minWindow requests, never more than maxWindow x maxBatch", () => {
    assert.deepEqual(flow(50, 1), { ahead: 2, window: LIMITS.minWindow, batch: 1 });
    const fast = flow(1000, LIMITS.fpsMax);
    assert.equal(fast.window, LIMITS.maxWindow);
    assert.equal(fast.batch, LIMITS.maxBatch);
  });

  test("the store keeps what is on its way plus a few, up to maxKeep", () => {
    assert.equal(keepBound({ window: 2, batch: 1 }), 8);
    assert.equal(keepBound({ window: 4, batch: 8 }), LIMITS.maxKeep);
  });
});

test("the speed field's value is used up to fpsMax, else the model's fps", () => {
  assert.equal(speed("12.5", 5), 12.5);
  assert.equal(speed("1000", 5), LIMITS.fpsMax);
  for (const bad of ["", "0", "-3", "abc", "Infinity"]) assert.equal(speed(bad, 5), 5, bad);
});

describe("the frame asked for ahead at rest", () => {
  test("the next AHEAD_AT_REST in the direction of the last step, within the frames", () => {
    assert.equal(AHEAD_AT_REST, 2);
    assert.deepEqual(nextAtRest(4, +1, 9, 5), [5, 6]);
    assert.deepEqual(nextAtRest(4, -1, 9, 5), [3, 2]);
    assert.deepEqual(nextAtRest(8, +1, 9, 5), [9]);
    assert.deepEqual(nextAtRest(9, +1, 9, 5), []);
    assert.deepEqual(nextAtRest(0, -1, 9, 5), []);
  });

  test("none when frames are slow to draw: a guess would hold the kernel", () => {
    assert.deepEqual(nextAtRest(4, +1, 9, AHEAD_MAX_DRAW_MS), [5, 6]);
    assert.deepEqual(nextAtRest(4, +1, 9, AHEAD_MAX_DRAW_MS + 1), []);
    assert.deepEqual(nextAtRest(4, +1, 9, Number.NaN), []);
  });
});
