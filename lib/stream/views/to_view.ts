// `sdf.toView(name)`: a pass-through step that applies every row to a View registered with
// the application (found by the dataframe's registry) and, for a durable view, writes it to
// the state store `view--<name>` (checkpointed and changelogged like any store).

import type { StreamingDataFrame } from "../dataframe/dataframe.ts";
import { View, type ViewOptions, viewsOf } from "./view.ts";

const enc = new TextEncoder();

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
  const store = view.storeName;
  return sdf.transform<T>({
    process(value, key, timestamp, headers, ctx) {
      const [k, stored] = view.apply(key, value, ctx);
      if (store) ctx.store(store).set(enc.encode(k), enc.encode(JSON.stringify(stored)));
      return [{ value, key, timestamp, headers }];
    },
  }, { stores: store ? [store] : [] });
}
