/**
 * `sa pipeline update`: add or update the apps' deployments, and the topics they use, by
 * editing the parsed YAML document in place, so the user's comments, key order, quoting and
 * flow/block style survive. Nothing is regenerated.
 *
 * @module
 */
import { isSecurityVariable } from "./connection.ts";
import {
  type Document,
  isMap,
  isScalar,
  isSeq,
  type Node,
  parseDocument,
  type Scalar,
  type YAMLMap,
  type YAMLSeq,
} from "yaml";
import type { AppVariable } from "../stream/define_app.ts";
import type { ProjectApp } from "./apps.ts";
import { parsePipeline, type Pipeline } from "./pipeline.ts";

/** Options for {@link updatePipelineText}. */
export interface PipelineUpdateOptions {
  apps: readonly ProjectApp[];
  /** Values from `.env`: a new variable takes its value from here, else the app default. */
  dotenv: Record<string, string>;
  /** Remove deployment variables the app no longer declares (otherwise they are an error). */
  prune?: boolean;
}

/** What {@link updatePipelineText} changed. */
export interface PipelineUpdateResult {
  text: string;
  pipeline: Pipeline;
  added: string[];
  updated: string[];
  topicsAdded: string[];
  /** Variables removed with `prune`, as `deployment.variable`. */
  pruned: string[];
  /** Required variables left without a value, one sentence each. */
  warnings: string[];
}

/** A deployment variable the app does not declare (and `prune` was not given). */
export class UndeclaredVariableError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join("\n"));
    this.name = "UndeclaredVariableError";
  }
}

/** Default configuration for topics `pipeline update` adds (as Quix's local pipeline). */
export const NEW_TOPIC_CONFIGURATION = {
  partitions: 1,
  replicationFactor: 1,
  retentionInMinutes: 1440,
  retentionInBytes: 52428800,
  cleanupPolicy: "Delete",
};

/**
 * Applies the apps to pipeline YAML text and returns the new text. `file` names the file in
 * errors. Validates first (throws PipelineError with file:line:col) and writes nothing itself.
 */
export function updatePipelineText(
  text: string,
  file: string,
  opts: PipelineUpdateOptions,
): PipelineUpdateResult {
  parsePipeline(text, file); // validate: located errors before any edit
  const doc = parseDocument(text, { keepSourceTokens: false });
  let root = doc.contents as Node | null;
  if (!root || !isMap(root)) {
    root = doc.createNode({ metadata: { version: 1 } }) as YAMLMap;
    // Written as `version: 1.0`, as Quix writes it.
    ((root.get("metadata", true) as unknown as YAMLMap).get("version", true) as Scalar)
      .minFractionDigits = 1;
    doc.contents = root as typeof doc.contents;
  }
  const top = root as YAMLMap;
  const deployments = ensureSeq(doc, top, "deployments");
  const result: Omit<PipelineUpdateResult, "text" | "pipeline"> = {
    added: [],
    updated: [],
    topicsAdded: [],
    pruned: [],
    warnings: [],
  };
  const undeclared: string[] = [];

  for (const app of opts.apps) {
    const existing = deployments.items.find((item) =>
      isMap(item) &&
      (get(item, "name") === app.name || samePath(get(item, "application"), app.application))
    ) as YAMLMap | undefined;
    if (!existing) {
      deployments.items.push(newDeployment(doc, app, opts.dotenv));
      result.added.push(app.name);
      continue;
    }
    const vars = ensureSeq(doc, existing, "variables");
    let changed = false;
    for (const v of app.definition.variables) {
      const item = vars.items.find((i) =>
        isMap(i) && String(get(i, "name") ?? "").toLowerCase() === v.name.toLowerCase()
      ) as YAMLMap | undefined;
      if (!item) {
        vars.items.push(newVariable(doc, v, opts.dotenv));
        changed = true;
        continue;
      }
      changed = setIfDifferent(item, "inputType", v.inputType) || changed;
      if (v.description !== undefined) {
        changed = setIfDifferent(item, "description", v.description) || changed;
      }
      changed = setIfDifferent(item, "required", v.required ?? false) || changed;
      const value = get(item, "value");
      if (value === undefined || value === null || value === "") {
        const fill = initialValue(v, opts.dotenv);
        if (fill !== undefined) changed = setIfDifferent(item, "value", fill) || changed;
      }
    }
    const declared = new Set(app.definition.variables.map((v) => v.name.toLowerCase()));
    const deploymentName = String(get(existing, "name"));
    for (let i = vars.items.length - 1; i >= 0; i--) {
      const item = vars.items[i];
      const name = isMap(item) ? String(get(item, "name") ?? "") : "";
      // Connection settings (SA_SECURITY_PROTOCOL, ...) belong to no app: never pruned.
      if (declared.has(name.toLowerCase()) || isSecurityVariable(name)) continue;
      if (opts.prune) {
        vars.items.splice(i, 1);
        result.pruned.push(`${deploymentName}.${name}`);
        changed = true;
      } else {
        undeclared.unshift(
          `deployment "${deploymentName}": variable "${name}" is not declared by its app (${app.application}); ` +
            "remove it from the pipeline file or run `sa pipeline update --prune`",
        );
      }
    }
    if (changed) result.updated.push(deploymentName);
  }
  if (undeclared.length) throw new UndeclaredVariableError(undeclared);

  // Topics every deployment reads or writes, in order of first use.
  const style = detectStyle(text);
  const interim = parsePipeline(doc.toString(style), file);
  const byApp = new Map(opts.apps.map((a) => [a.name, a]));
  const used: string[] = [];
  for (const d of interim.deployments) {
    const declared = byApp.get(d.name)?.definition.variables;
    for (const pv of d.variables) {
      const type = pv.inputType ?? declared?.find((v) => v.name === pv.name)?.inputType;
      if (
        (type === "InputTopic" || type === "OutputTopic") && pv.value && !used.includes(pv.value)
      ) {
        used.push(pv.value);
      }
    }
  }
  const known = new Set(interim.topics.map((t) => t.name));
  const missingTopics = used.filter((t) => !known.has(t));
  if (missingTopics.length) {
    const topics = ensureSeq(doc, top, "topics");
    for (const name of missingTopics) {
      const node = doc.createNode({
        name,
        persisted: false,
        configuration: NEW_TOPIC_CONFIGURATION,
      }) as YAMLMap;
      (node.get("configuration", true) as unknown as YAMLMap).flow = true;
      topics.items.push(node);
      result.topicsAdded.push(name);
    }
  }

  const out = restoreOriginalLines(text, doc.toString(style));
  const pipeline = parsePipeline(out, file);
  for (const d of pipeline.deployments) {
    const app = byApp.get(d.name);
    if (!app) continue;
    for (const v of app.definition.variables) {
      const pv = d.variables.find((x) => x.name.toLowerCase() === v.name.toLowerCase());
      const value = pv?.value ?? opts.dotenv[v.name];
      if (v.required && (value === undefined || value === "")) {
        result.warnings.push(
          `deployment "${d.name}": required variable "${v.name}" has no value; set it in the pipeline file or .env`,
        );
      }
    }
  }
  return { text: out, pipeline, ...result };
}

function initialValue(v: AppVariable, dotenv: Record<string, string>): string | undefined {
  const fromEnv = dotenv[v.name];
  if (fromEnv !== undefined && fromEnv !== "") return fromEnv;
  return v.defaultValue;
}

function newVariable(doc: Document, v: AppVariable, dotenv: Record<string, string>): YAMLMap {
  const obj: Record<string, unknown> = { name: v.name, inputType: v.inputType };
  if (v.description !== undefined) obj.description = v.description;
  obj.required = v.required ?? false;
  // Secrets stay out of the pipeline file (it is committed); they come from .env or the env.
  const value = v.inputType === "Secret" ? undefined : initialValue(v, dotenv);
  if (value !== undefined) obj.value = value;
  return doc.createNode(obj) as YAMLMap;
}

function newDeployment(doc: Document, app: ProjectApp, dotenv: Record<string, string>): YAMLMap {
  const node = doc.createNode({
    name: app.name,
    application: app.application,
    deploymentType: "Service",
    version: "latest",
    resources: { cpu: 200, memory: 200, replicas: 1 },
    desiredStatus: "Running",
    variables: [],
  }) as YAMLMap;
  (node.get("resources", true) as unknown as YAMLMap).flow = true;
  const vars = node.get("variables", true) as unknown as YAMLSeq;
  vars.flow = false;
  for (const v of app.definition.variables) vars.items.push(newVariable(doc, v, dotenv));
  if (vars.items.length === 0) vars.flow = true;
  return node;
}

/** The sequence under `key`, created (block style) when absent, null or an empty flow list. */
function ensureSeq(doc: Document, map: YAMLMap, key: string): YAMLSeq {
  const node = map.get(key, true) as Node | undefined;
  if (isSeq(node)) {
    if (node.flow && node.items.length === 0) node.flow = false;
    return node as YAMLSeq;
  }
  const seq = doc.createNode([]) as YAMLSeq;
  seq.flow = false;
  if (node !== undefined && isScalar(node)) {
    // `deployments:` (null): keep the key and its comments, replace the value.
    const pair = map.items.find((p) => isScalar(p.key) && p.key.value === key)!;
    seq.comment = (node as Scalar).comment;
    pair.value = seq;
  } else {
    map.set(key, seq);
  }
  return seq;
}

function get(map: YAMLMap, key: string): unknown {
  const node = map.get(key, true) as Node | undefined;
  return isScalar(node) ? node.value : node;
}

/** Sets a scalar only when its value changes, so untouched nodes keep their quoting. */
function setIfDifferent(map: YAMLMap, key: string, value: string | boolean): boolean {
  const node = map.get(key, true) as Node | undefined;
  if (isScalar(node)) {
    if (node.value === value || String(node.value) === String(value)) return false;
    node.value = value;
    return true;
  }
  map.set(key, value);
  return true;
}

function samePath(a: unknown, b: string): boolean {
  if (typeof a !== "string") return false;
  const norm = (p: string) => p.replace(/^\.\//, "").replace(/\/$/, "");
  return norm(a) === norm(b);
}

/** Serialization options matching the file: its indentation and sequence style. */
function detectStyle(text: string): { lineWidth: number; indent: number; indentSeq: boolean } {
  const lines = text.split("\n").filter((l) => l.trim() !== "" && !l.trimStart().startsWith("#"));
  let indent = 0;
  for (const l of lines) {
    const n = l.length - l.trimStart().length;
    if (n > 0 && (indent === 0 || n < indent)) indent = n;
  }
  // `key:` followed by `- item` at the same column means sequences are not indented.
  let indentSeq = true;
  for (let i = 0; i + 1 < lines.length; i++) {
    const a = lines[i];
    const b = lines[i + 1];
    const col = (l: string) => l.length - l.trimStart().length;
    if (/:\s*(#.*)?$/.test(a) && b.trimStart().startsWith("- ") && col(a) === col(b)) {
      indentSeq = false;
      break;
    }
  }
  return { lineWidth: 0, indent: Math.min(Math.max(indent || 2, 2), 8), indentSeq };
}

/**
 * The yaml library re-prints every line it keeps, normalizing spacing (before a comment,
 * trailing blanks). Lines equal to an original line up to that spacing are replaced by the
 * original, in order, so untouched lines stay byte for byte.
 */
export function restoreOriginalLines(original: string, printed: string): string {
  const norm = (l: string) => l.replace(/\s+#/g, " #").replace(/\s+$/, "");
  const orig = original.split("\n");
  const origNorm = orig.map(norm);
  let j = 0;
  const out = printed.split("\n").map((line) => {
    const n = norm(line);
    for (let k = j; k < orig.length; k++) {
      if (origNorm[k] === n) {
        j = k + 1;
        return orig[k];
      }
    }
    return line;
  });
  return out.join("\n");
}
