/**
 * App templates for `sa apps create`, embedded as strings (no file reads at run time, so
 * `deno compile` carries them).
 *
 * @module
 */
import { STARTER_SOURCE } from "./apps/starter_source.ts";
import { STARTER_TRANSFORMATION } from "./apps/starter_transformation.ts";
import { STARTER_DESTINATION } from "./apps/starter_destination.ts";
import { FILE_SINK } from "./apps/file_sink.ts";
import { REPLAY } from "./apps/replay.ts";
import { PHONE_GATEWAY } from "./apps/phone_gateway.ts";
import { demoRecording } from "./demo_recording.ts";
import { GROUP_BY, NORMALIZE_WINDOWED, ODOMETER, WINDOWS } from "./apps/episode2.ts";

/** One template: an app module plus any files it needs next to it. */
export interface AppTemplate {
  readonly id: string;
  readonly summary: string;
  /**
   * The files to write: `main` is the app module's text; `extra` are siblings by file name;
   * `project` are files at the project's top level (the replay's sample recording, where the
   * app reads it by default). `name` is the app name, `path` the module path relative to the
   * project.
   */
  render(
    name: string,
    path: string,
  ): { main: string; extra: Record<string, string>; project?: Record<string, string> };
}

function simple(id: string, summary: string, text: string): AppTemplate {
  return {
    id,
    summary,
    render: (name, path) => ({ main: fill(text, name, path), extra: {} }),
  };
}

function fill(text: string, name: string, path: string): string {
  return text.replaceAll("__APP_NAME__", name).replaceAll("__APP_PATH__", path);
}

/** Every template, in the order `sa apps templates` lists them. */
export const TEMPLATES: readonly AppTemplate[] = [
  {
    id: "replay",
    summary: "Demo data source: replays a JSON-lines recording into a topic (ships a sample)",
    render: (name, path) => ({
      main: fill(REPLAY, name, path),
      extra: {},
      project: { "demo_stream.json": demoRecording() },
    }),
  },
  simple("starter-source", "Produces sample sensor readings to a topic", STARTER_SOURCE),
  simple(
    "starter-transformation",
    "Reads a topic, filters and transforms messages, writes another topic",
    STARTER_TRANSFORMATION,
  ),
  simple(
    "starter-destination",
    "Reads a topic and writes batches to a destination (a sink you fill in)",
    STARTER_DESTINATION,
  ),
  simple("file-sink", "Writes a topic to JSON-lines files, one per checkpoint batch", FILE_SINK),
  simple(
    "phone-gateway",
    "Receives the Sensor Logger phone app's HTTP push and WebSocket frames into a topic",
    PHONE_GATEWAY,
  ),
  // Episode 2, generated from the course apps (scripts/gen_templates.ts).
  simple("odometer", "Episode 2, state: distance per device, a running sum in state", ODOMETER),
  simple(
    "windows",
    "Episode 2, windows: tumbling mean, custom reduce, hopping mean of the shake totals",
    WINDOWS,
  ),
  simple(
    "normalize-windowed",
    "Episode 2, windows: the sensors merged into an even table, one row per second",
    NORMALIZE_WINDOWED,
  ),
  simple(
    "group-by",
    "Episode 2, group by: readings per sensor per 10 s, re-keyed by sensor",
    GROUP_BY,
  ),
];

/** The template with this id, or undefined. */
export function findTemplate(id: string): AppTemplate | undefined {
  return TEMPLATES.find((t) => t.id === id);
}
