/**
 * The pipeline file: `sa.yaml` (or a Quix `quix.yaml`), in the Quix pipeline-descriptor v1
 * schema. Loading validates the whole file and reports the first problem as
 * `sa.yaml:12:5: <message>`, so a typo points at the line to fix.
 *
 * @module
 */
import { isMap, isScalar, isSeq, LineCounter, type Node, parseDocument, type YAMLMap } from "yaml";
import { existsSync, readFileSync, statSync } from "node:fs";
import { basename, dirname, isAbsolute, join, resolve } from "node:path";
import type { VariableInputType } from "../stream/define_app.ts";
import {
  SASL_MECHANISMS,
  SECRET_ENV_NAMES,
  SECURITY_ENV,
  SECURITY_PROTOCOLS,
} from "../stream/kafka/security.ts";

export type { VariableInputType };

/** One variable value set by a deployment. */
export interface PipelineVariable {
  name: string;
  inputType?: VariableInputType;
  description?: string;
  required?: boolean;
  value?: string;
  /** Where `value` is set, as `sa.yaml:12:16`. */
  valueAt?: string;
  /**
   * Quix's reference to a secret: the value is the environment variable (or `.env` entry)
   * of this name, never written in the pipeline file.
   */
  secretKey?: string;
  /** Where `secretKey` is set. */
  secretKeyAt?: string;
}

/** One app instance in the pipeline. */
export interface Deployment {
  name: string;
  /** A `.ts` module path or an app folder, relative to the pipeline file's directory. */
  application: string;
  /** Where `application` is set, as `sa.yaml:8:18`. */
  applicationAt?: string;
  deploymentType: "Service" | "Job";
  version?: string;
  replicas: number;
  disabled: boolean;
  desiredStatus: "Running" | "Stopped";
  variables: PipelineVariable[];
  /** sa extension: extra hosts the app may reach besides the broker. */
  allowNet: string[];
}

/** A topic the pipeline declares. */
export interface TopicDecl {
  name: string;
  partitions: number;
  replicationFactor: number;
  retentionMs?: number;
  retentionBytes?: number;
  cleanupPolicy: "delete" | "compact";
}

/** A loaded, validated pipeline file. */
export interface Pipeline {
  /** Absolute path of the pipeline file. */
  file: string;
  /** Absolute directory of the pipeline file: app paths are relative to it. */
  dir: string;
  version: string;
  deployments: Deployment[];
  topics: TopicDecl[];
}

/** Pipeline file names, in the order {@link findPipelineFile} prefers them. */
export const PIPELINE_FILE_NAMES = ["sa.yaml", "sa.yml", "quix.yaml", "quix.yml"] as const;

/** Kafka's rule for topic names. */
const TOPIC_NAME = /^[A-Za-z0-9._-]{1,249}$/;

/** Variable input types accepted in a pipeline file. */
export const INPUT_TYPES: readonly VariableInputType[] = [
  "InputTopic",
  "OutputTopic",
  "FreeText",
  "Secret",
];

/** A problem in a pipeline (or app descriptor) file, located at `file:line:col`. */
export class PipelineError extends Error {
  constructor(
    /** The reason without the location. */
    readonly reason: string,
    /** Absolute path of the file. */
    readonly file: string,
    readonly line: number,
    readonly col: number,
  ) {
    super(`${basename(file)}:${line}:${col}: ${reason}`);
    this.name = "PipelineError";
  }
}

/** Returns the pipeline file in `dir` (sa.yaml > sa.yml > quix.yaml > quix.yml), or null. */
export async function findPipelineFile(dir: string): Promise<string | null> {
  for (const name of PIPELINE_FILE_NAMES) {
    const file = resolve(dir, name);
    try {
      if ((await Deno.stat(file)).isFile) return file;
    } catch (err) {
      if (!(err instanceof Deno.errors.NotFound)) throw err;
    }
  }
  return null;
}

/** Reads and validates a pipeline file. Throws {@link PipelineError} on the first problem. */
export async function loadPipeline(file: string): Promise<Pipeline> {
  const abs = resolve(file);
  let text: string;
  try {
    text = await Deno.readTextFile(abs);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) {
      throw new Error(`pipeline file not found: ${abs}`);
    }
    throw err;
  }
  return parsePipeline(text, abs);
}

/** Validates pipeline YAML text; `file` is used for locations and to resolve app paths. */
export function parsePipeline(text: string, file: string): Pipeline {
  const abs = resolve(file);
  const ctx = new Ctx(abs, text);
  const root = ctx.doc.contents;
  if (root === null || (isScalar(root) && (root.value === null || root.value === ""))) {
    return { file: abs, dir: dirname(abs), version: "1.0", deployments: [], topics: [] };
  }
  const top = ctx.map(root, "the pipeline file");
  ctx.keys(top, ["metadata", "deployments", "topics"], "the pipeline file");
  let version = "1.0";
  const meta = top.get("metadata", true) as Node | undefined;
  if (meta && !isNull(meta)) {
    const m = ctx.map(meta, "metadata");
    ctx.keys(m, ["version"], "metadata");
    const v = m.get("version", true) as Node | undefined;
    if (v && !isNull(v)) {
      const raw = ctx.scalar(v, "metadata.version");
      version = typeof raw === "number" ? raw.toFixed(1) : String(raw);
      if (!/^1(\.\d+)?$/.test(version)) {
        throw ctx.error(v, `metadata.version ${version} is not supported; expected 1.0`);
      }
    }
  }
  const deployments: Deployment[] = [];
  const depNode = top.get("deployments", true) as Node | undefined;
  if (depNode && !isNull(depNode)) {
    const seen = new Set<string>();
    for (const item of ctx.seq(depNode, "deployments")) {
      const d = parseDeployment(ctx, item);
      if (seen.has(d.name)) throw ctx.error(item, `deployment "${d.name}" is declared twice`);
      seen.add(d.name);
      deployments.push(d);
    }
  }
  const topics: TopicDecl[] = [];
  const topNode = top.get("topics", true) as Node | undefined;
  if (topNode && !isNull(topNode)) {
    const seen = new Set<string>();
    for (const item of ctx.seq(topNode, "topics")) {
      const t = parseTopic(ctx, item);
      if (seen.has(t.name)) throw ctx.error(item, `topic "${t.name}" is declared twice`);
      seen.add(t.name);
      topics.push(t);
    }
  }
  return { file: abs, dir: dirname(abs), version, deployments, topics };
}

// Quix deployment keys sa accepts but does not act on (cloud features); typos of real keys
// still fail because the list is closed.
const DEPLOYMENT_KEYS = [
  "name",
  "application",
  "deploymentType",
  "version",
  "resources",
  "desiredStatus",
  "disabled",
  "variables",
  "allowNet",
  "group",
  "workspaceIds",
  "publicAccess",
  "network",
  "state",
  "blobStorage",
  "plugin",
  "configuration",
  "image",
];

function parseDeployment(ctx: Ctx, node: Node): Deployment {
  const m = ctx.map(node, "a deployment");
  const name = ctx.requiredString(m, node, "name", "deployment");
  const where = `deployment "${name}"`;
  ctx.keys(m, DEPLOYMENT_KEYS, where);
  if (m.has("image") && !m.has("application")) {
    throw ctx.error(
      m.get("image", true) as Node,
      `${where}: image deployments are not supported; set "application" to an app module or folder`,
    );
  }
  const application = ctx.requiredString(m, node, "application", where);
  const deploymentType = ctx.enumValue(m, "deploymentType", ["Service", "Job"], where) ?? "Service";
  const version = ctx.optionalString(m, "version", where);
  let replicas = 1;
  const res = m.get("resources", true) as Node | undefined;
  if (res && !isNull(res)) {
    const r = ctx.map(res, `${where}: resources`);
    ctx.keys(r, ["cpu", "memory", "replicas", "limits"], `${where}: resources`);
    replicas = ctx.optionalInt(r, "replicas", `${where}: resources`, 0) ?? 1;
  }
  const desiredStatus = ctx.enumValue(m, "desiredStatus", ["Running", "Stopped"], where) ??
    "Running";
  const disabled = ctx.optionalBool(m, "disabled", where) ?? false;
  const variables: PipelineVariable[] = [];
  const varsNode = m.get("variables", true) as Node | undefined;
  if (varsNode && !isNull(varsNode)) {
    const seen = new Set<string>();
    for (const vn of ctx.seq(varsNode, `${where}: variables`)) {
      const vm = ctx.map(vn, `${where}: a variable`);
      const vname = ctx.requiredString(vm, vn, "name", `${where}: variable`);
      const vwhere = `${where}: variable "${vname}"`;
      ctx.keys(vm, [
        "name",
        "inputType",
        "description",
        "required",
        "value",
        "multiline",
        "secretKey",
        "variableKey",
      ], vwhere);
      if (seen.has(vname)) throw ctx.error(vn, `${vwhere} is set twice`);
      seen.add(vname);
      const v: PipelineVariable = { name: vname };
      const it = ctx.enumValue(vm, "inputType", INPUT_TYPES, vwhere);
      if (it) v.inputType = it;
      const desc = ctx.optionalString(vm, "description", vwhere);
      if (desc !== undefined) v.description = desc;
      const req = ctx.optionalBool(vm, "required", vwhere);
      if (req !== undefined) v.required = req;
      const valNode = vm.get("value", true) as Node | undefined;
      if (valNode && !isNull(valNode)) {
        const raw = ctx.scalar(valNode, `${vwhere}: value`);
        v.value = String(raw);
        if (
          (it === "InputTopic" || it === "OutputTopic") && v.value !== "" &&
          !TOPIC_NAME.test(v.value)
        ) {
          throw ctx.error(
            valNode,
            `${vwhere}: "${v.value}" is not a valid topic name; topic names use only letters, ` +
              `digits, ".", "_" and "-"`,
          );
        }
        v.valueAt = ctx.where(valNode);
        checkSecurityValue(ctx, valNode, vwhere, v);
      }
      const keyNode = vm.get("secretKey", true) as Node | undefined;
      if (keyNode && !isNull(keyNode)) {
        const key = String(ctx.scalar(keyNode, `${vwhere}: secretKey`));
        if (!/^[A-Za-z_][A-Za-z0-9_.-]*$/.test(key)) {
          throw ctx.error(
            keyNode,
            `${vwhere}: secretKey "${key}" must be a variable name (letters, digits, "_", ".", "-")`,
          );
        }
        v.secretKey = key;
        v.secretKeyAt = ctx.where(keyNode);
      }
      variables.push(v);
    }
  }
  const allowNet: string[] = [];
  const netNode = m.get("allowNet", true) as Node | undefined;
  if (netNode && !isNull(netNode)) {
    for (const hn of ctx.seq(netNode, `${where}: allowNet`)) {
      const h = ctx.scalar(hn, `${where}: allowNet entry`);
      if (typeof h !== "string" || h === "") {
        throw ctx.error(
          hn,
          `${where}: allowNet entries must be host names like "api.example.com:443"`,
        );
      }
      allowNet.push(h);
    }
  }
  return {
    name,
    application,
    applicationAt: ctx.where(m.get("application", true) as Node),
    deploymentType: deploymentType as Deployment["deploymentType"],
    ...(version !== undefined ? { version } : {}),
    replicas,
    disabled,
    desiredStatus: desiredStatus as Deployment["desiredStatus"],
    variables,
    allowNet,
  };
}

/**
 * A secret's value (`inputType: Secret`, or the SASL password) never goes in the pipeline
 * file, which is committed; the connection settings take only the values that can work.
 */
function checkSecurityValue(ctx: Ctx, node: Node, where: string, v: PipelineVariable): void {
  const value = v.value ?? "";
  if (value === "") return;
  if (v.inputType === "Secret" || SECRET_ENV_NAMES.includes(v.name)) {
    throw ctx.error(
      node,
      `${where} is a secret: sa.yaml is committed, so its value never goes there; write ` +
        `"secretKey: ${v.name}" instead and set ${v.name} in .env or the environment`,
    );
  }
  const allowed = v.name === SECURITY_ENV.protocol
    ? SECURITY_PROTOCOLS
    : v.name === SECURITY_ENV.mechanism
    ? SASL_MECHANISMS
    : undefined;
  if (allowed && !allowed.includes(value.toUpperCase())) {
    throw ctx.error(node, `${where}: "${value}" is not one of ${allowed.join(", ")}`);
  }
}

function parseTopic(ctx: Ctx, node: Node): TopicDecl {
  const m = ctx.map(node, "a topic");
  const name = ctx.requiredString(m, node, "name", "topic");
  const where = `topic "${name}"`;
  if (!TOPIC_NAME.test(name)) {
    throw ctx.error(
      m.get("name", true) as Node,
      `${where}: topic names use only letters, digits, ".", "_" and "-"`,
    );
  }
  ctx.keys(m, ["name", "persisted", "configuration"], where);
  ctx.optionalBool(m, "persisted", where);
  const t: TopicDecl = { name, partitions: 1, replicationFactor: 1, cleanupPolicy: "delete" };
  const cfg = m.get("configuration", true) as Node | undefined;
  if (cfg && !isNull(cfg)) {
    const c = ctx.map(cfg, `${where}: configuration`);
    const cw = `${where}: configuration`;
    ctx.keys(c, [
      "partitions",
      "replicationFactor",
      "retentionInMinutes",
      "retentionInBytes",
      "cleanupPolicy",
    ], cw);
    t.partitions = ctx.optionalInt(c, "partitions", cw, 1) ?? 1;
    t.replicationFactor = ctx.optionalInt(c, "replicationFactor", cw, 1) ?? 1;
    const minutes = ctx.optionalInt(c, "retentionInMinutes", cw, -1);
    if (minutes !== undefined && minutes >= 0) t.retentionMs = minutes * 60_000;
    const bytes = ctx.optionalInt(c, "retentionInBytes", cw, -1);
    if (bytes !== undefined && bytes >= 0) t.retentionBytes = bytes;
    const policy = ctx.enumValue(c, "cleanupPolicy", ["Delete", "Compact"], cw);
    if (policy) t.cleanupPolicy = policy === "Compact" ? "compact" : "delete";
  }
  return t;
}

/**
 * The absolute module path a deployment runs. `application` is a `.ts`/`.js` file relative to
 * the pipeline directory, or a folder: its `app.yaml` `runEntryPoint`, else `main.ts`.
 */
export function resolveAppEntry(pipeline: Pipeline, d: Deployment): string {
  return resolveApplication(pipeline.dir, d.application);
}

/**
 * The absolute module path of an `application:` value relative to `dir`, with or without a
 * deployment for it: what {@link resolveAppEntry} does for a deployment.
 */
export function resolveApplication(dir: string, application: string): string {
  const path = isAbsolute(application) ? application : join(dir, application);
  if (/\.(m?[jt]sx?)$/.test(path)) return path;
  let isDir = false;
  try {
    isDir = statSync(path).isDirectory();
  } catch {
    // A missing folder still resolves to folder/main.ts; the caller reports it as missing.
  }
  if (isDir) {
    for (const name of ["app.yaml", "app.yml"]) {
      const descriptor = join(path, name);
      if (!existsSync(descriptor)) continue;
      const entry = readRunEntryPoint(descriptor);
      if (entry) return join(path, entry);
    }
  }
  return join(path, "main.ts");
}

/** Reads `runEntryPoint` from a Quix `app.yaml`, validating its type. */
function readRunEntryPoint(file: string): string | undefined {
  const ctx = new Ctx(file, readFileSync(file, "utf8"));
  const root = ctx.doc.contents;
  if (!root || !isMap(root)) return undefined;
  return ctx.optionalString(root, "runEntryPoint", "app.yaml");
}

function isNull(node: Node): boolean {
  return isScalar(node) && node.value === null;
}

/** The likely mistake behind a YAML syntax error, in plain words. */
export function plainYamlReason(code: string, reason: string): string {
  switch (code) {
    case "BLOCK_AS_IMPLICIT_KEY":
      return "bad indentation: the next line is indented under this value (line up keys of " +
        'the same mapping), or a value holds ": " and needs quotes';
    case "TAB_AS_INDENT":
      return "a tab is used for indentation; YAML needs spaces";
    case "DUPLICATE_KEY":
      return "this key is set twice in the same mapping";
    case "BAD_INDENT":
      return `bad indentation: ${reason.charAt(0).toLowerCase()}${reason.slice(1)}`;
    case "MISSING_CHAR":
      if (/without - indicator/.test(reason)) {
        return "bad indentation: this line does not line up with the list item above it " +
          '(or its "- " is missing)';
      }
      if (/quote/.test(reason)) return "a quoted value is not closed";
      return reason;
    default:
      return reason;
  }
}

/** The lines around `line` with a caret under `col`, as compilers show them. */
export function codeFrame(text: string, line: number, col: number): string {
  const lines = text.split(/\r?\n/);
  const from = Math.max(1, line - 1);
  const to = Math.min(lines.length, line + 1);
  const width = String(to).length;
  const out: string[] = [];
  for (let n = from; n <= to; n++) {
    if (n === to && n > line && lines[n - 1].trim() === "") break;
    out.push(`${String(n).padStart(width)} | ${lines[n - 1]}`);
    if (n === line) out.push(`${" ".repeat(width)} | ${" ".repeat(Math.max(0, col - 1))}^`);
  }
  return out.join("\n");
}

/** Parsing context: the document, its line counter and typed accessors that throw located errors. */
class Ctx {
  readonly lc = new LineCounter();
  readonly doc;

  constructor(readonly file: string, text: string) {
    this.doc = parseDocument(text, { lineCounter: this.lc, prettyErrors: true, uniqueKeys: true });
    const err = this.doc.errors[0];
    if (err) {
      const pos = err.linePos?.[0] ?? { line: 1, col: 1 };
      // yaml appends " at line L, column C:" and a code excerpt; keep the sentence only.
      const reason = err.message.split("\n")[0].replace(/ at line \d+, column \d+:?$/, "");
      throw new PipelineError(
        `${plainYamlReason(err.code, reason)}\n${codeFrame(text, pos.line, pos.col)}`,
        file,
        pos.line,
        pos.col,
      );
    }
  }

  error(node: Node | undefined | null, reason: string): PipelineError {
    const offset = node?.range?.[0] ?? 0;
    const { line, col } = this.lc.linePos(offset);
    return new PipelineError(reason, this.file, line, col);
  }

  /** `file:line:col` of a node, with the file's base name. */
  where(node: Node): string {
    const { line, col } = this.lc.linePos(node.range?.[0] ?? 0);
    return `${basename(this.file)}:${line}:${col}`;
  }

  map(node: Node, what: string): YAMLMap {
    if (!isMap(node)) throw this.error(node, `${what} must be a mapping (key: value)`);
    return node as YAMLMap;
  }

  seq(node: Node, what: string): Node[] {
    if (!isSeq(node)) throw this.error(node, `${what} must be a list`);
    return node.items as Node[];
  }

  scalar(node: Node, what: string): string | number | boolean {
    if (!isScalar(node) || node.value === null || typeof node.value === "object") {
      throw this.error(node, `${what} must be a single value`);
    }
    return node.value as string | number | boolean;
  }

  keys(m: YAMLMap, allowed: readonly string[], where: string): void {
    for (const pair of m.items) {
      const k = pair.key as Node;
      const key = isScalar(k) ? String(k.value) : "";
      if (!allowed.includes(key)) {
        throw this.error(
          k,
          `${where}: unknown key "${key}"; expected one of ${allowed.join(", ")}`,
        );
      }
    }
  }

  requiredString(m: YAMLMap, owner: Node, key: string, where: string): string {
    const node = m.get(key, true) as Node | undefined;
    if (!node || isNull(node)) throw this.error(owner, `${where} is missing "${key}"`);
    const v = this.scalar(node, `${where}: ${key}`);
    if (typeof v !== "string" || v.trim() === "") {
      throw this.error(node, `${where}: ${key} must be a non-empty string`);
    }
    return v;
  }

  optionalString(m: YAMLMap, key: string, where: string): string | undefined {
    const node = m.get(key, true) as Node | undefined;
    if (!node || isNull(node)) return undefined;
    return String(this.scalar(node, `${where}: ${key}`));
  }

  optionalBool(m: YAMLMap, key: string, where: string): boolean | undefined {
    const node = m.get(key, true) as Node | undefined;
    if (!node || isNull(node)) return undefined;
    const v = this.scalar(node, `${where}: ${key}`);
    if (typeof v !== "boolean") {
      throw this.error(node, `${where}: ${key} must be true or false, not "${v}"`);
    }
    return v;
  }

  optionalInt(m: YAMLMap, key: string, where: string, min: number): number | undefined {
    const node = m.get(key, true) as Node | undefined;
    if (!node || isNull(node)) return undefined;
    const v = this.scalar(node, `${where}: ${key}`);
    if (typeof v !== "number" || !Number.isInteger(v) || v < min) {
      throw this.error(node, `${where}: ${key} must be an integer >= ${min}, not "${v}"`);
    }
    return v;
  }

  enumValue<T extends string>(
    m: YAMLMap,
    key: string,
    allowed: readonly T[],
    where: string,
  ): T | undefined {
    const node = m.get(key, true) as Node | undefined;
    if (!node || isNull(node)) return undefined;
    const v = String(this.scalar(node, `${where}: ${key}`));
    // Quix's own files are inconsistent about case ("Delete" / "delete"); accept either.
    const hit = allowed.find((a) => a.toLowerCase() === v.toLowerCase());
    if (!hit) {
      throw this.error(node, `${where}: ${key} "${v}" is not one of ${allowed.join(", ")}`);
    }
    return hit;
  }
}
