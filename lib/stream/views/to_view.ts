// `sdf.toView(name)`: a pass-through step that applies every row to a View registered with
// the application (found by the dataframe's registry).

import type { StreamingDataFrame } from "../dataframe/dataframe.ts";
import { View, type ViewOptions, viewsOf } from "./view.ts";

/** Adds the view step to `sdf`; throws when `name` is taken or not URL-safe. */
export function toView<T>(
  sdf: StreamingDataFrame<T>,
  name: string,
  options: ViewOptions = {},
): StreamingDataFrame<T> {
  if (!/^[A-Za-z0-9._-]+$/.test(name)) {
    throw new TypeError(`view name "${name}" must use only letters, digits, ".", "_" and "-"`);
  }
  const views = viewsOf(sdf.registry);
  if (views.has(name)) throw new TypeError(`view "${name}" is already defined`);
  const w = options.windows;
  if (w !== undefined && !(Number.isInteger(w) && w > 0)) {
    throw new TypeError(`view "${name}": windows must be a positive integer, got ${w}`);
  }
  const view = new View(name, sdf.streamId, options);
  views.set(name, view);
  return sdf.transform<T>({
    process(value, key, timestamp, headers, ctx) {
      view.apply(key, value, ctx);
      return [{ value, key, timestamp, headers }];
    },
  });
}
