/**
 * The app contract: an app module declares its variables and a `main` function, and has
 * no side effects on import. `sa` imports it (in a sandboxed worker) to read the variables
 * for `vars export` and `pipeline update`, and calls `main` for `sa run` and `sa up`.
 *
 * @module
 */

/**
 * How a variable is used, as in Quix's app.yaml.
 *
 * @example
 * ```ts
 * import type { VariableInputType } from "@sa/toolkit";
 * const kind: VariableInputType = "OutputTopic";
 * ```
 */
export type VariableInputType = "InputTopic" | "OutputTopic" | "FreeText" | "Secret";

/**
 * One declared variable of an app.
 *
 * @example
 * ```ts
 * import type { AppVariable } from "@sa/toolkit";
 * const input: AppVariable = { name: "input", inputType: "InputTopic", defaultValue: "raw-data" };
 * ```
 */
export interface AppVariable {
  /** Environment variable name the app reads, e.g. `input`. */
  readonly name: string;
  /** How the variable is used (topic names are listed as topics by `sa`). */
  readonly inputType: VariableInputType;
  /** Shown by `sa apps` and written to pipeline files. */
  readonly description?: string;
  /** Used when neither the environment, `.env` nor the pipeline file sets it. */
  readonly defaultValue?: string;
  /** `sa run` refuses to start when a required variable has no value. */
  readonly required?: boolean;
}

/**
 * The resolved variable values handed to `main`, by name.
 *
 * @example
 * ```ts
 * import type { AppVars } from "@sa/toolkit";
 * function topicOf(vars: AppVars): string {
 *   return vars.input ?? "raw-data";
 * }
 * ```
 */
export type AppVars = Readonly<Record<string, string | undefined>>;

/**
 * An app: a name, its variables and the function that runs it.
 *
 * @example
 * ```ts
 * import { type AppDefinition, defineApp } from "@sa/toolkit";
 * const app: AppDefinition = defineApp({ name: "hello", variables: [], main: () => console.log("hi") });
 * ```
 */
export interface AppDefinition {
  /** The app's name (used in logs and as the default deployment name). */
  readonly name: string;
  /** One line about what it does. */
  readonly description?: string;
  /** The variables it reads. */
  readonly variables: readonly AppVariable[];
  /** Runs the app until it is stopped; `signal` aborts on shutdown. */
  main(vars: AppVars, signal: AbortSignal): Promise<void> | void;
}

const VALID_TYPES: ReadonlySet<string> = new Set([
  "InputTopic",
  "OutputTopic",
  "FreeText",
  "Secret",
]);

/**
 * Declares an app. Validates the declaration eagerly so that a typo fails at import with
 * the variable's name, not later at run time.
 *
 * @example Declare a transformation with one input and one output topic
 * ```ts
 * import { defineApp } from "@sa/toolkit";
 *
 * export default defineApp({
 *   name: "uppercase",
 *   variables: [
 *     { name: "input", inputType: "InputTopic", defaultValue: "raw-data", required: true },
 *     { name: "output", inputType: "OutputTopic", defaultValue: "upper", required: true },
 *   ],
 *   main(vars) {
 *     console.log(`reading ${vars.input}, writing ${vars.output}`);
 *   },
 * });
 * ```
 */
export function defineApp(def: AppDefinition): AppDefinition {
  if (!def.name) throw new Error("defineApp: `name` is required");
  const seen = new Set<string>();
  for (const [i, v] of def.variables.entries()) {
    if (!v.name || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(v.name)) {
      throw new Error(`defineApp(${def.name}): variables[${i}] has an invalid name "${v.name}"`);
    }
    if (seen.has(v.name)) {
      throw new Error(`defineApp(${def.name}): variable "${v.name}" is declared twice`);
    }
    seen.add(v.name);
    if (!VALID_TYPES.has(v.inputType)) {
      throw new Error(
        `defineApp(${def.name}): variable "${v.name}" has inputType "${v.inputType}"; ` +
          `expected one of ${[...VALID_TYPES].join(", ")}`,
      );
    }
  }
  return Object.freeze({ ...def, variables: Object.freeze([...def.variables]) });
}

/** True when `value` looks like the default export of an app module. */
export function isAppDefinition(value: unknown): value is AppDefinition {
  return typeof value === "object" && value !== null &&
    typeof (value as AppDefinition).name === "string" &&
    Array.isArray((value as AppDefinition).variables) &&
    typeof (value as AppDefinition).main === "function";
}
