// The fetcher: flow control (requests in flight, batch sizes), one request per frame
// and format, round-trip estimates, counts, and where errors go.
import assert from "node:assert/strict";
import { test } from "node:test";

import { BridgeError } from "../../templates/bridge/bridge.js";
import { Fetcher } from "../../templates/player/fetcher.js";
import { LIMITS } from "../../templates/limits.js";
import { fakeDecode, manualBridge, PNG, settle, sleep } from "./fakes.js";

const bytes = (i) => Uint8Array.from([1, 2, i]);
const meta = (index, extra = {}) => ({ index, mime: PNG, render_ms: 0, ...extra });

function fetcherOf(options = {}) {
  const bridge = manualBridge();
  const got = { frames: [], errors: [], slow: 0, arrived: 0 };
  let clock = 0;
  const fetcher = new Fetcher({
    bridge,
    key: "k",
    decode: fakeDecode,
    onFrame: (i, frame) => got.frames.push([i, frame]),
    onError: (i, err) => got.errors.push([i, err]),
    onSlow: () => (got.slow += 1),
    onArrive: () => (got.arrived += 1),
    now: () => clock,
    ...options,
  });
  const advance = (ms) => (clock += ms);
  return { fetcher, bridge, got, advance };
}

// The kernel's answer to a `frames` call for `indices`.
function batchReply(indices, error = null) {
  return {
    result: { frames: indices.map((i) => meta(i)), error },
    buffers: indices.map((i) => bytes(i)),
  };
}

test("prefetch keeps at most `window` requests in flight, `batch` frames each", () => {
  const { fetcher, bridge } = fetcherOf();
  fetcher.prefetch([1, 2, 3, 4, 5, 6, 7, 8, 9], { window: 2, batch: 3, format: "jpeg" });
  assert.equal(fetcher.requests, 2);
  assert.deepEqual(
    bridge.calls.map((c) => [c.method, c.args]),
    [
      ["frames", { indices: [1, 2, 3], format: "jpeg", scale: 1 }],
      ["frames", { indices: [4, 5, 6], format: "jpeg", scale: 1 }],
    ],
  );
  assert.ok(bridge.calls.every((c) => c.options.raw === true));
  assert.ok([1, 2, 3, 4, 5, 6].every((i) => fetcher.has(i)));
  assert.equal(fetcher.has(7), false);
  fetcher.prefetch([7, 8, 9], { window: 2, batch: 3, format: "jpeg" });
  assert.equal(bridge.calls.length, 2, "the window is full");
});

test("a request that lands frees its place in the window", async () => {
  const { fetcher, bridge } = fetcherOf();
  const flow = { window: 2, batch: 2, format: "jpeg" };
  fetcher.prefetch([1, 2, 3, 4], flow);
  bridge.calls[0].answer(batchReply([1, 2]));
  await settle();
  assert.equal(fetcher.requests, 1);
  assert.equal(fetcher.has(1), false);
  fetcher.prefetch([5, 6, 7], flow);
  assert.equal(fetcher.requests, 2);
  assert.deepEqual(bridge.calls[2].args.indices, [5, 6]);
});

test("a batch of one goes as a single `frame` request", () => {
  const { fetcher, bridge } = fetcherOf();
  fetcher.prefetch([4], { window: 2, batch: 3, format: "jpeg" });
  const [{ method, args }] = bridge.calls;
  assert.deepEqual([method, args], ["frame", { index: 4, format: "jpeg", scale: 1 }]);
});

test("one request per frame and format: a second ask shares the first", () => {
  const { fetcher, bridge } = fetcherOf();
  const a = fetcher.fetch(3, "png");
  const b = fetcher.fetch(3, "png");
  assert.equal(a, b);
  fetcher.fetch(3, "jpeg");
  assert.equal(bridge.calls.length, 2);
  assert.equal(fetcher.counts.requested, 2);
});

test("decoded frames go to onFrame; the promise resolves to the frame", async () => {
  const { fetcher, bridge, got } = fetcherOf();
  const pending = fetcher.fetch(3, "png");
  bridge.calls[0].answer({ result: meta(3), buffers: [bytes(3)] });
  const frame = await pending;
  assert.equal(frame.bitmap.label, 3);
  assert.equal(frame.bitmap.mime, PNG);
  assert.equal(frame.lossless, true);
  assert.deepEqual(got.frames, [[3, frame]]);
  assert.equal(got.arrived, 1);
  assert.deepEqual(fetcher.counts, { requested: 1, received: 1 });
  assert.equal(fetcher.requests, 0);
  assert.equal(fetcher.has(3), false);
});

test("the first round trip replaces the guess; later ones move a fifth of the way", async () => {
  const { fetcher, bridge, advance } = fetcherOf();
  assert.equal(fetcher.rtt, LIMITS.assumedRttMs);
  const first = fetcher.fetch(0, "png");
  advance(50);
  bridge.calls[0].answer({ result: meta(0, { render_ms: 10 }), buffers: [bytes(0)] });
  await first;
  assert.deepEqual([fetcher.rtt, fetcher.netRtt], [50, 40]);
  const pending = fetcher.fetch(1, "png");
  advance(150);
  bridge.calls[1].answer({ result: meta(1, { render_ms: 50 }), buffers: [bytes(1)] });
  await pending;
  assert.equal(fetcher.rtt, 70); // 50 x 0.8 + 150 x 0.2
  assert.equal(fetcher.netRtt, 52); // 40 x 0.8 + (150 - 50) x 0.2
});

test("a batch's drawing time is the sum of its frames'", async () => {
  const { fetcher, bridge, advance } = fetcherOf();
  fetcher.measure(50, 0); // a round trip measured before
  fetcher.fetchBatch([0, 1], "jpeg");
  advance(250);
  bridge.calls[0].answer({
    result: { frames: [meta(0, { render_ms: 40 }), meta(1, { render_ms: 60 })], error: null },
    buffers: [bytes(0), bytes(1)],
  });
  await settle();
  assert.equal(fetcher.rtt, 90); // 50 x 0.8 + 250 x 0.2
  assert.equal(fetcher.netRtt, 70); // 50 x 0.8 + (250 - 100) x 0.2
  assert.deepEqual(fetcher.counts, { requested: 2, received: 2 });
});

test("a frame's drawing time follows the lowest replies: one slow reply does not make frames heavy", async () => {
  const { fetcher } = fetcherOf();
  assert.equal(fetcher.drawMs, null); // nothing measured yet
  fetcher.measure(200, 150); // a first draw on a busy machine
  assert.equal(fetcher.drawMs, 150);
  fetcher.measure(60, 10); // a lower one is taken at once
  assert.equal(fetcher.drawMs, 10);
  fetcher.measure(260, 210); // a higher one moves a fifth of the way
  assert.equal(fetcher.drawMs, 50); // 10 x 0.8 + 210 x 0.2
});

test("a batch's drawing time counts per frame", async () => {
  const { fetcher, bridge, advance } = fetcherOf();
  fetcher.fetchBatch([0, 1, 2, 3], "jpeg");
  advance(200);
  bridge.calls[0].answer({
    result: { frames: [0, 1, 2, 3].map((i) => meta(i, { render_ms: 30 })), error: null },
    buffers: [0, 1, 2, 3].map(bytes),
  });
  await settle();
  assert.equal(fetcher.drawMs, 30); // 120 ms for four frames
});

test("a failed batch delivers the frames before it, then the failing index's error", async () => {
  const { fetcher, bridge, got } = fetcherOf();
  fetcher.fetchBatch([4, 5, 6, 7], "jpeg");
  const error = {
    index: 6,
    type: "ZeroDivisionError",
    message: "division by zero",
    traceback: ["tb\n"],
  };
  bridge.calls[0].answer(batchReply([4, 5], error));
  await settle();
  assert.deepEqual(got.frames.map(([i]) => i), [4, 5]);
  assert.equal(got.errors.length, 1);
  const [index, err] = got.errors[0];
  assert.equal(index, 6);
  assert.ok(err instanceof BridgeError);
  assert.equal(err.name, "ZeroDivisionError");
  assert.equal(err.message, "division by zero");
  assert.deepEqual(err.traceback, ["tb\n"]);
  assert.equal(fetcher.requests, 0);
  assert.ok([4, 5, 6, 7].every((i) => !fetcher.has(i)), "nothing stays marked on its way");
});

test("a batch the bridge rejects is reported for its first index", async () => {
  const { fetcher, bridge, got } = fetcherOf();
  fetcher.fetchBatch([8, 9], "jpeg");
  bridge.calls[0].fail(new BridgeError("TimeoutError", "frames: no reply within 5 ms"));
  await settle();
  assert.equal(got.errors[0][0], 8);
  assert.equal(got.errors[0][1].name, "TimeoutError");
  assert.equal(fetcher.requests, 0);
});

test("a single frame that fails resolves to null and goes to onError", async () => {
  const { fetcher, bridge, got } = fetcherOf();
  const pending = fetcher.fetch(2, "png");
  bridge.calls[0].fail(new BridgeError("FrameOutOfRange", "frame 2 is out of range"));
  assert.equal(await pending, null);
  assert.equal(got.errors[0][0], 2);
  assert.equal(got.errors[0][1].name, "FrameOutOfRange");
  assert.equal(got.arrived, 0);
  assert.equal(fetcher.counts.received, 0);
});

test("a single frame past a frame that failed first is reported for that frame", async () => {
  const { fetcher, bridge, got } = fetcherOf();
  const pending = fetcher.fetch(9, "jpeg");
  bridge.calls[0].fail(new BridgeError("ValueError", "no frame 3 today", [], { frame: 3 }));
  assert.equal(await pending, null);
  assert.deepEqual(
    got.errors.map(([i, err]) => [i, err.message]),
    [[3, "no frame 3 today"]],
  );
});

test("a single request says it is slow after slowMs, and not once it landed", async () => {
  const { fetcher, bridge, got } = fetcherOf({ slowMs: 10 });
  const quick = fetcher.fetch(0, "png");
  bridge.calls[0].answer({ result: meta(0), buffers: [bytes(0)] });
  await quick;
  fetcher.fetch(1, "png");
  await sleep(30);
  assert.equal(got.slow, 1);
});

test("a quiet request (a guess) reports neither its error nor its wait", async () => {
  const { fetcher, bridge, got } = fetcherOf({ slowMs: 10 });
  const guess = fetcher.fetch(5, "png", { quiet: true });
  await sleep(30);
  bridge.calls[0].fail(new BridgeError("ValueError", "no frame 5 today"));
  assert.equal(await guess, null);
  assert.deepEqual([got.errors.length, got.slow], [0, 0]);
});

test("a guess asked for in earnest before it ends reports like any request", async () => {
  const { fetcher, bridge, got } = fetcherOf({ slowMs: 10 });
  fetcher.fetch(5, "png", { quiet: true });
  const asked = fetcher.fetch(5, "png");
  assert.equal(bridge.calls.length, 1); // shared
  await sleep(30);
  bridge.calls[0].fail(new BridgeError("ValueError", "no frame 5 today"));
  assert.equal(await asked, null);
  assert.deepEqual(
    got.errors.map(([i, err]) => [i, err.message]),
    [[5, "no frame 5 today"]],
  );
  assert.equal(got.slow, 1);
});

test("frames are asked at the current ratio and say the ratio and scale they have", async () => {
  const { fetcher, bridge, got } = fetcherOf({ ratio: 2 });
  const single = fetcher.fetch(3, "png");
  fetcher.fetchBatch([4, 5], "jpeg");
  assert.deepEqual(
    bridge.calls.map((c) => c.args.scale),
    [2, 2],
  );
  bridge.calls[0].answer({ result: meta(3, { scale: 2 }), buffers: [bytes(3)] });
  bridge.calls[1].answer({
    result: { frames: [meta(4, { scale: 1 }), meta(5, { scale: 1 })], error: null },
    buffers: [bytes(4), bytes(5)],
  });
  const frame = await single;
  await settle();
  assert.deepEqual([frame.ratio, frame.scale], [2, 2]);
  // A fixed dpi: asked at 2, drawn at 1; the ratio is what it was asked at.
  assert.deepEqual(
    got.frames.slice(1).map(([i, f]) => [i, f.ratio, f.scale]),
    [
      [4, 2, 1],
      [5, 2, 1],
    ],
  );
});

test("a reply without a scale (an exported file's) takes pixelScale", async () => {
  const { fetcher, bridge } = fetcherOf({ ratio: 1, pixelScale: 2 });
  const pending = fetcher.fetch(0, "png");
  bridge.calls[0].answer({ result: meta(0), buffers: [bytes(0)] });
  assert.equal((await pending).scale, 2);
});

test("after the ratio changes a frame is asked again, not shared with the old request", async () => {
  const { fetcher, bridge, got } = fetcherOf({ ratio: 1 });
  const old = fetcher.fetch(3, "png");
  assert.equal(fetcher.has(3), true);
  fetcher.ratio = 1.5;
  assert.equal(fetcher.has(3), false, "on its way, but at the old ratio");
  const fresh = fetcher.fetch(3, "png");
  assert.notEqual(fresh, old);
  assert.deepEqual(
    bridge.calls.map((c) => c.args.scale),
    [1, 1.5],
  );
  assert.equal(fetcher.has(3), true);
  bridge.calls[0].answer({ result: meta(3, { scale: 1 }), buffers: [bytes(3)] });
  await old;
  assert.equal(fetcher.has(3), true, "the old reply leaves the new request marked");
  bridge.calls[1].answer({ result: meta(3, { scale: 1.5 }), buffers: [bytes(3)] });
  assert.equal((await fresh).ratio, 1.5);
  assert.deepEqual(
    got.frames.map(([, f]) => f.ratio),
    [1, 1.5],
  );
  assert.equal(fetcher.requests, 0);
});

test("a rung asked for goes with a JPEG request: its quality, and its share of the page's resolution", () => {
  const { fetcher, bridge } = fetcherOf();
  fetcher.ratio = 2;
  const rung = { quality: 55, factor: 0.75 };
  fetcher.prefetch([1, 2, 3], { window: 2, batch: 2, format: "jpeg", rung });
  fetcher.fetch(9, "png", { rung }); // PNG: lossless at the page's full resolution
  fetcher.fetch(8, "jpeg"); // no rung: the kernel's quality, full resolution
  assert.deepEqual(
    bridge.calls.map((c) => c.args),
    [
      { indices: [1, 2], format: "jpeg", scale: 1.5, quality: 55 },
      { index: 3, format: "jpeg", scale: 1.5, quality: 55 },
      { index: 9, format: "png", scale: 2 },
      { index: 8, format: "jpeg", scale: 2 },
    ],
  );
});

test("a frame asked at a lower resolution keeps the page's ratio and says its own scale", async () => {
  const { fetcher, bridge, got } = fetcherOf();
  fetcher.ratio = 2;
  const asked = fetcher.fetch(4, "jpeg", { rung: { quality: 55, factor: 0.5 } });
  bridge.calls[0].answer({ result: meta(4, { scale: 1, mime: "image/jpeg" }), buffers: [bytes(4)] });
  const frame = await asked;
  assert.equal(frame.ratio, 2, "kept with the page's other frames");
  assert.equal(frame.scale, 1, "drawn at the player's size from fewer pixels");
  assert.equal(frame.lossless, false, "replaced by the lossless frame at rest");
  assert.equal(got.frames.length, 1);
});

test("goodput: bytes of replies per second; frames in flight; bytes of a frame per rung", async () => {
  const { fetcher, bridge, advance } = fetcherOf();
  const kib = (n) => new Uint8Array(n * 1024);
  assert.equal(fetcher.goodput, null);
  fetcher.prefetch([1, 2, 3, 4], { window: 2, batch: 2, format: "jpeg", rung: { quality: 70, factor: 1 } });
  assert.equal(fetcher.framesInFlight, 4);
  advance(100);
  const reply = (indices) => ({
    result: { frames: indices.map((i) => meta(i)), error: null },
    buffers: indices.map(() => kib(10)),
  });
  bridge.calls[0].answer(reply([1, 2]));
  await settle();
  assert.equal(fetcher.framesInFlight, 2);
  assert.equal(fetcher.sizes.get("70@1"), 10 * 1024);
  assert.equal(fetcher.rttFloor, 100);
  advance(LIMITS.adapt.warmupMs);
  bridge.calls[1].answer(reply([3, 4]));
  await settle();
  assert.equal(fetcher.framesInFlight, 0);
  // 40 KiB over the 1000 ms since the first reply
  assert.equal(fetcher.goodput, (40 * 1024 * 1000) / LIMITS.adapt.warmupMs);
  fetcher.resetRates();
  assert.equal(fetcher.goodput, null);
});
