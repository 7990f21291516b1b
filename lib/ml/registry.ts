/**
 * The model registry of an inference app: every model version and the deployment read from
 * the `models` topic, and the serving set built from them. Each accepted record replaces the
 * serving set with a new immutable one in a single assignment, so a swap happens between two
 * inputs, never during one, and the stream does not pause. A record that cannot be used is
 * refused with the reason and its offset; the serving set stays as it was.
 *
 * @module
 */
import {
  decodeDeployment,
  type DeploymentRecord,
  type LoadedModel,
  loadModel,
} from "./model_record.ts";

/** A model serving a share of devices. */
export interface ServingVariant {
  /** Model version. */
  version: number;
  /** Share of devices (relative). */
  weight: number;
  /** The model. */
  model: LoadedModel;
}

/** What serves now: weighted variants (sticky by device) and shadows (scored, never served). */
export interface ServingSet {
  /** Model name. */
  name: string;
  /** Served variants. */
  variants: ServingVariant[];
  /** Shadow models. */
  shadows: LoadedModel[];
  /** Salt of the A/B split. */
  experiment: string;
  /** Bumped on every change. */
  generation: number;
}

/** A refused record: where it is and why. */
export interface Refusal {
  /** Where the record is: `topic[partition]@offset`. */
  offset: string;
  /** The record's key. */
  key: string;
  /** Why it was refused. */
  reason: string;
}

/**
 * Model versions and the deployment of one model name.
 *
 * @example
 * ```ts ignore
 * import { ModelRegistry } from "@sa/toolkit";
 * const registry = new ModelRegistry("activity");
 * registry.apply("activity@1", modelRecord, "models[0]@0");
 * const refusal = registry.apply("activity@2", { type: "model" }, "models[0]@1");
 * console.log(refusal?.reason, registry.serving?.variants[0].version); // ... 1
 * ```
 */
export class ModelRegistry {
  /** Every accepted model version. */
  readonly models: Map<number, LoadedModel> = new Map();
  /** The latest accepted deployment. */
  deployment?: DeploymentRecord;
  /** Every refused record. */
  readonly refusals: Refusal[] = [];
  #serving?: ServingSet;
  #generation = 0;
  #batching = false;
  #dirty = false;

  /**
   * A registry serving model `name`.
   *
   * @param name the model name served (records of other names are skipped)
   * @param log where refusals and swaps are reported
   */
  constructor(
    readonly name = "activity",
    readonly log: (line: string) => void = (l) => console.log(l),
  ) {}

  /**
   * Applies several records as one change: the serving set is rebuilt once, after `fn`, so no
   * input is ever scored by a state in between (e.g. a new model before its deployment).
   */
  batch(fn: () => void): void {
    if (this.#batching) return fn();
    this.#batching = true;
    try {
      fn();
    } finally {
      this.#batching = false;
      if (this.#dirty) this.#rebuild();
    }
  }

  /** The current serving set, or undefined while no model is known. */
  get serving(): ServingSet | undefined {
    return this.#serving;
  }

  /** Applies one raw record (JSON bytes) of the `models` topic; see {@link ModelRegistry.apply}. */
  applyBytes(key: string | null, bytes: Uint8Array | null, offset: string): Refusal | undefined {
    if (bytes === null) return this.apply(key, null, offset);
    let value: unknown;
    try {
      value = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
    } catch (e) {
      return this.#refuse(key, offset, `not JSON: ${(e as Error).message}`);
    }
    return this.apply(key, value, offset);
  }

  /**
   * Applies one record of the `models` topic. `offset` names it in messages
   * (`models[0]@12`). Returns the refusal, if refused.
   */
  apply(key: string | null, value: unknown, offset: string): Refusal | undefined {
    if (value === null || value === undefined) return undefined; // tombstone: keep what serves
    const type = (value as { type?: unknown })?.type;
    const name = (value as { name?: unknown })?.name;
    if (typeof name === "string" && name !== this.name) return undefined;
    try {
      if (type === "deployment") {
        const d = decodeDeployment(value);
        const missing = [...d.variants.map((v) => v.version), ...d.shadow, d.default]
          .find((v) => !this.models.has(v));
        if (missing !== undefined) throw new Error(`deployment names unknown version ${missing}`);
        this.deployment = d;
      } else {
        const model = loadModel(value);
        this.models.set(model.record.version, model);
      }
    } catch (e) {
      return this.#refuse(key, offset, (e as Error).message);
    }
    this.#rebuild();
    return undefined;
  }

  #refuse(key: string | null, offset: string, reason: string): Refusal {
    const refusal = { offset, key: key ?? "", reason };
    this.refusals.push(refusal);
    const serving = this.#serving
      ? `still serving ${this.#serving.variants.map((v) => `v${v.version}`).join(", ")}`
      : "no model serving yet";
    this.log(`models: refused record ${offset} (key ${refusal.key}): ${reason}; ${serving}`);
    return refusal;
  }

  #rebuild(): void {
    if (this.#batching) {
      this.#dirty = true;
      return;
    }
    this.#dirty = false;
    let set: Omit<ServingSet, "generation">;
    const d = this.deployment;
    if (d) {
      set = {
        name: this.name,
        variants: d.variants.map((v) => ({ ...v, model: this.models.get(v.version)! })),
        shadows: d.shadow.map((v) => this.models.get(v)!),
        experiment: d.experiment,
      };
    } else {
      // No deployment yet: the newest version serves alone.
      const latest = Math.max(...this.models.keys());
      set = {
        name: this.name,
        variants: [{ version: latest, weight: 1, model: this.models.get(latest)! }],
        shadows: [],
        experiment: "",
      };
    }
    const describe = (s: Omit<ServingSet, "generation"> | undefined) =>
      s
        ? s.variants.map((v) => `v${v.version}×${v.weight}`).join(" ") +
          (s.shadows.length ? ` shadow ${s.shadows.map((m) => `v${m.record.version}`)}` : "")
        : "";
    const before = describe(this.#serving), after = describe(set);
    this.#serving = { ...set, generation: ++this.#generation };
    if (before !== after) {
      this.log(`models: now serving ${after}${before ? ` (was ${before})` : ""}`);
    }
  }
}
