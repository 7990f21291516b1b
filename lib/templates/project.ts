/**
 * Files `sa init` writes into a new project, embedded as strings so `deno compile` carries
 * them.
 *
 * @module
 */

/** The default broker address for local development (the embedded broker / compose Redpanda). */
export const LOCAL_BROKER = "localhost:19092";

/** An empty pipeline file: `sa pipeline update` fills it in and keeps these comments. */
export const SA_YAML = `# sa pipeline file (same schema as Quix's quix.yaml v1).
# \`sa pipeline update\` adds your apps as deployments and their topics here;
# edit values freely: comments and formatting are kept.
metadata:
  version: 1.0
deployments: []
topics: []
`;

/** Ignore local secrets, runtime state and build output. */
export const GITIGNORE = `.env
.sa/
dist/
`;

/** A starting `.env`; `sa vars export` rewrites it keeping edited values. */
export const DOT_ENV = `### sa configuration ###
SA_BROKER=${LOCAL_BROKER}
Quix__Broker__Address=${LOCAL_BROKER}
`;

/** The project README stub. */
export function readme(name: string): string {
  return `# ${name}

A stream processing project built with \`sa\`, the Streaming Academy toolkit.

\`\`\`sh
sa apps create starter-transformation -p apps/transform.ts   # add an app from a template
sa vars export                                               # write its variables to .env
sa pipeline update                                           # register it in sa.yaml
sa up                                                        # local broker + every app
sa consume transformed-data --from-beginning                 # look at the output
\`\`\`

Apps live in \`apps/\`; \`sa.yaml\` lists what \`sa up\` runs; \`.env\` holds local values
(not committed).
`;
}

/** The toolkit's own test and bench imports: a student's project never resolves them. */
const TOOLKIT_DEV_IMPORTS = new Set(["playwright-core"]);

/**
 * The project's `deno.json`: maps `@sa/toolkit` (and the toolkit's own npm imports, which a
 * project-level import map must also resolve) so editors and `deno check` understand apps.
 */
export function denoJson(toolkitModule: string, toolkitImports: Record<string, string>): string {
  const imports: Record<string, string> = { "@sa/toolkit": toolkitModule };
  for (const [k, v] of Object.entries(toolkitImports)) {
    if (k !== "@sa/toolkit" && !TOOLKIT_DEV_IMPORTS.has(k) && v.startsWith("npm:")) imports[k] = v;
  }
  return JSON.stringify(
    {
      imports,
      tasks: { check: "deno check apps/" },
      exclude: [".sa/", "dist/"],
    },
    null,
    2,
  ) + "\n";
}
