/**
 * The Deno permissions an app's sandbox worker gets: the broker and the hosts its deployment
 * declares for the network, its own folder (plus the toolkit's sources, which its imports
 * load) for reading, its state folder for writing, and only the environment variables the
 * runtime and its client library read. Nothing may spawn processes, load native code or read
 * system information.
 *
 * @module
 */
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { lanAddresses } from "../util/lan.ts";

/**
 * Environment variables the runtime and kafkajs read. App variables are served inside the
 * worker from its own table (see `_worker_source.ts`), so they need no process-level access.
 */
export const RUNTIME_ENV_NAMES: readonly string[] = [
  "SA_BROKER",
  "SA_COMMIT_INTERVAL",
  "SA_LOG_LEVEL",
  "SA_STATE_DIR",
  "SA_HTTP_PORT",
  "SA_HTTP_HOST",
  "SA_ADVERTISED_URL",
  "SA_LAN_ADDRESSES",
  "SA_PROJECT_DIR",
  // Static membership id per replica, and the Kafka client choices (lib/stream/kafka/).
  "SA_GROUP_INSTANCE_ID",
  "SA_KAFKA_CLIENT",
  "SA_KAFKA_PRODUCER",
  "Quix__Broker__Address",
  "Quix__Consumer_Group",
  "Quix__Deployment__State__Path",
  "Quix__State__Dir",
  // Connection security (lib/stream/kafka/security.ts SECURITY_ENV).
  "SA_SECURITY_PROTOCOL",
  "SA_SASL_MECHANISM",
  "SA_SASL_USERNAME",
  "SA_SASL_PASSWORD",
  "SA_SSL_CA_LOCATION",
  "SA_SSL_CERT_LOCATION",
  "SA_SSL_KEY_LOCATION",
  "NO_COLOR",
  "NODE_ENV",
  "KAFKAJS_LOG_LEVEL",
  "KAFKAJS_NO_PARTITIONER_WARNING",
  "KAFKAJS_DEBUG_PROTOCOL_BUFFERS",
  "KAFKAJS_DEBUG_EXTENDED_PROTOCOL_BUFFERS",
];

/**
 * The runtime environment `sa run` and `sa up` give an app: its broker and its state folder,
 * under both the sa and the Quix names, the project folder (`SA_PROJECT_DIR`: apps resolve
 * project-relative paths against it, as several apps share one process and its cwd), the
 * connection security settings (`SA_SASL_*`, `SA_SSL_*`, `SA_SECURITY_PROTOCOL`) and the
 * replica's `SA_GROUP_INSTANCE_ID`, all in
 * {@link RUNTIME_ENV_NAMES}.
 */
export function appRuntimeEnv(
  broker: string,
  stateDir: string,
  security: Record<string, string> = {},
  projectDir?: string,
  /** The replica's stable consumer group instance id (static membership). */
  instanceId?: string,
): Record<string, string> {
  return {
    ...(instanceId ? { SA_GROUP_INSTANCE_ID: instanceId } : {}),
    SA_BROKER: broker,
    Quix__Broker__Address: broker,
    SA_STATE_DIR: stateDir,
    Quix__Deployment__State__Path: stateDir,
    ...(projectDir ? { SA_PROJECT_DIR: projectDir } : {}),
    // The sandbox may not read the network interfaces; a gateway prints these to the phone.
    ...lanEnv(),
    ...security,
  };
}

function lanEnv(): Record<string, string> {
  try {
    const hosts = lanAddresses();
    return hosts.length ? { SA_LAN_ADDRESSES: hosts.join(",") } : {};
  } catch {
    return {};
  }
}

/** The TLS files named by security settings: the sandbox must be able to read them. */
export function securityFiles(security: Record<string, string>): string[] {
  return Object.entries(security).filter(([k]) => k.endsWith("_LOCATION")).map(([, v]) => v);
}

/**
 * The project files an app's variable values name (a recording, a model file), which its
 * sandbox may then read: a relative path to an existing file inside the project folder.
 * Never `.env` files (other apps' secrets) nor anything under `.sa/` (other apps' state).
 */
export function projectFileReads(
  projectDir: string,
  values: Readonly<Record<string, string>>,
): string[] {
  const root = resolve(projectDir);
  const out: string[] = [];
  for (const value of Object.values(values)) {
    const v = value.trim();
    if (!v || v.length > 1024 || /[\n\0]/.test(v) || /^[a-z][a-z0-9+.-]*:/i.test(v)) continue;
    const path = resolve(root, v);
    const rel = relative(root, path);
    if (!rel || rel.startsWith("..") || isAbsolute(rel)) continue;
    const top = rel.split(/[\\/]/)[0];
    if (top === ".sa" || /^\.env(\.|$)/.test(basename(path))) continue;
    try {
      if (Deno.statSync(path).isFile) out.push(path);
    } catch { /* not a file: not a path */ }
  }
  return [...new Set(out)];
}

/** The files of `files` that `grant` does not let the app read yet (not in a granted folder). */
export function ungrantedReads(grant: SandboxGrant, files: readonly string[]): string[] {
  return files.filter((f) => !grant.read.some((r) => f === r || f.startsWith(r + sep)));
}

/** What a sandbox is allowed, in terms the error messages can repeat to the user. */
export interface SandboxGrant {
  /** `host:port` entries. */
  net: string[];
  /** Absolute paths (folders or files). */
  read: string[];
  /** Absolute paths. */
  write: string[];
  env: string[];
}

/** Inputs for {@link sandboxGrant}. */
export interface SandboxGrantOptions {
  /** Absolute path of the app module. */
  entry: string;
  /** Broker addresses (`host:port`); localhost aliases are added for local ones. */
  brokers: string[];
  /** Extra hosts from the deployment's `allowNet`. */
  allowNet?: string[];
  /** Variable names to expose at process level as well (the deployment's). */
  variableNames?: string[];
  /** State folder the app may write (and read). */
  stateDir?: string;
  /** Extra readable paths (e.g. a data file named by a variable). */
  extraRead?: string[];
  /** The app's HTTP port (its `SA_HTTP_PORT`), which it may listen on at 127.0.0.1. */
  httpPort?: number;
}

/** The `SA_HTTP_PORT` a deployment sets, if it is a valid port number. */
export function deploymentHttpPort(
  variables: readonly { name: string; value?: string }[],
): number | undefined {
  const v = variables.find((x) => x.name === "SA_HTTP_PORT")?.value;
  const n = Number(v);
  return v !== undefined && Number.isInteger(n) && n > 0 && n < 65536 ? n : undefined;
}

/** The toolkit checkout or install this module belongs to (where `mod.ts` and `lib/` live). */
export function toolkitRoot(): string {
  const url = new URL("../../", import.meta.url);
  return url.protocol === "file:" ? fileURLToPath(url) : url.pathname;
}

const LOCAL_HOSTS = ["localhost", "127.0.0.1"];

/** Splits `host:port` (IPv6 in brackets allowed). */
export function splitHostPort(address: string): { host: string; port: number } {
  const m = /^\[?([^\]]+?)\]?:(\d+)$/.exec(address.trim());
  if (!m) throw new Error(`invalid broker address "${address}": expected host:port`);
  const port = Number(m[2]);
  if (!(port > 0 && port < 65536)) throw new Error(`invalid port in broker address "${address}"`);
  return { host: m[1], port };
}

/** Computes the grant for one app. */
export function sandboxGrant(opts: SandboxGrantOptions): SandboxGrant {
  const net = new Set<string>();
  for (const b of opts.brokers) {
    const { host, port } = splitHostPort(b);
    net.add(`${host}:${port}`);
    // The broker may advertise 127.0.0.1 when dialled as localhost, and vice versa.
    if (LOCAL_HOSTS.includes(host)) { for (const h of LOCAL_HOSTS) net.add(`${h}:${port}`); }
  }
  for (const h of opts.allowNet ?? []) net.add(h);
  if (opts.httpPort !== undefined) net.add(`127.0.0.1:${opts.httpPort}`);
  const root = toolkitRoot();
  const read = [dirname(resolve(opts.entry)), join(root, "mod.ts"), join(root, "lib")];
  const write: string[] = [];
  if (opts.stateDir) {
    read.push(resolve(opts.stateDir));
    write.push(resolve(opts.stateDir));
  }
  for (const p of opts.extraRead ?? []) read.push(resolve(p));
  const env = [...new Set([...RUNTIME_ENV_NAMES, ...(opts.variableNames ?? [])])];
  return { net: [...net], read: [...new Set(read)], write, env };
}

/** The worker `deno.permissions` object for a grant. */
export function workerPermissions(g: SandboxGrant): Deno.PermissionOptionsObject {
  return {
    net: g.net.length ? g.net : false,
    read: g.read,
    write: g.write.length ? g.write : false,
    env: g.env,
    run: false,
    ffi: false,
    sys: false,
    import: false,
  };
}

/** A denied permission parsed from a Deno error message. */
export interface Denial {
  /** `read`, `net`, `env`, `write`, `run`, `sys`, `ffi` or `import`. */
  permission: string;
  /** The path, host or variable, when Deno named it. */
  target?: string;
}

/** Recognises Deno's "Requires X access to Y" wording anywhere in a message. */
export function parseDenial(message: string): Denial | null {
  const m = /Requires (\w+) access(?: to "?([^",]+?)"?)?(?:,|$| run again)/.exec(message);
  if (!m) return null;
  return m[2] ? { permission: m[1], target: m[2] } : { permission: m[1] };
}

/** A user-facing explanation of a denial: what was refused, what is allowed, how to fix it. */
export function explainDenial(app: string, d: Denial, g: SandboxGrant): string {
  const what = d.target ? `${d.permission} access to "${d.target}"` : `${d.permission} access`;
  const head = `app "${app}" was denied ${what} by its sandbox`;
  switch (d.permission) {
    case "net":
      return `${head}: it may only connect to ${g.net.join(", ") || "nothing"}. ` +
        `Declare the host in the deployment's allowNet in sa.yaml (e.g. allowNet: ["${
          d.target ?? "host:443"
        }"]).`;
    case "read":
      return `${head}: it may only read its own folder (${g.read[0]}), the toolkit and the ` +
        `project files its variables name. Put the file in the app's folder, or name it ` +
        `(relative to the project) in one of its variables.`;
    case "write":
      return `${head}: it may only write its state folder${
        g.write.length ? ` (${g.write.join(", ")})` : " (none configured)"
      }.`;
    case "env":
      return `${head}: apps see only their declared variables. Declare it in the app's ` +
        `variables (defineApp) and set it in sa.yaml or .env.`;
    default:
      return `${head}: apps may not use ${d.permission} (no subprocesses, native code or system information).`;
  }
}
