// The live player's anywidget module: a player per view, talking to the kernel over the
// widget's comm. ipyanimagic/esm.py joins this module with the ones it imports and
// ends it with `export default playerWidget(<the controls' HTML>)`: the markup is data
// from Python (player.html, rendered by Jinja), not part of this source.

import { createBridge } from "../bridge/bridge.js";
import { LIMITS } from "../limits.js";
import { createPlayer } from "./player.js";

export function playerWidget(html) {
  return {
    render({ model, el }) {
      const bridge = createBridge(model, { timeout: LIMITS.frameTimeoutMs });
      const player = createPlayer(model, el, { bridge, html });
      return () => player.destroy("the output was removed or the player closed");
    },
  };
}
