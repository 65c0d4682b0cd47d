// The page script of a player embedded in a notebook output (player.embed(),
// `%animate --embed`), for viewers without a kernel: `jupyter nbconvert --to html`,
// nbviewer. The same player as the exported file's (export_page.js), over the same
// offline bridge, but a page may hold several, so each finds its data inside its own
// element, not by document-wide ids. ipyanimagic/esm.py joins this module with the
// ones it imports and ends it with `mountEmbedded(document)`.

import { stateModel } from "./export_page.js";
import { LIMITS } from "../limits.js";
import { createOfflineBridge } from "./offline_bridge.js";
import { createPlayer } from "./player.js";

export const EMBED_CLASS = "ipyanimagic-embed";

// One embedded player: its data is the JSON element inside `root` ({state, frames,
// controls}); the poster picture, shown until now, makes way for the player.
export function mountOne(root) {
  const data = JSON.parse(root.querySelector("script.ipyanimagic-data").textContent);
  const { state, frames, controls } = data;
  const bridge = createOfflineBridge(
    { key: state.key, count: state.count, frames: frames.frames, ranges: frames.ranges },
    { timeout: LIMITS.frameTimeoutMs },
  );
  const stage = root.querySelector(".ipyanimagic-embed-player");
  const player = createPlayer(stateModel(state), stage, { bridge, html: controls });
  const poster = root.querySelector(".ipyanimagic-embed-poster");
  if (poster) poster.remove();
  return player;
}

// Every embedded player of the page not mounted yet (each output's script mounts the
// ones before it that are still waiting, and itself). Returns the players it mounted.
export function mountEmbedded(doc) {
  const players = [];
  for (const root of doc.querySelectorAll(`.${EMBED_CLASS}:not([data-mounted])`)) {
    root.setAttribute("data-mounted", "");
    players.push(mountOne(root));
  }
  return players;
}
