/**
 * Refuses an app whose output topic is one of its own input topics: it would append to the
 * topic it reads, forever (a shared `.env` line `output=raw-data` meant for the replay app
 * once made the starter transformation do exactly that). The message names where the output
 * value was set, so the fix is one edit.
 *
 * @module
 */
import type { AppVariable } from "../stream/define_app.ts";
import type { Deployment } from "./pipeline.ts";
import { deploymentValue, type ResolvedVariables } from "./variables.ts";

/** Where resolved values were read from, to name the setting's file and line. */
export interface SettingFiles {
  /** Line of each key in `.env` (project-relative name `.env`). */
  dotenvLines?: Record<string, number>;
  /** The app's own `.env.<name>` file name and its key lines. */
  appDotenv?: { file: string; lines: Record<string, number> };
  /** The deployment whose pipeline values were used. */
  deployment?: Deployment;
  /** The app module (project-relative), for defaults. */
  appFile: string;
}

/** Where variable `name` got its value: `.env:3`, `sa.yaml:12:16`, `the environment`, ... */
export function settingLocation(
  name: string,
  resolved: ResolvedVariables,
  files: SettingFiles,
): string {
  const source = resolved.sources[name];
  if (source === "env") return `the environment (${name}=${resolved.values[name]})`;
  if (source === ".env") {
    const line = files.dotenvLines?.[name];
    return line ? `.env:${line}` : ".env";
  }
  if (source === "pipeline" && files.deployment) {
    const pv = files.deployment.variables.find((v) => v.name === name) ??
      files.deployment.variables.find((v) => v.name.toLowerCase() === name.toLowerCase());
    return pv?.valueAt ?? `deployment "${files.deployment.name}" in the pipeline file`;
  }
  if (source === "default") return `the default value in ${files.appFile}`;
  if (source && files.appDotenv && source === files.appDotenv.file) {
    const line = files.appDotenv.lines[name];
    return line ? `${source}:${line}` : source;
  }
  return String(source);
}

/**
 * A one-line refusal when an output topic variable has the same value as an input topic
 * variable of the same app; null when the topics differ.
 */
export function topicLoopProblem(
  appName: string,
  declared: readonly AppVariable[],
  resolved: ResolvedVariables,
  files: SettingFiles,
  perAppFile: string,
): string | null {
  const inputs = declared.filter((v) => v.inputType === "InputTopic");
  for (const out of declared.filter((v) => v.inputType === "OutputTopic")) {
    const topic = resolved.values[out.name];
    if (!topic) continue;
    const input = inputs.find((i) => resolved.values[i.name] === topic);
    if (!input) continue;
    const at = settingLocation(out.name, resolved, files);
    const inAt = settingLocation(input.name, resolved, files);
    const shared = resolved.sources[out.name] === ".env" || resolved.sources[out.name] === "env";
    return `app "${appName}" would write into its own input: ${out.name} and ${input.name} ` +
      `are both "${topic}" (${out.name} set at ${at}, ${input.name} at ${inAt}); ` +
      (shared
        ? `give this app its own ${out.name} in ${perAppFile} (it overrides .env for this app only)`
        : `change it at ${at}`);
  }
  return null;
}

/** The same check for a deployment under `sa up`, whose values come from the pipeline file. */
export function deploymentLoopProblem(
  d: Deployment,
  declared: readonly AppVariable[],
  resolved: ResolvedVariables,
  appFile: string,
): string | null {
  const inputs = declared.filter((v) => v.inputType === "InputTopic");
  for (const out of declared.filter((v) => v.inputType === "OutputTopic")) {
    const topic = resolved.values[out.name];
    if (!topic) continue;
    const input = inputs.find((i) => resolved.values[i.name] === topic);
    if (!input) continue;
    const where = resolved.sources[out.name] === "pipeline" || deploymentValue(d, out.name)
      ? settingLocation(out.name, resolved, { deployment: d, appFile })
      : settingLocation(input.name, resolved, { deployment: d, appFile });
    return `deployment "${d.name}" would write into its own input: ${out.name} and ` +
      `${input.name} are both "${topic}" (set at ${where}); give it a different ${out.name}`;
  }
  return null;
}
