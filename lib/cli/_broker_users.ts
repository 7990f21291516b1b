/**
 * `sa broker users add|remove|list`: edits the users file `sa broker --users FILE` reads.
 * Stores salted SCRAM-SHA-256 and SCRAM-SHA-512 credentials, never the password, and never
 * prints a password.
 *
 * @module
 */
import { isAbsolute, join } from "node:path";
import { type CliEnv, CliError } from "./_command.ts";
import { int, parseCommandArgs, str } from "./_args.ts";
import { UsersFileError, UserStore } from "../broker/mod.ts";

/** Help text of the users sub-command. */
export const USERS_HELP =
  `Usage: sa broker users add NAME --users FILE [--password P] [--iterations N]
       sa broker users remove NAME --users FILE
       sa broker users list --users FILE

Edits the users file of \`sa broker --users FILE\` (created if missing). It stores salted
SCRAM-SHA-256 and SCRAM-SHA-512 credentials (4096 PBKDF2 iterations by default), never the
password; the same credentials serve PLAIN logins. Without --password, the password is the
first line of standard input, so it stays out of the shell history:

  echo "s3cret" | sa broker users add alice --users .sa/users.json
`;

async function readPassword(): Promise<string> {
  const reader = Deno.stdin.readable.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  try {
    while (!text.includes("\n")) {
      const { value, done } = await reader.read();
      if (done) break;
      text += value;
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
  return text.split(/\r?\n/)[0];
}

/** Runs `sa broker users ...` (argv after "users"). */
export async function runUsers(argv: string[], env: CliEnv): Promise<number> {
  const args = parseCommandArgs("broker", argv, {
    users: { type: "string" },
    password: { type: "string" },
    iterations: { type: "string" },
  });
  const [action, name, ...rest] = args.positionals;
  if (rest.length) throw new CliError(`unexpected arguments: ${rest.join(" ")}`, 2);
  const file = str(args, "users");
  if (!file) throw new CliError("--users FILE is required (see sa broker --help)", 2);
  const path = isAbsolute(file) ? file : join(env.cwd, file);
  let store: UserStore;
  try {
    store = await UserStore.load(path);
  } catch (err) {
    if (!(err instanceof UsersFileError) || !/not found/.test(err.message) || action !== "add") {
      throw new CliError(err instanceof Error ? err.message : String(err));
    }
    store = new UserStore();
  }
  if (action === "list") {
    if (name) throw new CliError(`unexpected argument: ${name}`, 2);
    for (const n of store.names) env.stdout(n + "\n");
    return 0;
  }
  if (action !== "add" && action !== "remove") {
    throw new CliError(
      `expected add, remove or list after "users", not ${JSON.stringify(action ?? "")}`,
      2,
    );
  }
  if (!name) throw new CliError(`expected a user name: sa broker users ${action} NAME`, 2);
  if (action === "remove") {
    if (!store.delete(name)) throw new CliError(`no user "${name}" in ${path}`);
  } else {
    const password = str(args, "password") ?? await readPassword();
    if (password === "") throw new CliError("empty password (give it on stdin or --password)", 2);
    try {
      await store.set(name, password, int(args, "iterations", 4096));
    } catch (err) {
      throw new CliError((err as Error).message, 2);
    }
  }
  // Written whole then renamed, readable by the owner only: it lets anyone who has it try
  // passwords offline.
  const tmp = `${path}.tmp`;
  await Deno.writeTextFile(tmp, store.serialize(), { mode: 0o600 });
  await Deno.rename(tmp, path);
  env.stderr(`${action === "add" ? "saved" : "removed"} user ${name} in ${path}\n`);
  return 0;
}
