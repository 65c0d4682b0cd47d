// The live player's anywidget module: a loader (../bridge/loader.js) of
// player_widget.js, which comes from the kernel once per page. Until it is there the
// view shows the poster and a status line; where the player's kernel-less copy plays
// (embedded.js) it makes way, as the player does.

import { loaderWidget } from "../bridge/loader.js";
import { EMBEDDED_EVENT, embeddedCopyShows } from "./embedded.js";

function playerPlaceholder(el, model) {
  const doc = el.ownerDocument;
  const root = doc.createElement("div");
  root.className = "iam-player iam-loading";
  const poster = model.get("poster");
  if (poster && poster.byteLength) {
    const img = doc.createElement("img");
    img.className = "iam-poster";
    img.alt = String(model.get("label") || "Animation");
    img.style.display = "block";
    img.style.maxWidth = "100%";
    const url = URL.createObjectURL(new Blob([poster], { type: "image/png" }));
    img.onload = img.onerror = () => URL.revokeObjectURL(url);
    img.src = url;
    root.appendChild(img);
  }
  const status = doc.createElement("div");
  status.className = "iam-status";
  status.setAttribute("role", "status");
  status.setAttribute("aria-live", "polite");
  root.appendChild(status);
  el.appendChild(root);
  return {
    status(text, failed) {
      status.classList.toggle("iam-error", failed);
      status.textContent = text;
    },
    remove: () => root.remove(),
  };
}

export function playerLoader(hash) {
  const loader = loaderWidget({ hash, what: "player", placeholder: playerPlaceholder });
  return {
    initialize: loader.initialize,
    render(args) {
      const { model, el } = args;
      const doc = el.ownerDocument;
      const embedId = model.get("embed_id");
      if (embeddedCopyShows(doc, embedId)) return () => {};
      const cleanup = loader.render(args);
      if (!embedId) return cleanup;
      // A copy that mounts while the code loads (after, the player itself makes way).
      const onCopy = (event) => {
        if (event.detail?.embedId !== embedId) return;
        end();
        el.replaceChildren();
      };
      const end = () => {
        doc.removeEventListener(EMBEDDED_EVENT, onCopy);
        cleanup();
      };
      doc.addEventListener(EMBEDDED_EVENT, onCopy);
      return end;
    },
  };
}
