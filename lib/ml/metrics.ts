/**
 * The KPIs in Prometheus text format for `/metrics`: one gauge family per KPI, labelled by
 * variant (and class or feature where it applies).
 *
 * @module
 */
import type { KpiRecord } from "./kpis.ts";

function esc(v: string): string {
  return v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

/** Renders the latest KPI record of each variant. */
export function prometheusText(records: readonly KpiRecord[]): string {
  const families: Array<[string, string, string, Array<[Record<string, string>, number]>]> = [];
  const family = (name: string, type: string, help: string) => {
    const samples: Array<[Record<string, string>, number]> = [];
    families.push([name, type, help, samples]);
    return (labels: Record<string, string>, value: number | null | undefined) => {
      if (value !== null && value !== undefined && Number.isFinite(value)) {
        samples.push([labels, value]);
      }
    };
  };
  const total = family(
    "sa_ml_predictions_total",
    "counter",
    "Predictions since the KPI app started",
  );
  const latency = family(
    "sa_ml_prediction_latency_seconds",
    "gauge",
    "Latency from the window's newest message to its prediction over the last interval",
  );
  const mix = family(
    "sa_ml_class_share",
    "gauge",
    "Share of each class among the last interval's predictions",
  );
  const correct = family(
    "sa_ml_labelled_correct_total",
    "counter",
    "Predictions whose delayed label agreed",
  );
  const scored = family(
    "sa_ml_labelled_total",
    "counter",
    "Predictions scored against a delayed label",
  );
  const accuracy = family("sa_ml_accuracy", "gauge", "Test-then-train accuracy since the start");
  const psi = family(
    "sa_ml_feature_psi",
    "gauge",
    "PSI of a feature against the variant's training windows",
  );
  const alarm = family("sa_ml_drift_alarm", "gauge", "1 when a feature's PSI is above 0.25");
  for (const r of records) {
    const v = { variant: r.variant, version: String(r.version), served: String(r.served) };
    total(v, r.totalPredictions);
    if (r.latencyMs) {
      for (const q of ["p50", "p99", "max", "mean"] as const) {
        latency({ ...v, stat: q }, r.latencyMs[q] / 1000);
      }
    }
    for (const [c, share] of Object.entries(r.classMix)) mix({ ...v, class: c }, share);
    correct(v, r.accuracy.correct);
    scored(v, r.accuracy.scored);
    accuracy(v, r.accuracy.value);
    if (r.drift) {
      for (const [f, value] of Object.entries(r.drift.psi)) psi({ ...v, feature: f }, value);
      alarm(v, r.drift.alarm ? 1 : 0);
    }
  }
  const lines: string[] = [];
  for (const [name, type, help, samples] of families) {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const [labels, value] of samples) {
      const l = Object.entries(labels).map(([k, x]) => `${k}="${esc(x)}"`).join(",");
      lines.push(`${name}{${l}} ${value}`);
    }
  }
  return lines.join("\n") + "\n";
}
