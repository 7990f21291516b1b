/**
 * `sa broker` security flags: `--tls-cert`, `--tls-key`, `--client-ca` (TLS, mutual TLS) and
 * `--users` (SASL PLAIN and SCRAM), read into {@link BrokerOptions}.
 *
 * @module
 */
import { isAbsolute, join } from "node:path";
import { CliError } from "./_command.ts";
import { type Parsed, str } from "./_args.ts";
import { type BrokerOptions, checkTlsMaterial, UserStore } from "../broker/mod.ts";

/** The flags' declarations. */
export const SECURITY_FLAGS = {
  "tls-cert": { type: "string" as const },
  "tls-key": { type: "string" as const },
  "client-ca": { type: "string" as const },
  users: { type: "string" as const },
};

/** The flags' help lines. */
export const SECURITY_HELP =
  `  --tls-cert FILE      serve TLS with this certificate chain (PEM); needs --tls-key
  --tls-key FILE       the certificate's private key (PEM)
  --client-ca FILE     require client certificates signed by this CA (mutual TLS)
  --users FILE         require SASL (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512) from every client,
                       checked against this file (create it with \`sa broker users add\`)
`;

async function readPem(cwd: string, flag: string, file: string): Promise<string> {
  const path = isAbsolute(file) ? file : join(cwd, file);
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (err) {
    throw new CliError(`--${flag}: cannot read ${path}: ${(err as Error).message}`, 2);
  }
  if (!text.includes("-----BEGIN ")) throw new CliError(`--${flag}: ${path} is not PEM`, 2);
  return text;
}

/** `tls` and `users` options from the parsed flags; a bad file is a one-line CliError. */
export async function brokerSecurityOptions(
  args: Parsed,
  cwd: string,
): Promise<Pick<BrokerOptions, "tls" | "users">> {
  const out: Pick<BrokerOptions, "tls" | "users"> = {};
  const cert = str(args, "tls-cert"), key = str(args, "tls-key"), ca = str(args, "client-ca");
  if ((cert === undefined) !== (key === undefined)) {
    throw new CliError("--tls-cert and --tls-key go together", 2);
  }
  if (ca !== undefined && cert === undefined) {
    throw new CliError("--client-ca needs --tls-cert and --tls-key (mutual TLS is TLS)", 2);
  }
  if (cert !== undefined && key !== undefined) {
    out.tls = {
      cert: await readPem(cwd, "tls-cert", cert),
      key: await readPem(cwd, "tls-key", key),
      ...(ca !== undefined ? { clientCa: await readPem(cwd, "client-ca", ca) } : {}),
    };
    try {
      checkTlsMaterial(out.tls);
    } catch (err) {
      throw new CliError(`--tls-cert/--tls-key: ${(err as Error).message}`, 2);
    }
  }
  const users = str(args, "users");
  if (users !== undefined) {
    try {
      out.users = await UserStore.load(isAbsolute(users) ? users : join(cwd, users));
    } catch (err) {
      throw new CliError(`--users: ${(err as Error).message}`, 2);
    }
    if (out.users.names.length === 0) {
      throw new CliError(`--users: ${users} has no users; add one with \`sa broker users add\``, 2);
    }
  }
  return out;
}
