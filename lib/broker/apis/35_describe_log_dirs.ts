/**
 * DescribeLogDirs (key 35), v1–4 (v2+ flexible): the bytes on disk of each partition, in the
 * broker's one log directory (its data dir). A null topic list means every topic. Partitions
 * this broker does not have are left out of the answer, as Kafka does.
 *
 * PartitionSize is the sum of the partition's segment files (what Kafka counts: the log, not
 * its indexes). OffsetLag is Kafka's max(high watermark − log end, 0) for a current log, which
 * is 0 on a leader, and this broker leads every partition. IsFutureKey is always false (no
 * AlterReplicaLogDirs). v3 adds a top-level error code; v4 adds the volume's total and usable
 * bytes (-1, Kafka's "unknown", when the file system cannot be asked).
 *
 * @module
 */
import { statfsSync } from "node:fs";
import { resolve } from "node:path";
import { Writer } from "../../kafka/protocol/codec.ts";
import type { ApiHandler } from "./_types.ts";

/** Total and usable bytes of the volume holding `dir`, or -1/-1 when unknown. */
function volumeBytes(dir: string): { total: number; usable: number } {
  try {
    const s = statfsSync(dir);
    return { total: s.blocks * s.bsize, usable: s.bavail * s.bsize };
  } catch {
    return { total: -1, usable: -1 };
  }
}

/** The DescribeLogDirs handler. */
export const handler: ApiHandler = {
  key: 35,
  name: "DescribeLogDirs",
  minVersion: 1,
  maxVersion: 4,
  flexibleFrom: 2,
  handle(body, ctx) {
    const v = ctx.header.apiVersion;
    body.flexible = v >= 2;
    const wanted = body.fNullableArray((r) => {
      const name = r.fString();
      const partitions = r.fArray((r) => r.int32());
      r.fTags();
      return { name, partitions };
    });
    body.fTags();

    const logs = ctx.broker.logs;
    const asked = wanted ??
      logs.listTopics().map((t) => ({
        name: t.name,
        partitions: Array.from({ length: t.partitions }, (_, i) => i),
      }));
    // Same topic named twice: its partitions once each, in the order first asked.
    const byTopic = new Map<string, { partition: number; size: number }[]>();
    for (const t of asked) {
      const seen = byTopic.get(t.name) ?? [];
      for (const p of t.partitions) {
        const log = logs.partition(t.name, p);
        if (!log || seen.some((s) => s.partition === p)) continue;
        seen.push({ partition: p, size: log.sizeBytes });
      }
      if (seen.length) byTopic.set(t.name, seen);
    }

    const dir = resolve(logs.dataDir);
    const w = new Writer(64 + byTopic.size * 48, v >= 2);
    w.int32(0); // throttle_time_ms
    if (v >= 3) w.int16(0);
    w.fArray([dir], (w, d) => {
      w.int16(0).fString(d);
      w.fArray([...byTopic], (w, [name, parts]) => {
        w.fString(name);
        w.fArray(parts, (w, p) => {
          w.int32(p.partition).int64(p.size).int64(0).bool(false).fTags();
        });
        w.fTags();
      });
      if (v >= 4) {
        const { total, usable } = volumeBytes(d);
        w.int64(total).int64(usable);
      }
      w.fTags();
    });
    w.fTags();
    return w.finish();
  },
};
