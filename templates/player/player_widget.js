// The live player's anywidget module: a player per view, talking to the kernel over the
// widget's comm. ipyanimagic/esm.py joins this module with the ones it imports and
// ends it with `export default playerWidget(<the controls' HTML>)`: the markup is data
// from Python (player.html, rendered by Jinja), not part of this source.

import { createBridge } from "../bridge/bridge.js";
import { LIMITS } from "../limits.js";
import { createPlayer } from "./player.js";

// A player displayed with embed() (`--embed`) carries a kernel-less copy of itself
// (embed_page.js). That copy mounts only in a page without a kernel: where the page
// shows the widget's `text/html`, or where it shows the widget view from the notebook's
// saved state. In the second case the page may also load a widget manager
// (@jupyter-widgets/html-manager) that runs this module with no kernel behind it: a
// player waiting for a kernel forever. So the copy marks its element with the model id
// the widget's `embed_id` holds, and says so with an event; a view whose copy plays on
// the page makes way for it. A live front end never shows the copy (embed.py).
export const EMBEDDED_ATTR = "data-ipyanimagic-embedded";
export const EMBEDDED_EVENT = "ipyanimagic-embedded";

// Whether the kernel-less copy of the widget `embedId` names plays in `doc`.
export function embeddedCopyShows(doc, embedId) {
  if (!embedId) return false;
  for (const el of doc.querySelectorAll(`[${EMBEDDED_ATTR}]`)) {
    if (el.getAttribute(EMBEDDED_ATTR) === embedId) return true;
  }
  return false;
}

export function playerWidget(html) {
  return {
    render({ model, el }) {
      const doc = el.ownerDocument;
      const embedId = model.get("embed_id");
      if (embeddedCopyShows(doc, embedId)) return () => {};
      const bridge = createBridge(model, { timeout: LIMITS.frameTimeoutMs });
      const player = createPlayer(model, el, { bridge, html });
      let ended = false;
      const end = (reason) => {
        if (ended) return;
        ended = true;
        doc.removeEventListener(EMBEDDED_EVENT, onCopy);
        player.destroy(reason);
      };
      // A copy that mounts after this view rendered (a widget manager that ran first).
      function onCopy(event) {
        if (!embedId || event.detail?.embedId !== embedId) return;
        end("a copy of the player that plays without a kernel shows here");
        el.replaceChildren();
      }
      if (embedId) doc.addEventListener(EMBEDDED_EVENT, onCopy);
      return () => end("the output was removed or the player closed");
    },
  };
}
