// Following a live player: FOLLOW_DEPTH requests waiting while following (the newest
// frames), one peek at a time (the count alone) while the user looks back, and the status
// line's words.
import assert from "node:assert/strict";
import { test } from "node:test";

import { LIMITS } from "../../templates/limits.js";

import {
  FOLLOW_DEPTH_FIRST,
  FOLLOW_DEPTH_MAX,
  FOLLOW_DEPTH_MIN,
  FOLLOW_SPACING_MS,
  Follower,
  PEEK_MS,
  RETRY_MS,
  LINK_SPARE,
  QUEUE_MIN_MS,
  REMOTE_FLOOR_MS,
  liveStatus,
  followDepth,
  followRung,
  linkBudget,
  linkQueues,
  nextAsk,
  pauseBefore,
  requestsWanted,
} from "../../templates/player/follow.js";

// A follower over a fake kernel: each ask waits until the test answers it; timers are
// run by hand, with the delay they were set for.
function followerOf({ following = true, cap = null } = {}) {
  const clock = { t: 0 }; // the page's clock, moved by the test
  const asks = []; // {args, answer(result, buffers), fail(err)}
  const timers = [];
  const seen = { states: [], frames: [], errors: [] };
  const state = { following };
  const follower = new Follower({
    ask: (args) =>
      new Promise((resolve, reject) => {
        asks.push({
          args,
          at: clock.t,
          answer: (result, buffers = []) => resolve({ result, buffers }),
          fail: (err) => reject(err),
        });
      }),
    following: () => state.following,
    cap: () => cap,
    onState: (s) => seen.states.push(s),
    onFrame: async (i, bytes) => {
      seen.frames.push([i, bytes]);
    },
    onError: (err) => {
      seen.errors.push(err);
      return err.name === "Disconnected";
    },
    setTimer: (fn, ms) => {
      const t = { fn, ms, cleared: false };
      timers.push(t);
      return t;
    },
    clearTimer: (t) => {
      if (t) t.cleared = true;
    },
    now: () => clock.t,
  });
  // Run the timer set last (if it was not cleared); its delay.
  const tick = async () => {
    const t = timers.at(-1);
    if (!t || t.cleared || t.ran) return null;
    t.ran = true;
    t.fn();
    await settle();
    return t.ms;
  };
  return { follower, asks, seen, state, tick, clock };
}

const settle = () => new Promise((r) => setTimeout(r, 0));

test("following asks for the newest frame past the one it has, peeking asks for the count", () => {
  assert.deepEqual(nextAsk({ following: true, have: 4 }), {
    after: 4,
    peek: false,
    spacing: FOLLOW_SPACING_MS,
  });
  assert.deepEqual(nextAsk({ following: false, have: 4 }), { after: 4, peek: true });
});

test("it asks again at once while following, after PEEK_MS while looking back, RETRY_MS after a failure", () => {
  assert.equal(pauseBefore({ following: true }), 0);
  assert.equal(pauseBefore({ following: false }), PEEK_MS);
  assert.equal(pauseBefore({ following: true, failed: true }), RETRY_MS);
});

test("following keeps as many requests waiting as cover the round trip, peeking one", () => {
  assert.equal(requestsWanted({ following: true }), FOLLOW_DEPTH_FIRST, "nothing measured yet");
  assert.equal(requestsWanted({ following: false, transitMs: 100 }), 1);
  // One per spacing the round trip lasts, and one more, within the bounds.
  assert.equal(followDepth(0), FOLLOW_DEPTH_MIN);
  assert.equal(followDepth(30), Math.ceil(30 / FOLLOW_SPACING_MS) + 1);
  assert.equal(followDepth(100), Math.ceil(100 / FOLLOW_SPACING_MS) + 1);
  assert.equal(followDepth(10_000), FOLLOW_DEPTH_MAX);
  assert.equal(followDepth(null), FOLLOW_DEPTH_FIRST);
  // ... and no more than the link carries in a round trip.
  assert.equal(followDepth(100, 5), 5);
  assert.equal(followDepth(100, 1), FOLLOW_DEPTH_MIN);
  // 5 Mbit/s (625 KB/s) and 100 ms: 62.5 KB on the way, three 20 KB frames, and one.
  assert.equal(linkBudget({ goodput: 625_000, floorMs: 100, bytesPerFrame: 20_000 }), 4);
  assert.equal(linkBudget({ goodput: null, floorMs: 100, bytesPerFrame: 20_000 }), Infinity);
});

test("a remote link's round trip, the fastest reply less its wait at the kernel, adds requests", async () => {
  const { follower, asks, tick, clock } = followerOf();
  follower.start(-1);
  while ((await tick()) === 0); // FOLLOW_DEPTH_FIRST asked at once
  assert.equal(asks.length, FOLLOW_DEPTH_FIRST);
  // Each reply: 130 ms after it was asked, 30 of them waiting for a capture: 100 ms of
  // round trip.
  for (let k = 0; k < 5; k++) {
    clock.t = asks[k].at + 130;
    asks[k].answer({ index: k, known: k + 1, live: true, waited_ms: 30 }, [`b${k}`]);
    await settle();
    while ((await tick()) === 0);
  }
  const waiting = asks.length - 5;
  assert.equal(waiting, followDepth(100), `${waiting} waiting`);
});

test("a link queues when its recent round trips are well over its fastest", () => {
  assert.equal(linkQueues({ floorMs: 60, recentMs: [61, 64, 70, 62, 66] }), false);
  assert.equal(linkQueues({ floorMs: 100, recentMs: [180, 210, 240, 190, 260] }), true);
  // Jitter on a fast link is not queueing: QUEUE_MIN_MS at least.
  assert.equal(linkQueues({ floorMs: 2, recentMs: [2 + QUEUE_MIN_MS - 1] }), false);
  assert.equal(linkQueues({ floorMs: 2, recentMs: [2 + QUEUE_MIN_MS + 1] }), true);
  assert.equal(linkQueues({ floorMs: null, recentMs: [500] }), false);
  assert.equal(linkQueues({ floorMs: 60, recentMs: [] }), false);
});

// Replies to the first `n` asks, one every 100 ms (a capture each), each having spent
// `transit(k)` ms on the link and the rest waiting at the kernel, with 20 KB frames
// (200 KB/s: more than a second of them, so that goodput is measured); then how many
// requests wait.
async function waitingAfter(transit, n = 16) {
  const { follower, asks, tick, clock } = followerOf();
  follower.start(-1);
  while ((await tick()) === 0);
  for (let k = 0; k < n; k++) {
    clock.t = Math.max(clock.t + 100, asks[k].at + transit(k));
    const waited = clock.t - asks[k].at - transit(k);
    const frame = new Uint8Array(20_000);
    asks[k].answer({ index: k, known: k + 1, live: true, waited_ms: waited }, [frame]);
    await settle();
    while ((await tick()) === 0);
  }
  return asks.length - n;
}

test("a link with room to spare lets the requests grow past what it carried", async () => {
  // 60 ms each way and back, 200 KB/s arriving (what was asked: 10 captures a second):
  // 0.6 frames in a round trip. With one spare that held the page at two requests; a link
  // that does not queue, and is remote (REMOTE_FLOOR_MS), gets LINK_SPARE.
  const waiting = await waitingAfter(() => 60);
  assert.equal(linkBudget({ goodput: 200_000, floorMs: 60, bytesPerFrame: 20_000 }), 1);
  assert.equal(waiting, Math.min(followDepth(60), LINK_SPARE), `${waiting} waiting`);
  assert.ok(waiting > FOLLOW_DEPTH_MIN);
});

test("a page near the kernel gets no spare requests: a few ms of round trip need none", async () => {
  // 30 ms each: under REMOTE_FLOOR_MS; followDepth(30) would be 4, the link carried 0.3
  // frames in it: one spare, two requests (the least).
  assert.ok(30 < REMOTE_FLOOR_MS);
  const waiting = await waitingAfter(() => 30);
  assert.equal(waiting, FOLLOW_DEPTH_MIN, `${waiting} waiting`);
});

test("a queueing link is held to the frames it carries in a round trip", async () => {
  // 100 ms at best, then ever longer: the link is full.
  // 200 KB/s x 100 ms: one 20 KB frame on the way, and one.
  // (The requests asked before goodput was measured are answered first: 30 replies.)
  const waiting = await waitingAfter((k) => (k === 0 ? 100 : Math.min(150 + 20 * k, 400)), 30);
  assert.equal(waiting, Math.max(FOLLOW_DEPTH_MIN, 2), `${waiting} waiting`);
});

test("while following, several requests wait at once; a reply makes room for the next", async () => {
  const { follower, asks, seen, tick } = followerOf();
  follower.start(-1);
  await tick();
  assert.equal(asks.length, 1);
  assert.deepEqual(asks[0].args, { after: -1, peek: false, spacing: FOLLOW_SPACING_MS });
  while ((await tick()) === 0); // the others are asked at once
  assert.equal(asks.length, FOLLOW_DEPTH_FIRST);
  follower.poke(); // all are on their way: nothing more
  await tick();
  assert.equal(asks.length, FOLLOW_DEPTH_FIRST);
  asks[0].answer({ index: 7, known: 8, live: true }, ["bytes7"]);
  await settle();
  assert.deepEqual(seen.frames, [[7, "bytes7"]]);
  assert.equal(await tick(), 0, "following: asked again at once");
  assert.deepEqual(asks.at(-1).args, { after: 7, peek: false, spacing: FOLLOW_SPACING_MS });
  assert.equal(await tick(), null, "all on their way again");
  assert.equal(asks.length, FOLLOW_DEPTH_FIRST + 1);
  // Another request's reply, an older frame (its encoding was slower): not shown.
  asks[1].answer({ index: 6, known: 8, live: true }, ["bytes6"]);
  await settle();
  assert.deepEqual(seen.frames, [[7, "bytes7"]]);
});

test("peeking, one request at a time: the next is asked only after the reply", async () => {
  const { follower, asks, tick } = followerOf({ following: false });
  follower.start(2);
  await tick();
  assert.equal(await tick(), null, "no second request");
  assert.equal(asks.length, 1);
  follower.poke();
  await tick();
  assert.equal(asks.length, 1);
});

test("looking back, it peeks: states arrive, frames do not", async () => {
  const { follower, asks, seen, state, tick } = followerOf({ following: false });
  follower.start(3);
  await tick();
  assert.deepEqual(asks[0].args, { after: 3, peek: true });
  asks[0].answer({ index: 9, known: 10, live: true });
  await settle();
  assert.deepEqual(seen.frames, []);
  assert.equal(seen.states.at(-1).known, 10);
  assert.equal(await tick(), PEEK_MS);
  state.following = true;
  asks[1].answer({ index: 9, known: 10, live: true });
  await settle();
  assert.equal(await tick(), 0);
  assert.deepEqual(
    asks[2].args,
    { after: 3, peek: false, spacing: FOLLOW_SPACING_MS },
    "the page still has frame 3",
  );
});

test("a frame not newer than the one it has is not shown again", async () => {
  const { follower, asks, seen, tick } = followerOf();
  follower.start(5);
  await tick();
  asks[0].answer({ index: 5, known: 6, live: true }, ["old"]);
  await settle();
  assert.deepEqual(seen.frames, []);
});

test("the end of capture stops it", async () => {
  const { follower, asks, seen, tick } = followerOf();
  follower.start(-1);
  await tick();
  asks[0].answer({ index: 2, known: 3, live: false });
  await settle();
  assert.equal(seen.states.at(-1).live, false);
  assert.equal(follower.running, false);
  assert.equal(await tick(), null, "nothing asked after the end");
  assert.equal(asks.length, 1);
});

test("a failure is retried after RETRY_MS; a lost kernel stops it", async () => {
  const { follower, asks, seen, tick } = followerOf();
  follower.start(-1);
  await tick();
  asks[0].fail(Object.assign(new Error("slow"), { name: "TimeoutError" }));
  await settle();
  assert.equal(await tick(), RETRY_MS);
  asks[1].fail(Object.assign(new Error("gone"), { name: "Disconnected" }));
  await settle();
  assert.equal(follower.running, false);
  assert.equal(seen.errors.length, 2);
});

test("stop() drops a reply still on its way", async () => {
  const { follower, asks, seen, tick } = followerOf();
  follower.start(-1);
  await tick();
  follower.stop();
  asks[0].answer({ index: 1, known: 2, live: true }, ["late"]);
  await settle();
  assert.deepEqual(seen.frames, []);
  assert.deepEqual(seen.states, []);
});

test("the status line counts what was captured, how fast, and says how to get back", () => {
  assert.equal(
    liveStatus({ live: true, known: 12, rate: 4.25, following: true }),
    "● live: 12 frames, 4.3/s",
  );
  assert.equal(
    liveStatus({ live: true, known: 37, rate: 58.4, unit: "steps", total: 100, following: true }),
    "● live: 37 / 100 steps, 58/s",
  );
  assert.match(
    liveStatus({ live: true, known: 3, rate: null, following: false }),
    /^live: 3 frames \(End or ● Live: back to the newest\)$/,
  );
  assert.equal(liveStatus({ live: false, known: 3, following: true }), "");
});

test("over a remote link, following steps down to a rung whose bytes fit what the link carries", () => {
  const sizes = new Map([["85@1", 18_000]]);
  const m = { cap: 85, floorMs: 100, rate: 43, shown: 20, goodput: 600_000, sizes, linkBound: true };
  let s = followRung(null, m, 0);
  assert.deepEqual([s.quality, s.factor], [85, 1]);
  s = followRung(s, m, 100); // behind since now
  assert.deepEqual([s.quality, s.factor], [85, 1], "not before LIMITS.adapt.downMs");
  s = followRung(s, m, 100 + LIMITS.adapt.downMs + 1);
  // 43 frames/s x bytes <= 0.9 x 600 KB/s: 12.6 KB a frame at most; 55 at full resolution
  // is estimated at 13.1 KB, at 0.75 of it 8.2 KB.
  assert.deepEqual([s.quality, s.factor], [55, 0.75], s.why);
  assert.match(s.why, /the link carries 4\.8 Mbit\/s/);
});

test("behind on a remote link with room, following keeps its rung: not the link's doing", () => {
  const m = {
    cap: 85,
    floorMs: 60,
    rate: 43,
    shown: 30,
    goodput: 600_000,
    sizes: new Map([["85@1", 18_000]]),
    linkBound: false,
  };
  let s = followRung(null, m, 0);
  for (let t = 100; t < 5000; t += 100) s = followRung(s, m, t);
  assert.deepEqual([s.quality, s.factor], [85, 1], s.why);
});

test("near the kernel, or without JPEG, following asks at no rung: the player's own quality", () => {
  const m = { cap: 85, floorMs: 5, rate: 190, shown: 40, goodput: 9e6, sizes: new Map() };
  assert.equal(followRung(null, m, 0), null);
  assert.equal(followRung(null, { ...m, floorMs: 100, cap: null }, 0), null);
});

test("a follower over a full remote link asks for smaller frames; one near the kernel does not", async () => {
  async function asked(transit) {
    const { follower, asks, tick, clock } = followerOf({ cap: 85 });
    follower.start(-1);
    while ((await tick()) === 0);
    // 25 frames/s arrive of the 43 captured each second, 18 KB each: the link is full.
    for (let k = 0; k < 60; k++) {
      clock.t = Math.max(asks[k].at + transit(k), k * 40);
      const result = { index: k, known: 2 * k + 1, live: true, waited_ms: 0, rate: 43 };
      asks[k].answer(result, [new Uint8Array(18_000)]);
      await settle();
      while ((await tick()) === 0);
    }
    return asks.at(-1).args;
  }
  // Queueing: its round trips grow.
  const queueing = await asked((k) => 100 + Math.min(10 * k, 200));
  assert.ok(queueing.factor < 1 && queueing.quality <= 55, JSON.stringify(queueing));
  // Not queueing, but it carries fewer frames a round trip than the round trip wants.
  const full = await asked(() => 100);
  assert.ok(full.factor < 1 && full.quality <= 55, JSON.stringify(full));
  const near = await asked(() => 3);
  assert.equal(near.quality, undefined);
  assert.equal(near.factor, undefined);
});
