/**
 * DeleteGroups (key 42), v0–1: deletes empty groups and their committed offsets.
 * Unknown groups get GROUP_ID_NOT_FOUND, groups with members NON_EMPTY_GROUP.
 *
 * @module
 */
import { Writer } from "../../kafka/protocol/codec.ts";
import type { ApiHandler } from "./_types.ts";

/** The DeleteGroups handler. */
export const handler: ApiHandler = {
  key: 42,
  name: "DeleteGroups",
  minVersion: 0,
  maxVersion: 1,
  async handle(body, ctx) {
    const ids = body.array((r) => r.string());
    const results: { id: string; error: number }[] = [];
    for (const id of ids) {
      const error = await ctx.broker.groups.deleteGroup(id);
      if (error === 0) ctx.broker.logger.info(`deleted group ${id} for ${ctx.clientAddress}`);
      results.push({ id, error });
    }
    const w = new Writer(32 + ids.length * 32);
    w.int32(0); // throttle_time_ms
    w.array(results, (w, r) => void w.string(r.id).int16(r.error));
    return w.finish();
  },
};
