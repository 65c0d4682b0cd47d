// The live player's page code: a player per view, talking to the kernel over the
// widget's comm. ipyanimagic/esm.py joins this module with the ones it imports and
// ends it with `export default playerWidget(<the controls' HTML>)`: the markup is data
// from Python (player.html, rendered by Jinja), not part of this source. The widget's
// `_esm` is player_loader.js, which gets this module from the kernel once per page.
// Where the player's kernel-less copy plays (embedded.js), a view makes way for it.

import { createBridge } from "../bridge/bridge.js";
import { LIMITS } from "../limits.js";
import { EMBEDDED_EVENT, embeddedCopyShows } from "./embedded.js";
import { createPlayer } from "./player.js";

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
