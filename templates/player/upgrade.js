// When a player asks for the exact frame that replaces its poster: a preview (256
// colours, `poster_exact` false) or a frame drawn at another devicePixelRatio.
//
// Why wait at all: a cell that shows ten players sends their messages down the link one
// after the other, and each player shows its poster as soon as its own arrive. Were each
// to ask for its exact frame then (~14 KB for a 640x480 line plot), those replies would
// share a slow link with the later players' messages and hold back their first frames.
// So a player asks once the page's burst of new players is over: when no player has
// shown a first frame for UPGRADE_QUIET_MS (longer than the gap between two players
// of one cell on a slow link), and in any case UPGRADE_MAX_MS after its own poster.
// A user's action does not wait: goto() and play() ask for what they need at once.
//
// The page's record is shared by every player of the page (JavaScript realm) on
// globalThis under a Symbol.for key, as the page code's registry is (codeload.js): the
// players of two versions of ipyanimagic on one page share one link too. Times are
// performance.now() ms.

export const FIRST_FRAMES = Symbol.for("ipyanimagic.firstFrames");
export const UPGRADE_QUIET_MS = 300;
export const UPGRADE_MAX_MS = 3000;

// The page's record: {last}, when a player last showed its first frame.
export function pageFirstFrames(scope = globalThis) {
  return (scope[FIRST_FRAMES] ??= { last: -Infinity });
}

export function firstFrameShown(record, now) {
  record.last = Math.max(record.last, now);
}

// How long a player whose poster showed at `since` still waits at `now` before it asks
// for its exact frame (0: ask now), the page's last first frame having shown at `last`.
export function upgradeWait({ since, last, now }, quiet = UPGRADE_QUIET_MS, max = UPGRADE_MAX_MS) {
  const due = Math.min(Math.max(since, last) + quiet, since + max);
  return Math.max(0, due - now);
}
