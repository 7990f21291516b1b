/**
 * The code that runs inside an app's sandbox worker, kept as a JavaScript string so the host
 * starts it from a blob URL: no file next to the toolkit has to be read at run time, which
 * keeps `deno compile` working.
 *
 * Protocol (host → worker): `{type:"load", entry}`, `{type:"start", vars, env}`, `{type:"stop"}`.
 * Worker → host: `{type:"declared", definition}`, `{type:"output", stream, text}`,
 * `{type:"exited"}`, `{type:"failed", error}`.
 *
 * Inside the worker, `Deno.env` and `process.env` see the app's resolved variables (several
 * apps share one process environment under `sa up`, so the values cannot live there), and,
 * when output is captured, `console.*` and `Deno.stdout/stderr` writes go to the host, which
 * prefixes each line with the deployment name.
 *
 * @module
 */

/** Worker entry source (plain JavaScript, run as a module). */
export const WORKER_SOURCE = String.raw`
const post = (m) => self.postMessage(m);
let overlay = {};
let controller = new AbortController();
let captured = false;

function describe(err) {
  if (!(err instanceof Error)) return { name: "Error", message: String(err) };
  // A cause's message is added unless the outer one already says it ("failed: boom").
  let message = "";
  const stacks = [];
  for (let e = err, i = 0; e && i < 5; e = e.cause, i++) {
    const m = String(e.message ?? e);
    if (!message.includes(m)) message = message ? message + ": " + m : m;
    if (typeof e.stack === "string") stacks.push(e.stack);
  }
  const notCapable = (Deno.errors.NotCapable && err instanceof Deno.errors.NotCapable) ||
    err instanceof Deno.errors.PermissionDenied;
  const o = err.origin;
  const origin = o && typeof o.topic === "string" && typeof o.partition === "number" &&
      typeof o.offset === "number" && o.offset >= 0
    ? { topic: o.topic, partition: o.partition, offset: o.offset }
    : undefined;
  return { name: err.name, message, stack: err.stack, stacks, notCapable, origin };
}

// kafkajs arms timers with negative delays under Deno's node compat; the warning it causes
// is noise in every app's output, so it is dropped (other warnings pass through).
function filterWarnings() {
  const p = globalThis.process;
  if (!p || typeof p.emitWarning !== "function") return;
  const emit = p.emitWarning.bind(p);
  p.emitWarning = (warning, ...rest) => {
    const type = typeof rest[0] === "string" ? rest[0] : rest[0]?.type;
    const name = warning?.name ?? type;
    if (name === "TimeoutNegativeWarning" || type === "TimeoutNegativeWarning") return;
    return emit(warning, ...rest);
  };
}

function installEnv() {
  const env = Deno.env;
  const get = env.get.bind(env);
  const has = env.has.bind(env);
  env.get = (k) => Object.hasOwn(overlay, k) ? overlay[k] : get(k);
  env.has = (k) => Object.hasOwn(overlay, k) || has(k);
  env.toObject = () => ({ ...overlay });
  const proxy = new Proxy({}, {
    get: (_t, k) => typeof k !== "string" ? undefined : Object.hasOwn(overlay, k) ? overlay[k] : get(k),
    has: (_t, k) => typeof k === "string" && (Object.hasOwn(overlay, k) || has(k)),
    ownKeys: () => Object.keys(overlay),
    getOwnPropertyDescriptor: (_t, k) => Object.hasOwn(overlay, k)
      ? { value: overlay[k], enumerable: true, configurable: true, writable: true }
      : undefined,
    set: (_t, k, v) => { overlay[k] = String(v); return true; },
    deleteProperty: (_t, k) => { delete overlay[k]; return true; },
  });
  if (globalThis.process) globalThis.process.env = proxy;
}

function installOutput() {
  captured = true;
  const dec = { stdout: new TextDecoder(), stderr: new TextDecoder() };
  const fmt = (args) => args.map((a) => typeof a === "string" ? a : Deno.inspect(a, { colors: false, depth: 8 })).join(" ");
  for (const [m, stream] of [["log", "stdout"], ["info", "stdout"], ["debug", "stdout"], ["warn", "stderr"], ["error", "stderr"], ["trace", "stderr"]]) {
    console[m] = (...args) => post({ type: "output", stream, text: fmt(args) + "\n" });
  }
  for (const stream of ["stdout", "stderr"]) {
    const target = Deno[stream];
    const send = (b) => { post({ type: "output", stream, text: dec[stream].decode(b, { stream: true }) }); return b.length; };
    target.writeSync = send;
    target.write = (b) => Promise.resolve(send(b));
    target.isTerminal = () => false;
  }
}

self.addEventListener("unhandledrejection", (e) => {
  e.preventDefault();
  post({ type: "failed", error: describe(e.reason) });
});
self.addEventListener("error", (e) => {
  e.preventDefault();
  post({ type: "failed", error: describe(e.error ?? new Error(e.message)) });
});

let app;
self.onmessage = async (e) => {
  const msg = e.data;
  if (msg.type === "load") {
    installEnv();
    filterWarnings();
    if (msg.capture) installOutput();
    try {
      const mod = await import(msg.entry);
      app = mod.default;
      if (!app || typeof app !== "object" || typeof app.main !== "function" || !Array.isArray(app.variables)) {
        post({ type: "failed", phase: "load", error: { name: "AppModuleError", message: "the default export is not an app; write 'export default defineApp({ name, variables, main })'" } });
        return;
      }
      const variables = app.variables.map((v) => ({ name: v.name, inputType: v.inputType, description: v.description, defaultValue: v.defaultValue, required: v.required }));
      post({ type: "declared", definition: { name: app.name, description: app.description, variables } });
    } catch (err) {
      post({ type: "failed", phase: "load", error: describe(err) });
    }
  } else if (msg.type === "start") {
    overlay = { ...msg.env, ...msg.vars };
    try {
      await app.main(Object.freeze({ ...msg.vars }), controller.signal);
      post({ type: "exited" });
    } catch (err) {
      post({ type: "failed", phase: "run", error: describe(err) });
    }
  } else if (msg.type === "stop") {
    controller.abort();
  }
};
`;
