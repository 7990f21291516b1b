/**
 * `sa ml`: episode 4's model operations. `train` trains once (from a recording file or the
 * `features` and `labels` topics) and publishes to the compacted `models` topic; `models`
 * lists versions and the deployment; `deploy` starts an A/B test (weights, shadows); `report`
 * compares the variants' test-then-train accuracy with a two-proportion z-test; `promote`
 * publishes the winner as the sole, default version.
 *
 * @module
 */
import { isAbsolute, join } from "node:path";
import type { Kafka } from "kafkajs";
import { type CliCommand, type CliEnv, CliError } from "./_command.ts";
import { flag, parseCommandArgs, type Parsed, str } from "./_args.ts";
import { BROKER_HELP, BROKER_OPTION, brokerAddress, kafkaError, kafkaFor } from "./_kafka.ts";
import { formatTable } from "./_table.ts";
import { loadClassifierKinds } from "../ml/classifier.ts";
import type { Examples } from "../ml/dataset.ts";
import type { DeploymentRecord } from "../ml/model_record.ts";
import {
  ML_TOPICS,
  type ModelsState,
  publishToModels,
  readModels,
  soleDeployment,
} from "../ml/models_topic.ts";
import {
  commaList,
  examplesFromFile,
  examplesFromTopics,
  type TrainPlan,
  trainPlan,
} from "../ml/train_job.ts";
import { formatMetrics } from "../ml/training.ts";
import { abReport } from "../ml/ab_report.ts";
import type { KpiRecord } from "../ml/kpis.ts";
import { jsonValue, readTopic } from "../ml/topic_reader.ts";

const HELP = `Usage: sa ml <train|models|deploy|report|promote> [options]

Episode 4, realtime ML: train activity models, deploy them (A/B, shadow), compare, promote.
Models live on the compacted "models" topic: one record per version (key <model>@<version>)
and the deployment (key <model>) that the inference app follows and hot-swaps to.

  sa ml train     Train once and publish. Source: --file (a Sensor Logger JSON-lines
                  recording with annotation readings) or the features and labels topics.
                  Prints held-out accuracy, per-class precision/recall, confusion matrix.
                  Publishes a deployment serving the new version(s) unless --no-deploy.
  sa ml models    List the versions and what serves now.
  sa ml deploy    Serve versions side by side: --variant V=WEIGHT (twice or more) and
                  --shadow V (scored, never served). Devices are split by a hash of their id.
  sa ml report    Per-variant KPIs from model-kpis, and which variant is ahead, with a
                  two-proportion z-test on test-then-train accuracy.
  sa ml promote   Publish the report's leader, when its lead is significant (or --version V),
                  as the only, default version.

Options:
${BROKER_HELP}
  --model NAME        model name (default activity)
  --models-topic T    default models
  train:
    --file PATH       recording to train on (else the topics below)
    --features-topic T, --labels-topic T   default features, labels
    --kinds K,K       softmax (default), random-forest, decision-tree; two or more: A/B
    --weights W,W     A/B weights, one per kind (default equal)
    --shadow K,K      kinds trained as shadows
    --seed N          split and model seed (default 1)
    --no-deploy       publish the model(s) only; what serves does not change
    --dry-run         train and print, publish nothing (no broker needed with --file)
  deploy:
    --variant V=W     version and weight (repeat); --shadow V (repeat); --experiment NAME
  report, promote:
    --kpis-topic T    default model-kpis;  --alpha A  significance level (default 0.05)
  promote:
    --version V       promote this version, whatever the report says

Examples:
  sa ml train --file apps/activity_stream.json --kinds softmax,random-forest
  sa ml deploy --variant 3=50 --variant 4=50 --shadow 5
  sa ml report
  sa ml promote
`;

const OPTIONS = {
  ...BROKER_OPTION,
  model: { type: "string" as const },
  "models-topic": { type: "string" as const },
  file: { type: "string" as const },
  "features-topic": { type: "string" as const },
  "labels-topic": { type: "string" as const },
  kinds: { type: "string" as const },
  weights: { type: "string" as const },
  shadow: { type: "string" as const, multiple: true },
  seed: { type: "string" as const },
  "no-deploy": { type: "boolean" as const },
  "dry-run": { type: "boolean" as const },
  variant: { type: "string" as const, multiple: true },
  experiment: { type: "string" as const },
  "kpis-topic": { type: "string" as const },
  alpha: { type: "string" as const },
  version: { type: "string" as const },
};

/** The `ml` command. */
export const command: CliCommand = {
  name: "ml",
  summary: "Realtime ML: train, list, deploy (A/B, shadow), report and promote models",
  help: HELP,
  async run(argv, env) {
    const [sub, ...rest] = argv;
    const args = parseCommandArgs("ml", rest, OPTIONS);
    if (args.positionals.length) {
      throw new CliError(`unexpected arguments: ${args.positionals.join(" ")}`, 2);
    }
    const ctx = { args, env, model: str(args, "model") ?? "activity" };
    switch (sub) {
      case "train":
        return await train(ctx);
      case "models":
        return await withKafka(ctx, listModels);
      case "deploy":
        return await withKafka(ctx, deploy);
      case "report":
        return await withKafka(ctx, report);
      case "promote":
        return await withKafka(ctx, promote);
      default:
        throw new CliError(
          sub
            ? `unknown sub-command "${sub}": train, models, deploy, report or promote`
            : "expected a sub-command: sa ml train|models|deploy|report|promote",
          2,
        );
    }
  },
};

interface Ctx {
  args: Parsed;
  env: CliEnv;
  model: string;
}

const modelsTopic = (ctx: Ctx) => str(ctx.args, "models-topic") ?? ML_TOPICS.models;

async function withKafka(
  ctx: Ctx,
  fn: (ctx: Ctx, kafka: Kafka) => Promise<number>,
): Promise<number> {
  const address = await brokerAddress(str(ctx.args, "broker"), ctx.env);
  try {
    return await fn(ctx, kafkaFor(address));
  } catch (e) {
    throw e instanceof CliError ? e : kafkaError(address, e);
  }
}

function positiveInt(value: string | undefined, what: string, fallback?: number): number {
  if (value === undefined && fallback !== undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) {
    throw new CliError(`${what} must be a whole number >= 1, not "${value}"`, 2);
  }
  return n;
}

function planOf(ctx: Ctx): TrainPlan {
  const kinds = commaList(str(ctx.args, "kinds"));
  const weightsText = str(ctx.args, "weights");
  const weights = weightsText ? commaList(weightsText).map(Number) : undefined;
  if (weights && !weights.every((w) => w > 0)) {
    throw new CliError(
      `--weights must be numbers > 0 separated by commas, not "${weightsText}"`,
      2,
    );
  }
  const shadow = ((ctx.args.values.shadow as string[] | undefined) ?? []).flatMap(commaList);
  return {
    name: ctx.model,
    kinds: kinds.length ? kinds : ["softmax"],
    weights,
    shadowKinds: shadow,
    seed: Number(str(ctx.args, "seed") ?? "1"),
    deploy: !flag(ctx.args, "no-deploy"),
  };
}

async function train(ctx: Ctx): Promise<number> {
  const plan = planOf(ctx);
  if (!Number.isInteger(plan.seed)) throw new CliError(`--seed must be an integer`, 2);
  await loadClassifierKinds();
  const file = str(ctx.args, "file");
  const dryRun = flag(ctx.args, "dry-run");
  let examples: Examples, source: string;
  const t0 = performance.now();
  let kafka: Kafka | undefined;
  const connect = async () =>
    kafka ??= kafkaFor(await brokerAddress(str(ctx.args, "broker"), ctx.env));
  if (file) {
    const path = isAbsolute(file) ? file : join(ctx.env.cwd, file);
    let text: string;
    try {
      text = await Deno.readTextFile(path);
    } catch (e) {
      throw new CliError(`cannot read ${file}: ${(e as Error).message}`);
    }
    try {
      examples = examplesFromFile(text, file);
    } catch (e) {
      throw new CliError((e as Error).message);
    }
    source = `file ${file}`;
  } else {
    const features = str(ctx.args, "features-topic") ?? ML_TOPICS.features;
    const labels = str(ctx.args, "labels-topic") ?? ML_TOPICS.labels;
    examples = await examplesFromTopics(await connect(), features, labels);
    source = `topics ${features} + ${labels}`;
  }
  const featureMs = performance.now() - t0;
  if (examples.x.length === 0) {
    throw new CliError(
      `no labelled windows in ${source}: it needs accelerometer readings and annotation readings`,
    );
  }
  ctx.env.stderr(
    `${examples.x.length} labelled windows from ${source} (features in ${
      featureMs.toFixed(0)
    } ms)\n`,
  );
  try {
    let last = 0;
    if (!dryRun) {
      last = Math.max(
        0,
        ...(await readModels(await connect(), modelsTopic(ctx), ctx.model)).models.keys(),
      );
    }
    const out = trainPlan(examples, plan, last, source);
    for (const m of out.models) ctx.env.stdout(formatMetrics(m) + "\n");
    if (dryRun) {
      ctx.env.stderr("dry run: nothing published\n");
      return 0;
    }
    await publishToModels(await connect(), modelsTopic(ctx), [
      ...out.models,
      ...(out.deployment ? [out.deployment] : []),
    ]);
    ctx.env.stderr(
      `published ${out.models.map((m) => `${m.name}@${m.version}`).join(", ")} to ${
        modelsTopic(ctx)
      }` +
        (out.deployment ? `; now serving ${describe(out.deployment)}\n` : " (not deployed)\n"),
    );
    return 0;
  } catch (e) {
    if (e instanceof CliError) throw e;
    if (kafka) throw kafkaError(await brokerAddress(str(ctx.args, "broker"), ctx.env), e);
    throw new CliError((e as Error).message);
  }
}

function describe(d: DeploymentRecord): string {
  const variants = d.variants.map((v) =>
    `v${v.version}${d.variants.length > 1 ? `×${v.weight}` : ""}`
  );
  return variants.join(" ") +
    (d.shadow.length ? `, shadow ${d.shadow.map((v) => `v${v}`).join(" ")}` : "");
}

async function listModels(ctx: Ctx, kafka: Kafka): Promise<number> {
  const state = await readModels(kafka, modelsTopic(ctx), ctx.model);
  if (state.models.size === 0) {
    ctx.env.stdout(`no ${ctx.model} models on ${modelsTopic(ctx)} yet: sa ml train\n`);
    return 0;
  }
  const rows = [...state.models.values()].sort((a, b) => a.version - b.version).map((m) => [
    String(m.version),
    state.unusable.has(m.version) ? `unusable: ${state.unusable.get(m.version)}` : m.kind,
    `${(m.metrics.accuracy * 100).toFixed(1)}%`,
    `${(m.metrics.baselineAccuracy * 100).toFixed(1)}%`,
    String(m.data.windows),
    m.trainedAt.slice(0, 19) + "Z",
  ]);
  ctx.env.stdout(
    formatTable(["VERSION", "KIND", "ACCURACY", "MAJORITY", "WINDOWS", "TRAINED"], rows),
  );
  const d = state.deployment;
  ctx.env.stdout(
    d
      ? `serving: ${describe(d)}\n`
      : `serving: v${Math.max(...state.models.keys())} (newest; no deployment yet)\n`,
  );
  return 0;
}

async function deploy(ctx: Ctx, kafka: Kafka): Promise<number> {
  const specs = (ctx.args.values.variant as string[] | undefined) ?? [];
  if (specs.length === 0) throw new CliError("expected --variant VERSION=WEIGHT (one or more)", 2);
  const variants = specs.map((s) => {
    const m = /^(\d+)(?:=(\d+(?:\.\d+)?))?$/.exec(s.trim());
    if (!m || !(Number(m[2] ?? "1") > 0)) {
      throw new CliError(`--variant must be VERSION=WEIGHT with a weight > 0, not "${s}"`, 2);
    }
    return { version: Number(m[1]), weight: Number(m[2] ?? "1") };
  });
  const shadow = ((ctx.args.values.shadow as string[] | undefined) ?? []).flatMap(commaList)
    .map((v) => positiveInt(v, "--shadow"));
  const state = await readModels(kafka, modelsTopic(ctx), ctx.model);
  for (const v of [...variants.map((v) => v.version), ...shadow]) usableVersion(ctx, state, v);
  const d: DeploymentRecord = {
    type: "deployment",
    name: ctx.model,
    default: variants[0].version,
    variants,
    shadow,
    experiment: str(ctx.args, "experiment") ??
      `${ctx.model}-ab-${variants.map((v) => v.version).join("-")}`,
    at: new Date().toISOString(),
  };
  await publishToModels(kafka, modelsTopic(ctx), [d]);
  ctx.env.stderr(`deployed ${describe(d)} (experiment ${d.experiment})\n`);
  return 0;
}

/** Throws unless `version` is on the topic and inference would accept it. */
function usableVersion(ctx: Ctx, state: ModelsState, version: number): void {
  if (!state.models.has(version)) {
    throw new CliError(
      `no version ${version} of ${ctx.model} on ${modelsTopic(ctx)} (sa ml models)`,
    );
  }
  const why = state.unusable.get(version);
  if (why) throw new CliError(`${ctx.model} v${version} cannot serve: ${why}`);
}

async function kpiRecords(ctx: Ctx, kafka: Kafka): Promise<KpiRecord[]> {
  const topic = str(ctx.args, "kpis-topic") ?? ML_TOPICS.kpis;
  return (await readTopic(kafka, topic)).map((r) => jsonValue(r.message) as KpiRecord)
    .filter((r) => r?.type === "kpi");
}

async function report(ctx: Ctx, kafka: Kafka): Promise<number> {
  const alpha = Number(str(ctx.args, "alpha") ?? "0.05");
  if (!(alpha > 0 && alpha < 1)) throw new CliError(`--alpha must be between 0 and 1`, 2);
  const records = await kpiRecords(ctx, kafka);
  if (records.length === 0) {
    ctx.env.stdout("no KPI records yet: is the model_kpis app running?\n");
    return 0;
  }
  const r = abReport(records, alpha);
  const latest = new Map(records.map((k) => [k.variant, k]));
  ctx.env.stdout(formatTable(
    ["VARIANT", "SERVED", "PREDICTIONS", "LABELLED", "ACCURACY", "P99 MS", "MAX PSI"],
    r.variants.map((v) => {
      const k = latest.get(v.variant)!;
      return [
        v.variant,
        v.served ? "yes" : "shadow",
        String(v.predictions),
        String(v.scored),
        v.scored ? `${((v.correct / v.scored) * 100).toFixed(1)}%` : "-",
        k.latencyMs ? String(Math.round(k.latencyMs.p99)) : "-",
        k.drift ? `${k.drift.maxPsi.toFixed(2)}${k.drift.alarm ? " drift" : ""}` : "-",
      ];
    }),
  ));
  ctx.env.stdout(r.verdict + "\n");
  return 0;
}

async function promote(ctx: Ctx, kafka: Kafka): Promise<number> {
  let version: number;
  const given = str(ctx.args, "version");
  if (given !== undefined) version = positiveInt(given, "--version");
  else {
    const alpha = Number(str(ctx.args, "alpha") ?? "0.05");
    const r = abReport(await kpiRecords(ctx, kafka), alpha);
    // Only a significant lead is promoted on its own; anything else needs a human's --version.
    if (!r.leader || !r.test || r.test.pValue >= alpha) {
      throw new CliError(`nothing to promote: ${r.verdict}; pass --version V to promote anyway`);
    }
    version = r.leader.version;
    ctx.env.stderr(r.verdict + "\n");
  }
  usableVersion(ctx, await readModels(kafka, modelsTopic(ctx), ctx.model), version);
  await publishToModels(kafka, modelsTopic(ctx), [soleDeployment(ctx.model, version)]);
  ctx.env.stderr(`promoted ${ctx.model} v${version}: it now serves every device\n`);
  return 0;
}
