/**
 * Multinomial logistic regression (softmax), hand-written: standardized features, full-batch
 * gradient descent from zero weights with L2 regularization, so training is deterministic
 * without a seed. Small enough to read, and a baseline for the library models.
 *
 * @module
 */
import type { Classifier, ClassifierKind } from "./classifier.ts";

interface SoftmaxParams {
  mean: number[];
  scale: number[];
  /** One row per class: bias then one weight per feature. */
  weights: number[][];
}

const EPOCHS = 400;
const RATE = 0.5;
const L2 = 1e-4;

class Softmax implements Classifier {
  constructor(readonly p: SoftmaxParams) {}

  scores(x: readonly number[]): number[] {
    const { mean, scale, weights } = this.p;
    return weights.map((w) => {
      let s = w[0];
      for (let j = 0; j < mean.length; j++) s += w[j + 1] * ((x[j] - mean[j]) / scale[j]);
      return s;
    });
  }

  predict(x: readonly number[]): number {
    const s = this.scores(x);
    let best = 0;
    for (let k = 1; k < s.length; k++) if (s[k] > s[best]) best = k;
    return best;
  }

  toJSON(): SoftmaxParams {
    return this.p;
  }
}

function train(x: number[][], y: number[], classes: number): Classifier {
  const n = x.length, d = x[0].length;
  const mean = new Array(d).fill(0), scale = new Array(d).fill(0);
  for (const row of x) row.forEach((v, j) => mean[j] += v / n);
  for (const row of x) row.forEach((v, j) => scale[j] += (v - mean[j]) ** 2 / n);
  for (let j = 0; j < d; j++) scale[j] = Math.sqrt(scale[j]) || 1;
  const z = x.map((row) => row.map((v, j) => (v - mean[j]) / scale[j]));
  const w = Array.from({ length: classes }, () => new Array(d + 1).fill(0));
  const grad = Array.from({ length: classes }, () => new Array(d + 1).fill(0));
  const p = new Array(classes);
  for (let epoch = 0; epoch < EPOCHS; epoch++) {
    for (const g of grad) g.fill(0);
    for (let i = 0; i < n; i++) {
      let max = -Infinity;
      for (let k = 0; k < classes; k++) {
        let s = w[k][0];
        for (let j = 0; j < d; j++) s += w[k][j + 1] * z[i][j];
        p[k] = s;
        if (s > max) max = s;
      }
      let sum = 0;
      for (let k = 0; k < classes; k++) sum += p[k] = Math.exp(p[k] - max);
      for (let k = 0; k < classes; k++) {
        const e = p[k] / sum - (y[i] === k ? 1 : 0);
        grad[k][0] += e;
        for (let j = 0; j < d; j++) grad[k][j + 1] += e * z[i][j];
      }
    }
    for (let k = 0; k < classes; k++) {
      for (let j = 0; j <= d; j++) {
        w[k][j] -= RATE * (grad[k][j] / n + (j > 0 ? L2 * w[k][j] : 0));
      }
    }
  }
  return new Softmax({ mean, scale, weights: w });
}

function isNumbers(v: unknown, length: number): v is number[] {
  return Array.isArray(v) && v.length === length && v.every((n) => typeof n === "number");
}

/** Softmax regression as a {@link ClassifierKind} (`"softmax"`). */
export const softmaxKind: ClassifierKind = {
  kind: "softmax",
  train: (x, y, classes) => train(x, y, classes),
  load(params, features, classes) {
    const p = params as SoftmaxParams;
    if (
      !p || !isNumbers(p.mean, features) || !isNumbers(p.scale, features) ||
      !Array.isArray(p.weights) || p.weights.length !== classes ||
      !p.weights.every((w) => isNumbers(w, features + 1))
    ) {
      throw new Error(`softmax parameters do not fit ${features} features and ${classes} classes`);
    }
    return new Softmax(p);
  },
};
