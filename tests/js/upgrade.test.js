// When a player asks for the exact frame that replaces its poster (upgrade.js): once the
// page's burst of new players is over, and in any case after a maximum wait.
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import {
  FIRST_FRAMES,
  UPGRADE_MAX_MS,
  UPGRADE_QUIET_MS,
  firstFrameShown,
  pageFirstFrames,
  upgradeWait,
} from "../../templates/player/upgrade.js";

describe("the exact start frame, later", () => {
  test("a player alone asks once the page has been quiet for the quiet time", () => {
    const since = 1000;
    assert.equal(upgradeWait({ since, last: since, now: since }), UPGRADE_QUIET_MS);
    assert.equal(upgradeWait({ since, last: since, now: since + 100 }), UPGRADE_QUIET_MS - 100);
    assert.equal(upgradeWait({ since, last: since, now: since + UPGRADE_QUIET_MS }), 0);
    assert.equal(upgradeWait({ since, last: since, now: since + 5000 }), 0);
  });

  test("each new player's first frame puts it off by the quiet time again", () => {
    const since = 1000;
    let now = since;
    const record = { last: since };
    // Players keep coming every 100 ms: nobody asks while they do.
    for (let i = 0; i < 5; i++) {
      now += 100;
      firstFrameShown(record, now);
      assert.equal(upgradeWait({ since, last: record.last, now }), UPGRADE_QUIET_MS);
    }
    now += UPGRADE_QUIET_MS;
    assert.equal(upgradeWait({ since, last: record.last, now }), 0);
  });

  test("no player waits longer than the maximum, however long the burst", () => {
    const since = 1000;
    const now = since + UPGRADE_MAX_MS - 50;
    assert.equal(upgradeWait({ since, last: now, now }), 50);
    assert.equal(upgradeWait({ since, last: now + 50, now: now + 50 }), 0);
  });

  test("a first frame shown before a player's own poster does not make it ask sooner", () => {
    assert.equal(upgradeWait({ since: 1000, last: 500, now: 1000 }), UPGRADE_QUIET_MS);
    assert.equal(upgradeWait({ since: 1000, last: -Infinity, now: 1000 }), UPGRADE_QUIET_MS);
  });

  test("the quiet time and the maximum can be given", () => {
    assert.equal(upgradeWait({ since: 0, last: 0, now: 0 }, 10, 5), 5);
    assert.equal(upgradeWait({ since: 0, last: 100, now: 50 }, 10, 1000), 60);
  });

  test("the page's record is one per page, on globalThis under a Symbol.for key", () => {
    const scope = {};
    const record = pageFirstFrames(scope);
    assert.equal(record.last, -Infinity);
    assert.equal(pageFirstFrames(scope), record);
    assert.equal(scope[Symbol.for("ipyanimagic.firstFrames")], record);
    assert.equal(FIRST_FRAMES, Symbol.for("ipyanimagic.firstFrames"));
    firstFrameShown(record, 20);
    firstFrameShown(record, 10); // never back in time
    assert.equal(pageFirstFrames(scope).last, 20);
    assert.equal(pageFirstFrames(), pageFirstFrames(globalThis));
  });

  test("the quiet time is longer than the gap between two players and well under the maximum", () => {
    // Ten players of one cell over 100 ms / 5 Mbit/s come ~40-90 ms apart (26 KB each).
    assert.ok(UPGRADE_QUIET_MS >= 250 && UPGRADE_QUIET_MS <= 400);
    assert.ok(UPGRADE_MAX_MS >= 5 * UPGRADE_QUIET_MS);
  });
});
