/**
 * The services around a pipeline that `sa compose` adds next to the broker: an InfluxDB when
 * a deployment writes to one, a Mosquitto when one reads from an MQTT broker, and published
 * ports for deployments that listen (an `allowNet` entry on `0.0.0.0`, as the gateway's).
 *
 * A deployment variable holding a URL on this machine (`localhost` or `127.0.0.1`) with
 * InfluxDB's port 8086 (`http://`) or MQTT's 1883 (`mqtt://`) is what `sa up` uses locally; in
 * the containers it is rewritten to the service (`http://influxdb:8086`, `mqtt://mosquitto:1883`),
 * so the deployment's `allowNet` should list both forms. An `allowNet` entry naming the service
 * (`influxdb:8086`, `mosquitto:1883`) asks for it as well.
 *
 * @module
 */

/** InfluxDB 1.x image (the course's InfluxQL; Debian ships 1.6). */
export const INFLUXDB_IMAGE = "influxdb:1.8";
/** Mosquitto image. */
export const MOSQUITTO_IMAGE = "eclipse-mosquitto:2";

interface External {
  service: string;
  scheme: string;
  port: number;
  definition: Record<string, unknown>;
}

const EXTERNALS: External[] = [
  {
    service: "influxdb",
    scheme: "http:",
    port: 8086,
    definition: {
      image: INFLUXDB_IMAGE,
      environment: { INFLUXDB_REPORTING_DISABLED: "true", INFLUXDB_HTTP_LOG_ENABLED: "false" },
      ports: ["8086:8086"],
      volumes: ["influxdb-data:/var/lib/influxdb"],
      restart: "unless-stopped",
    },
  },
  {
    service: "mosquitto",
    scheme: "mqtt:",
    port: 1883,
    definition: {
      image: MOSQUITTO_IMAGE,
      // The image's own config that listens on 1883 for anonymous clients (a LAN demo broker).
      command: ["mosquitto", "-c", "/mosquitto-no-auth.conf"],
      ports: ["1883:1883"],
      restart: "unless-stopped",
    },
  },
];

const LOCAL = new Set(["localhost", "127.0.0.1", "[::1]"]);

/**
 * Rewrites the variable values that point to a local InfluxDB or MQTT broker to the compose
 * service; returns the new values and the services they need.
 */
export function externalServices(
  values: Record<string, string>,
): { values: Record<string, string>; services: Record<string, Record<string, unknown>> } {
  const out: Record<string, string> = {};
  const services: Record<string, Record<string, unknown>> = {};
  for (const [name, value] of Object.entries(values)) {
    out[name] = value;
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      continue;
    }
    const ext = EXTERNALS.find((e) =>
      e.scheme === url.protocol && LOCAL.has(url.hostname) &&
      Number(url.port || (url.protocol === "http:" ? 80 : 0)) === e.port
    );
    if (!ext) continue;
    url.hostname = ext.service;
    out[name] = value.endsWith("/") || !url.href.endsWith("/") ? url.href : url.href.slice(0, -1);
    services[ext.service] = ext.definition;
  }
  return { values: out, services };
}

/** Services a deployment's `allowNet` names (`influxdb:8086`, `mosquitto:1883`). */
export function allowedServices(
  allowNet: readonly string[],
): Record<string, Record<string, unknown>> {
  const services: Record<string, Record<string, unknown>> = {};
  for (const e of EXTERNALS) {
    if (allowNet.some((h) => h.trim() === `${e.service}:${e.port}`)) {
      services[e.service] = e.definition;
    }
  }
  return services;
}

/** Ports to publish for a deployment: the ports of its `allowNet` entries on `0.0.0.0`. */
export function listenPorts(allowNet: readonly string[]): string[] {
  const ports: string[] = [];
  for (const h of allowNet) {
    const m = /^0\.0\.0\.0:(\d+)$/.exec(h.trim());
    if (m) ports.push(`${m[1]}:${m[1]}`);
  }
  return ports;
}

/** Named volumes the services use. */
export function serviceVolumes(
  services: Record<string, Record<string, unknown>>,
): Record<string, Record<string, never>> {
  const volumes: Record<string, Record<string, never>> = {};
  for (const s of Object.values(services)) {
    for (const v of (s.volumes as string[] | undefined) ?? []) {
      const name = v.split(":")[0];
      if (!name.startsWith("/") && !name.startsWith(".")) volumes[name] = {};
    }
  }
  return volumes;
}
