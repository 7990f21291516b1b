/**
 * A throw-away PKI for TLS tests, made with Debian's `openssl` in a temp dir: a CA, a server
 * certificate for localhost/127.0.0.1 signed by it, a client certificate signed by it (mutual
 * TLS), and an unrelated CA (a "wrong CA" for negative tests). EC P-256 keys: fast to make.
 *
 * @module
 */
import { join } from "node:path";

/** File paths and PEM contents of the test PKI. */
export interface TestPki {
  readonly dir: string;
  /** Paths. */
  readonly files: {
    ca: string;
    serverCert: string;
    serverKey: string;
    clientCert: string;
    clientKey: string;
    otherCa: string;
  };
  /** PEM contents, by the same names. */
  readonly pem: Record<keyof TestPki["files"], string>;
  /** Removes the temp dir. */
  cleanup(): Promise<void>;
}

async function openssl(dir: string, args: string[]): Promise<void> {
  const out = await new Deno.Command("openssl", {
    args,
    cwd: dir,
    stdout: "piped",
    stderr: "piped",
  })
    .output();
  if (!out.success) {
    throw new Error(
      `openssl ${args.join(" ")} failed: ${new TextDecoder().decode(out.stderr).trim()}`,
    );
  }
}

const KEY = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];

async function selfSignedCa(dir: string, name: string): Promise<void> {
  await openssl(dir, [
    "req",
    "-x509",
    ...KEY,
    "-keyout",
    `${name}.key`,
    "-out",
    `${name}.crt`,
    "-days",
    "2",
    "-subj",
    `/CN=${name}`,
    "-addext",
    "basicConstraints=critical,CA:TRUE",
    "-addext",
    "keyUsage=critical,keyCertSign,cRLSign",
  ]);
}

async function signed(dir: string, name: string, ext: string): Promise<void> {
  await openssl(dir, [
    "req",
    ...KEY,
    "-keyout",
    `${name}.key`,
    "-out",
    `${name}.csr`,
    "-subj",
    `/CN=${name}`,
  ]);
  await Deno.writeTextFile(join(dir, `${name}.ext`), ext);
  await openssl(dir, [
    "x509",
    "-req",
    "-in",
    `${name}.csr`,
    "-CA",
    "ca.crt",
    "-CAkey",
    "ca.key",
    "-CAcreateserial",
    "-out",
    `${name}.crt`,
    "-days",
    "2",
    "-extfile",
    `${name}.ext`,
  ]);
}

/** Makes the PKI; call `cleanup()` when done. */
export async function makePki(): Promise<TestPki> {
  const dir = await Deno.makeTempDir({ prefix: "sa-pki-" });
  try {
    await selfSignedCa(dir, "ca");
    await selfSignedCa(dir, "other-ca");
    await signed(
      dir,
      "server",
      "basicConstraints=CA:FALSE\nsubjectAltName=DNS:localhost,IP:127.0.0.1\n" +
        "extendedKeyUsage=serverAuth\n",
    );
    await signed(dir, "client", "basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n");
  } catch (err) {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
    throw err;
  }
  const files = {
    ca: join(dir, "ca.crt"),
    serverCert: join(dir, "server.crt"),
    serverKey: join(dir, "server.key"),
    clientCert: join(dir, "client.crt"),
    clientKey: join(dir, "client.key"),
    otherCa: join(dir, "other-ca.crt"),
  };
  const pem = Object.fromEntries(
    await Promise.all(
      Object.entries(files).map(async ([k, p]) => [k, await Deno.readTextFile(p)] as const),
    ),
  ) as TestPki["pem"];
  return {
    dir,
    files,
    pem,
    cleanup: () => Deno.remove(dir, { recursive: true }).catch(() => {}),
  };
}
