// The page script of a player embedded in notebook outputs (player.embed(),
// `%animate --embed`), for viewers without a kernel: `jupyter nbconvert --to html`,
// nbviewer, Jupyter Book, nbsphinx. The same player as the exported file's
// (export_page.js), over the same offline bridge, but a page may hold several, so each
// finds its data inside its own element, not by document-wide ids. ipyanimagic/esm.py
// joins this module with the ones it imports and ends it with `mountEmbedded(document)`.
//
// The data travels in the *carrier*, the output after the player's (embed.html,
// embed.py); the player goes where the viewer rendered the player's own output: its
// `text/html` (the *place*, holding the poster) when the notebook holds no state for
// the widget, else its widget view: a script element of type VIEW_TYPE holding the
// view's JSON (`{"model_id", ...}`), where a widget manager may render the widget
// later. A live front end renders neither (it shows the widget): nothing mounts there.

import { stateModel } from "./export_page.js";
import { LIMITS } from "../limits.js";
import { createOfflineBridge } from "./offline_bridge.js";
import { createPlayer } from "./player.js";
import { EMBEDDED_ATTR, EMBEDDED_EVENT } from "./embedded.js";

export const EMBED_CLASS = "ipyanimagic-embed";
export const CARRIER_CLASS = "ipyanimagic-embed-carrier";
export const MODEL_ATTR = "data-ipyanimagic-model";
export const VIEW_TYPE = "application/vnd.jupyter.widget-view+json";

// The model id a widget view's JSON names, or null.
export function viewModelId(text) {
  try {
    const view = JSON.parse(text);
    return typeof view?.model_id === "string" ? view.model_id : null;
  } catch {
    return null;
  }
}

// The elements of `doc` where model `modelId`'s player goes and none is mounted yet:
// its places, and a new element just before each of its widget views.
export function placesOf(doc, modelId) {
  const places = [];
  for (const el of doc.querySelectorAll(`.${EMBED_CLASS}[${MODEL_ATTR}]:not([data-mounted])`)) {
    if (el.getAttribute(MODEL_ATTR) === modelId) places.push(el);
  }
  for (const view of doc.querySelectorAll(`script[type="${VIEW_TYPE}"]`)) {
    if (view.hasAttribute("data-mounted") || viewModelId(view.textContent) !== modelId) continue;
    view.setAttribute("data-mounted", ""); // taken: another carrier leaves it alone
    const place = doc.createElement("div");
    place.className = EMBED_CLASS;
    place.setAttribute(MODEL_ATTR, modelId);
    view.before(place);
    places.push(place);
  }
  return places;
}

// One embedded player in `root` (a place), from the carrier's data ({model, state,
// frames, controls}); the poster picture, shown until now, makes way for it. The root
// is marked as the copy of the widget whose `embed_id` is the model id, and the page
// told, so that a widget view of that model rendered without a kernel makes way.
export function mountOne(root, data) {
  const { model, state, frames, controls } = data;
  root.setAttribute("data-mounted", "");
  const bridge = createOfflineBridge(
    { key: state.key, count: state.count, frames: frames.frames, ranges: frames.ranges },
    { timeout: LIMITS.frameTimeoutMs },
  );
  const doc = root.ownerDocument;
  const stage = doc.createElement("div");
  stage.className = "ipyanimagic-embed-player";
  root.append(stage);
  // Each player its own copy of the state: it sets `current` as it plays.
  const player = createPlayer(stateModel({ ...state }), stage, { bridge, html: controls });
  const poster = root.querySelector(".ipyanimagic-embed-poster");
  if (poster) poster.remove();
  root.setAttribute(EMBEDDED_ATTR, model);
  doc.dispatchEvent(new CustomEvent(EMBEDDED_EVENT, { detail: { embedId: model } }));
  return player;
}

// Every carrier of the page not read yet: a player in each place of its model (each
// carrier's script reads the carriers before it that are still waiting, and itself).
// Returns the players it mounted.
export function mountEmbedded(doc) {
  const players = [];
  for (const carrier of doc.querySelectorAll(`.${CARRIER_CLASS}:not([data-mounted])`)) {
    carrier.setAttribute("data-mounted", "");
    const data = JSON.parse(carrier.querySelector("script.ipyanimagic-data").textContent);
    for (const root of placesOf(doc, data.model)) players.push(mountOne(root, data));
  }
  return players;
}
