// %%jsexec: run a cell's JavaScript (or HTML with scripts) in its output, with a
// kernel API. ipyanimagic/esm.py joins this module with bridge.js for anywidget.

import { BridgeError, createBridge, KERNEL_GONE } from "./bridge.js";
import { createPageCalls, NdArray } from "./pagecalls.js";

const AsyncFunction = Object.getPrototypeOf(async function () {}).constructor;
const PARAMS = ["element", "kernel", "IPython", "python"];
// The handler of Python's calls, one per model (made by anywidget's initialize), and the
// model's view elements, which show how many calls run (data-python-calls). By the
// widget's key: anywidget hands initialize and each view a different proxy of the model
// (a view's listeners go when the view goes), so the proxies cannot be the keys.
const PAGE_CALLS = new Map();
const VIEW_ELEMENTS = new Map();
let execCount = 0;

// What the 2013 seed's callbacks.output(out_type, out) expects, from a Jupyter output.
function seedOutput(out) {
  switch (out.output_type) {
    case "stream":
      return ["stream", { data: out.text, text: out.text, name: out.name }];
    case "execute_result":
      return ["pyout", { data: out.data, metadata: out.metadata || {} }];
    case "error":
      return ["pyerr", { ename: out.ename, evalue: out.evalue, traceback: out.traceback || [] }];
    default:
      return ["display_data", { data: out.data, metadata: out.metadata || {} }];
  }
}

// The message type and content a current Jupyter front end would have seen.
function iopubMessage(out, msgId) {
  const types = { stream: "stream", execute_result: "execute_result", error: "error" };
  const msgType = types[out.output_type] || "display_data";
  const content = { ...out };
  delete content.output_type;
  if (msgType === "execute_result") content.execution_count = null;
  return { header: { msg_type: msgType, msg_id: `${msgId}-out` }, parent_header: { msg_id: msgId }, content };
}

function makeApi(bridge, key, element, showError, scope) {
  const renderOutputs = (outputs) => showOutputs(element, outputs);

  const kernel = {
    // Compatible with IPython.notebook.kernel.execute of the 2013 notebook.
    execute(code, callbacks = {}, options = {}) {
      const msgId = `ipyanimagic-execute-${++execCount}`;
      const silent = Boolean(options && options.silent);
      const deliver = (outputs) => {
        if (silent) return;
        for (const out of outputs) {
          if (callbacks.output) {
            const [type, payload] = seedOutput(out);
            callbacks.output(type, payload);
          }
          if (callbacks.iopub && callbacks.iopub.output) callbacks.iopub.output(iopubMessage(out, msgId));
        }
      };
      bridge
        .call(key, "execute", { code: String(code) })
        .then((outputs) => {
          deliver(outputs);
          const failed = outputs.some((o) => o.output_type === "error");
          if (callbacks.shell && callbacks.shell.reply) {
            callbacks.shell.reply({ content: { status: failed ? "error" : "ok" } });
          }
        })
        .catch((err) => {
          // The call never reached Python (disconnected, timed out): say so the seed's way.
          deliver([{ output_type: "error", ename: err.name, evalue: err.message, traceback: [] }]);
          if (callbacks.shell && callbacks.shell.reply) callbacks.shell.reply({ content: { status: "error" } });
        })
        .catch(showError);
      return msgId;
    },
  };

  // The promise API. `python.options({timeout, signal})` returns the same API with
  // those call options (ms; an AbortSignal), e.g. to give up waiting on a long call.
  const makePython = (opts = {}) => {
    const call = (method, args, extra = {}) => bridge.call(key, method, args, { ...opts, ...extra });
    return {
      exec: (code) => call("exec", { code: String(code) }),
      eval: (expr) => call("eval", { expr: String(expr) }, { onOutput: renderOutputs }),
      get: (name) => call("get", { name }, { onOutput: renderOutputs }),
      set: (name, value) => call("set", { name, value: value === undefined ? null : value }),
      call: (name, ...args) => call("call", { name, args }, { onOutput: renderOutputs }),
      // A round trip through the bridge and dispatcher that runs no user code.
      echo: (value) => call("echo", { value: value === undefined ? null : value }),
      options: (more) => makePython({ ...opts, ...more }),
      // Any exposed method of any registered ipyanimagic object, by its key
      // (e.g. another output's `.key`): the dispatcher routes by key, not by comm.
      request: (targetKey, method, args = {}) => bridge.call(targetKey, method, args, opts),
      // Python calls the page: python.expose(name, fn) or python.expose({name: fn}); fn
      // gets Python's arguments and, last, an AbortSignal (Python stopped waiting).
      expose: (nameOrObject, fn) => scope.expose(nameOrObject, fn),
      // Return python.array(typed, shape) to Python to get a numpy array, not bytes.
      array: (typed, shape = null) => new NdArray(typed, shape),
    };
  };
  const python = makePython();

  return { kernel, IPython: { notebook: { kernel } }, python };
}

function outputArea(element) {
  let area = element.querySelector(":scope > .ipyanimagic-outputs");
  if (!area) {
    area = document.createElement("div");
    area.className = "ipyanimagic-outputs";
    element.appendChild(area);
  }
  return area;
}

// Printed output of python.eval/get/call goes to the cell, as it would in a cell.
function showOutputs(element, outputs) {
  const area = outputArea(element);
  for (const out of outputs) {
    const pre = document.createElement("pre");
    if (out.output_type === "stream") {
      pre.className = out.name === "stderr" ? "ipyanimagic-stderr" : "ipyanimagic-stdout";
      pre.textContent = out.text;
    } else if (out.data && "image/png" in out.data) {
      const img = document.createElement("img");
      img.src = `data:image/png;base64,${out.data["image/png"]}`;
      area.appendChild(img);
      continue;
    } else {
      pre.textContent = (out.data && out.data["text/plain"]) || "";
    }
    area.appendChild(pre);
  }
}

function errorReporter(element) {
  return (err) => {
    console.error("ipyanimagic %%jsexec:", err);
    const box = document.createElement("pre");
    box.className = "ipyanimagic-error";
    box.setAttribute("role", "alert");
    const head = `${(err && err.name) || "Error"}: ${(err && err.message) || err}`;
    const tb = err && Array.isArray(err.traceback) && err.traceback.length ? `\n${err.traceback.join("")}` : "";
    box.textContent = head + tb;
    element.appendChild(box);
  };
}

// Run once the output is in the document, so getElementById and layout work as they
// would in a script of the page. Give up waiting after a few seconds, and run anyway.
function whenConnected(el, signal) {
  return new Promise((resolve) => {
    const started = performance.now();
    const check = () => {
      if (signal && signal.aborted) return;
      if (el.isConnected || performance.now() - started > 5000) resolve();
      else requestAnimationFrame(check);
    };
    check();
  });
}

const isJsScript = (s) => {
  const type = (s.getAttribute("type") || "").trim().toLowerCase();
  return type === "" || /^(text|application)\/(x-)?(java|ecma)script$/.test(type);
};

// HTML mode: the fragment's scripts run in one function scope that also holds the
// kernel API; inline on* handlers are compiled in that same scope, so the seed's
// `onclick="set_value()"` finds `function set_value` without any global name.
async function runHtml(root, html, api, showError, onScope) {
  root.innerHTML = html;
  const scripts = [...root.querySelectorAll("script")];
  const code = [];
  for (const s of scripts) {
    if (isJsScript(s)) code.push(s.textContent);
    else if ((s.getAttribute("type") || "").toLowerCase() === "module") {
      showError(new BridgeError("SyntaxError", "<script type=\"module\"> is not supported by %%jsexec --html; use import() in a plain script"));
    } else continue;
    s.remove();
  }
  const handlers = [];
  for (const el of root.querySelectorAll("*")) {
    for (const attr of [...el.attributes]) {
      if (/^on[a-z]+$/i.test(attr.name)) {
        handlers.push({ el, event: attr.name.slice(2).toLowerCase(), body: attr.value });
        el.removeAttribute(attr.name);
      }
    }
  }
  const body = `${code.join("\n;\n")}\n;return (__ipyanimagic_src) => eval(__ipyanimagic_src);`;
  const scopeEval = await new AsyncFunction(...PARAMS, body)(root, api.kernel, api.IPython, api.python);
  onScope(scopeEval);
  for (const { el, event, body: handler } of handlers) {
    let fn;
    try {
      fn = scopeEval(`(function (event) {\n${handler}\n})`);
    } catch (err) {
      showError(err);
      continue;
    }
    el.addEventListener(event, function (ev) {
      try {
        const r = fn.call(this, ev);
        if (r === false) ev.preventDefault();
        if (r && typeof r.then === "function") r.catch(showError);
      } catch (err) {
        showError(err);
      }
    });
  }
}

// The cell's code first hands out an evaluator of its own scope (for ui.eval_js), so
// that expressions see its functions and variables while it still runs.
const SCOPE_HOOK = "__ipyanimagic_scope__";

async function runJs(root, code, api, onScope) {
  const fn = new AsyncFunction(...PARAMS, SCOPE_HOOK, `${SCOPE_HOOK}((__ipyanimagic_src) => eval(__ipyanimagic_src));\n${code}`);
  return fn(root, api.kernel, api.IPython, api.python, onScope);
}

// ui.eval_js(expr): `expr` with the view's exposed names in scope, in the cell's own
// scope once it has handed out its evaluator, else with the API's names only.
function scopeEvaluator(scope, root, api) {
  let scopeEval = null;
  const evaluate = (expr) => {
    const names = scope.identifiers();
    const values = names.map((n) => scope.names.get(n));
    if (scopeEval) {
      return scopeEval(`(async ({${names.join(", ")}}) => (${expr}\n))`)(Object.fromEntries(names.map((n, i) => [n, values[i]])));
    }
    const fn = new AsyncFunction(...PARAMS, ...names, `return (${expr}\n);`);
    return fn(root, api.kernel, api.IPython, api.python, ...values);
  };
  return { evaluate, setScopeEval: (f) => (scopeEval = f) };
}

function pageCallsOf(model) {
  const key = model.get("key");
  let calls = PAGE_CALLS.get(key);
  if (!calls) {
    const views = new Set();
    VIEW_ELEMENTS.set(key, views);
    const onCount = (n) => {
      for (const el of views) el.dataset.pythonCalls = String(n);
    };
    calls = createPageCalls(model, { headless: Boolean(model.get("headless")), onCount, pageEvents: window });
    PAGE_CALLS.set(key, calls);
  }
  return calls;
}

export default {
  initialize({ model }) {
    const key = model.get("key");
    pageCallsOf(model);
    return () => {
      PAGE_CALLS.get(key)?.close("the widget was closed");
      PAGE_CALLS.delete(key);
      VIEW_ELEMENTS.delete(key);
    };
  },
  render({ model, el, signal }) {
    if (model.get("headless")) return undefined; // eval_js's widget shows nothing
    const bridge = createBridge(model);
    el.classList.add("ipyanimagic-jsexec");
    const root = document.createElement("div");
    root.className = "ipyanimagic-jsexec-root";
    el.appendChild(root);
    const showError = errorReporter(root);
    const calls = pageCallsOf(model);
    const scope = calls.addScope();
    const views = VIEW_ELEMENTS.get(model.get("key"));
    views.add(el);
    el.dataset.pythonCalls = String(calls.running);
    const api = makeApi(bridge, model.get("key"), root, showError, scope);
    const evaluator = scopeEvaluator(scope, root, api);
    scope.evaluate = evaluator.evaluate;
    // Pending calls reject with Disconnected. When the kernel went away (not when the
    // output itself is being removed), the output says why nothing here works any more.
    bridge.onClose((reason) => {
      if (reason !== KERNEL_GONE) return;
      const note = document.createElement("div");
      note.className = "ipyanimagic-disconnected";
      note.setAttribute("role", "status");
      note.textContent = `disconnected: ${reason}`;
      el.appendChild(note);
    });
    const mode = model.get("mode");
    const code = model.get("code");
    // Calls from Python wait until the code has started (html: its scripts have run),
    // so that what it exposes first is there.
    const ready = () => scope.markReady();
    whenConnected(el, signal)
      .then(() => {
        if (mode === "html") {
          return runHtml(root, code, api, showError, evaluator.setScopeEval).finally(ready);
        }
        const running = runJs(root, code, api, evaluator.setScopeEval);
        setTimeout(ready, 0);
        return running;
      })
      .catch((err) => {
        ready();
        showError(err);
      });
    return () => {
      views.delete(el);
      scope.remove("the output was removed or cleared");
      bridge.close("the output was removed or the widget closed");
    };
  },
};
