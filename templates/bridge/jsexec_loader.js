// The %%jsexec widget's anywidget module: a loader (loader.js) of jsexec.js, which
// comes from the kernel once per page. A widget never displayed (eval_js's) only
// initializes.

import { loaderWidget } from "./loader.js";

// Where a view says that its code is on its way, or why it cannot come (as an error box,
// like the cell's own errors).
function jsexecPlaceholder(el) {
  const note = document.createElement("div");
  note.className = "ipyanimagic-loading";
  note.setAttribute("role", "status");
  el.appendChild(note);
  return {
    status(text, failed) {
      if (failed) {
        note.className = "ipyanimagic-error";
        note.setAttribute("role", "alert");
        note.style.whiteSpace = "pre-wrap";
      }
      note.textContent = text;
    },
    remove: () => note.remove(),
  };
}

export function jsexecLoader(hash) {
  return loaderWidget({
    hash,
    what: "%%jsexec output",
    placeholder: jsexecPlaceholder,
    skip: (model) => Boolean(model.get("headless")),
  });
}
