// The page script of an exported player (export.html): the same player as in the
// notebook, its bridge answering from the frames embedded in the page, its model a
// stand-in holding the state the widget had. ipyanimagic/esm.py joins this module with
// the ones it imports and ends it with `mountExport(document)`.

import { LIMITS } from "../limits.js";
import { createOfflineBridge } from "./offline_bridge.js";
import { createPlayer } from "./player.js";

// The widget model's interface over a plain object: nothing to sync with, no one to
// tell of changes.
export function stateModel(state) {
  return {
    get: (name) => state[name],
    set: (name, value) => {
      state[name] = value;
    },
    save_changes() {},
    on() {},
    off() {},
    send() {},
  };
}

// The data comes from elements of the page, as JSON and markup: never spliced into
// script source.
export function mountExport(doc) {
  const json = (id) => JSON.parse(doc.getElementById(id).textContent);
  const state = json("ipyanimagic-state");
  const { frames, ranges } = json("ipyanimagic-frames");
  const html = doc.getElementById("ipyanimagic-controls").innerHTML;
  const bridge = createOfflineBridge(
    { key: state.key, count: state.count, frames, ranges },
    { timeout: LIMITS.frameTimeoutMs },
  );
  return createPlayer(stateModel(state), doc.getElementById("player"), { bridge, html });
}
