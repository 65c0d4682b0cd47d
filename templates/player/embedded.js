// A player displayed with embed() (`--embed`) carries a kernel-less copy of itself
// (embed_page.js). That copy mounts only in a page without a kernel: where the page
// shows the widget's `text/html`, or where it shows the widget view from the notebook's
// saved state. In the second case the page may also load a widget manager
// (@jupyter-widgets/html-manager) that runs the widget's module with no kernel behind
// it: a player waiting for a kernel forever. So the copy marks its element with the
// model id the widget's `embed_id` holds, and says so with an event; a view whose copy
// plays on the page makes way for it (player_loader.js while the code loads,
// player_widget.js after). A live front end never shows the copy (embed.py).
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
