/**
 * A real InfluxDB 1.x (Debian's `influxd`) for tests: temp config and data dir, 127.0.0.1 on
 * free ports, stopped by its pid.
 */

import { exists, freePort, requireService, startService } from "../../_services.ts";

/** A running influxd. */
export interface Influxd {
  url: string;
  /** Runs an InfluxQL query against `db`; returns the first statement's first series. */
  query(db: string, q: string): Promise<{ columns: string[]; values: unknown[][] } | undefined>;
  close(): Promise<void>;
}

/** True when `influxd` is installed (bench use: never throws). */
export function hasInfluxd(): boolean {
  return exists("/usr/bin/influxd");
}

/** True when `influxd` is installed; else skips the test, or fails it in CI. */
export function requireInfluxd(): boolean {
  return requireService("influxdb", "/usr/bin/influxd");
}

/** Starts influxd and waits for /ping. */
export async function startInfluxd(): Promise<Influxd> {
  const dir = await Deno.makeTempDir({ prefix: "sa-influxd-" });
  const http = freePort();
  const rpc = freePort();
  await Deno.writeTextFile(
    `${dir}/influxdb.conf`,
    `reporting-disabled = true
bind-address = "127.0.0.1:${rpc}"
[meta]
  dir = "${dir}/meta"
[data]
  dir = "${dir}/data"
  wal-dir = "${dir}/wal"
  query-log-enabled = false
[retention]
  enabled = false
[monitor]
  store-enabled = false
[http]
  enabled = true
  bind-address = "127.0.0.1:${http}"
  log-enabled = false
[logging]
  level = "error"
[continuous_queries]
  enabled = false
`,
  );
  const url = `http://127.0.0.1:${http}`;
  const service = await startService(
    "influxd",
    ["-config", `${dir}/influxdb.conf`],
    dir,
    async () => {
      const res = await fetch(`${url}/ping`);
      await res.body?.cancel();
      return res.status === 204;
    },
  );
  return {
    url,
    async query(db, q) {
      const res = await fetch(
        `${url}/query?db=${encodeURIComponent(db)}&epoch=ms&q=${encodeURIComponent(q)}`,
      );
      const body = await res.json();
      if (!res.ok || body.results?.[0]?.error) {
        throw new Error(`InfluxQL ${q}: ${JSON.stringify(body)}`);
      }
      return body.results[0].series?.[0];
    },
    close: service.close,
  };
}
