// Python calls the page: the page side of ipyanimagic/bridge/pagecalls.py.
//
// The kernel sends, on the widget's comm,
//   {call: <int>, op: "call", name, args}   call an exposed function: fn(...args, signal)
//   {call: <int>, op: "eval", expr}         evaluate an expression in the output's scope
//   {abort: <int>}                          Python stopped waiting (timeout, interrupt)
// and the page answers each call exactly once, unless Python aborted it:
//   {reply: <int>, ok: true, result}  or  {reply: <int>, ok: false, error: {name, message, stack}}
// Binary values travel as message buffers; in the JSON they are
//   {__ipyanimagic_buffer__: <index>, type: "ArrayBuffer" | "Float32Array" | ..., shape?, array?}
//
// One handler per model (anywidget's initialize), shared by the model's views: each view
// is a *scope* (its exposed functions, its evaluator). A call goes to the newest view
// that has run its code; before any has, it waits for one. A view removed while running
// a call (the output cleared) answers Disconnected and aborts it; once every view is
// gone, calls are answered Disconnected at once. A headless model (ipyanimagic.eval_js:
// never displayed) evaluates in the page's global scope.

export const BUFFER_MARK = "__ipyanimagic_buffer__";

const TYPED = {
  Int8Array,
  Uint8Array,
  Uint8ClampedArray,
  Int16Array,
  Uint16Array,
  Int32Array,
  Uint32Array,
  Float32Array,
  Float64Array,
  BigInt64Array,
  BigUint64Array,
};

// python.array(typed, shape): return this to Python to get a numpy array (else bytes).
export class NdArray {
  constructor(data, shape = null) {
    if (!ArrayBuffer.isView(data) || data instanceof DataView) {
      throw new TypeError("python.array() takes a typed array (Float32Array, Uint8Array, ...)");
    }
    const n = data.length;
    const dims = shape === null ? [n] : Array.from(shape, Number);
    if (!dims.every((d) => Number.isInteger(d) && d >= 0) || dims.reduce((a, b) => a * b, 1) !== n) {
      throw new TypeError(`python.array(): shape [${dims}] does not hold ${n} elements`);
    }
    this.data = data;
    this.shape = dims;
  }
}

function asView(buffer) {
  if (buffer instanceof ArrayBuffer) return new DataView(buffer);
  if (ArrayBuffer.isView(buffer)) return new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  throw new TypeError("a message buffer is neither an ArrayBuffer nor a view of one");
}

function bytesOf(view) {
  return view.buffer.slice(view.byteOffset, view.byteOffset + view.byteLength);
}

// A value from Python: buffer marks become ArrayBuffers or typed arrays (with .shape).
export function decodeValue(value, buffers = [], depth = 0) {
  if (depth > 200) throw new RangeError("the value is nested too deeply");
  if (Array.isArray(value)) return value.map((v) => decodeValue(v, buffers, depth + 1));
  if (value === null || typeof value !== "object") return value;
  const index = value[BUFFER_MARK];
  if (Number.isInteger(index) && index >= 0 && index < buffers.length) {
    const view = asView(buffers[index]);
    const Ctor = TYPED[value.type];
    if (!Ctor) return bytesOf(view);
    const size = Ctor.BYTES_PER_ELEMENT;
    const typed =
      view.byteOffset % size === 0
        ? new Ctor(view.buffer, view.byteOffset, view.byteLength / size)
        : new Ctor(bytesOf(view));
    if (Array.isArray(value.shape)) typed.shape = value.shape;
    return typed;
  }
  const out = {};
  for (const [k, v] of Object.entries(value)) out[k] = decodeValue(v, buffers, depth + 1);
  return out;
}

// A value for Python: JSON as JSON.stringify makes it, binary moved to buffers.
export function encodeValue(value) {
  const buffers = [];
  const seen = new Set();
  const mark = (view, extra) => {
    buffers.push(new Uint8Array(view.buffer, view.byteOffset, view.byteLength));
    return { [BUFFER_MARK]: buffers.length - 1, ...extra };
  };
  function walk(v, inArray) {
    if (v !== null && typeof v === "object" && typeof v.toJSON === "function" && !(v instanceof NdArray)) {
      v = v.toJSON();
    }
    if (v === undefined || typeof v === "function" || typeof v === "symbol") return inArray ? null : undefined;
    if (v === null || typeof v === "boolean" || typeof v === "string") return v;
    if (typeof v === "number") return Number.isFinite(v) ? v : null;
    if (typeof v === "bigint") return Number(v);
    if (v instanceof ArrayBuffer) return mark(new DataView(v), { type: "ArrayBuffer" });
    if (v instanceof NdArray) {
      return mark(v.data, { type: v.data.constructor.name, shape: v.shape, array: true });
    }
    if (ArrayBuffer.isView(v)) return mark(v, { type: v.constructor.name });
    if (seen.has(v)) throw new TypeError("the result contains itself: it cannot be sent as JSON");
    seen.add(v);
    try {
      if (Array.isArray(v)) return v.map((x) => walk(x, true));
      const out = {};
      for (const [k, x] of Object.entries(v)) {
        const w = walk(x, false);
        if (w !== undefined) out[k] = w;
      }
      return out;
    } finally {
      seen.delete(v);
    }
  }
  const json = walk(value, true);
  return { json, buffers };
}

// What Python's JSError gets from a thrown value.
export function describeError(err) {
  if (err instanceof Error || (err && typeof err === "object" && "message" in err)) {
    return {
      name: String(err.name || "Error"),
      message: String(err.message ?? ""),
      stack: String(err.stack || ""),
    };
  }
  return { name: "Error", message: String(err), stack: "" };
}

class ScopeGone extends Error {
  constructor(message) {
    super(message);
    this.name = "Disconnected";
  }
}

const REMOVED = "the output was removed or cleared";
const isName = (s) => /^[A-Za-z_$][\w$]*$/.test(s);

// The global scope, for a headless model: `await` works in the expression.
function globalEvaluate(expr) {
  return (0, eval)(`(async () => (${expr}\n))()`);
}

// `pageEvents`: where "pagehide" fires (the window): the page closing or reloading
// answers what runs with Disconnected, while the connection still takes it.
export function createPageCalls(model, { headless = false, onCount = () => {}, pageEvents = null } = {}) {
  const scopes = []; // views, oldest first
  let everHadScope = false;
  let closed = null;
  const running = new Map(); // call id -> {controller, scope}
  const waiters = new Set(); // calls waiting for a scope: () => void

  const count = () => onCount(running.size);

  function send(content, buffers = []) {
    try {
      model.send(content, undefined, buffers);
    } catch (err) {
      console.error("ipyanimagic: could not answer Python", err);
    }
  }

  function reply(id, content, buffers) {
    if (!running.has(id)) return; // aborted by Python, or answered already
    running.delete(id);
    count();
    send({ reply: id, ...content }, buffers);
  }

  function replyError(id, err) {
    const error = describeError(err);
    if (err && Array.isArray(err.exposed)) error.exposed = err.exposed;
    reply(id, { ok: false, error });
  }

  function readyScope() {
    for (let i = scopes.length - 1; i >= 0; i--) if (scopes[i].ready) return scopes[i];
    return null;
  }

  function scopeFor(signal) {
    return new Promise((resolve, reject) => {
      // Settles the promise if it can; true if it did.
      const check = () => {
        const scope = readyScope();
        if (closed !== null) reject(new ScopeGone(closed));
        else if (signal.aborted) reject(signal.reason);
        else if (scope) resolve(scope);
        else if (everHadScope && scopes.length === 0) reject(new ScopeGone(REMOVED));
        else return false;
        return true;
      };
      if (check()) return;
      const waiter = () => {
        if (check()) waiters.delete(waiter);
      };
      waiters.add(waiter);
      signal.addEventListener("abort", waiter, { once: true });
    });
  }

  function wake() {
    for (const waiter of [...waiters]) waiter();
  }

  async function run(msg, buffers) {
    const id = msg.call;
    const controller = new AbortController();
    const entry = { controller, scope: null };
    running.set(id, entry);
    count();
    try {
      const scope = headless ? null : await scopeFor(controller.signal);
      entry.scope = scope;
      let result;
      if (msg.op === "call") {
        const fn = scope ? scope.names.get(msg.name) : undefined;
        if (typeof fn !== "function") throw notExposed(msg.name, scope);
        const args = Array.isArray(msg.args) ? decodeValue(msg.args, buffers) : [];
        result = await fn(...args, controller.signal);
      } else if (msg.op === "eval") {
        const expr = String(msg.expr);
        result = await (scope ? scope.evaluate(expr) : globalEvaluate(expr));
      } else {
        throw new TypeError(`unknown call op ${JSON.stringify(msg.op)}`);
      }
      if (!running.has(id)) return;
      let encoded;
      try {
        encoded = encodeValue(result);
      } catch (err) {
        replyError(id, err);
        return;
      }
      reply(id, { ok: true, result: encoded.json === undefined ? null : encoded.json }, encoded.buffers);
    } catch (err) {
      replyError(id, err);
    }
  }

  function notExposed(name, scope) {
    const names = scope ? [...scope.names.keys()].sort() : [];
    const list = names.length
      ? `exposed: ${names.join(", ")}`
      : "nothing is exposed: call python.expose(name, fn) in the %%jsexec cell";
    const err = new Error(`the page exposes no function ${JSON.stringify(name)} (${list})`);
    err.name = "NotExposed";
    err.exposed = names;
    return err;
  }

  function onMessage(msg, buffers) {
    if (!msg || typeof msg !== "object" || "method" in msg) return;
    if (Number.isInteger(msg.abort)) {
      const entry = running.get(msg.abort);
      if (!entry) return;
      running.delete(msg.abort);
      count();
      entry.controller.abort(new DOMException("Python stopped waiting for this call", "AbortError"));
      return;
    }
    if (!Number.isInteger(msg.call)) return;
    if (closed !== null) {
      send({ reply: msg.call, ok: false, error: { name: "Disconnected", message: closed, stack: "" } });
      return;
    }
    run(msg, buffers || []);
  }
  model.on("msg:custom", onMessage);
  const onPageHide = () => close("the page was closed or reloaded");
  if (pageEvents) pageEvents.addEventListener("pagehide", onPageHide);

  // One view: `names` (python.expose), `evaluate(expr)` (set by the view once its
  // code can be evaluated in), `markReady()` once its code has started.
  function addScope({ evaluate = null } = {}) {
    everHadScope = true;
    const scope = {
      names: new Map(),
      ready: false,
      evaluate: evaluate || ((expr) => globalEvaluate(expr)),
      expose(nameOrObject, fn) {
        if (typeof nameOrObject === "string") {
          if (typeof fn !== "function") throw new TypeError(`python.expose(${JSON.stringify(nameOrObject)}, fn): fn must be a function`);
          scope.names.set(nameOrObject, fn);
        } else if (nameOrObject && typeof nameOrObject === "object") {
          for (const [name, f] of Object.entries(nameOrObject)) scope.expose(name, f);
        } else {
          throw new TypeError("python.expose(name, fn) or python.expose({name: fn, ...})");
        }
      },
      markReady() {
        scope.ready = true;
        wake();
      },
      remove(reason = REMOVED) {
        const at = scopes.indexOf(scope);
        if (at < 0) return;
        scopes.splice(at, 1);
        for (const [id, entry] of [...running]) {
          if (entry.scope !== scope) continue;
          replyError(id, new ScopeGone(reason));
          entry.controller.abort(new DOMException(reason, "AbortError"));
        }
        wake();
      },
      // Names that are valid identifiers, for evaluating expressions with them in scope.
      identifiers() {
        return [...scope.names.keys()].filter(isName);
      },
    };
    scopes.push(scope);
    return scope;
  }

  function close(reason = "the widget was closed") {
    if (closed !== null) return;
    closed = reason;
    model.off("msg:custom", onMessage);
    if (pageEvents) pageEvents.removeEventListener("pagehide", onPageHide);
    for (const [id, entry] of [...running]) {
      replyError(id, new ScopeGone(reason));
      entry.controller.abort(new DOMException(reason, "AbortError"));
    }
    wake();
  }

  return {
    addScope,
    close,
    get running() {
      return running.size;
    },
  };
}
