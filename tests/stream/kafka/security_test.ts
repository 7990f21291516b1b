import assert from "node:assert/strict";
import {
  describeSecurity,
  kafkajsSecurity,
  resolveSecurity,
  SECURITY_ENV,
} from "../../../lib/stream/kafka/security.ts";

const files: Record<string, string> = { "/ca.pem": "CA", "/c.pem": "CERT", "/k.pem": "KEY" };
const read = (p: string) => {
  if (!(p in files)) throw new Error(`no such file ${p}`);
  return files[p];
};
const env = (vars: Record<string, string>) => (name: string) => vars[name];

Deno.test("resolveSecurity: environment names, inference and option precedence", () => {
  assert.deepEqual(resolveSecurity({}, env({}), read), { protocol: "PLAINTEXT" });
  const sasl = resolveSecurity(
    {},
    env({
      SA_SASL_MECHANISM: "scram-sha-256",
      SA_SASL_USERNAME: "alice",
      SA_SASL_PASSWORD: "pw",
      SA_SSL_CA_LOCATION: "/ca.pem",
    }),
    read,
  );
  assert.deepEqual(sasl, {
    protocol: "SASL_SSL",
    sasl: { mechanism: "SCRAM-SHA-256", username: "alice", password: "pw" },
    tls: { ca: "CA", cert: undefined, key: undefined },
  });
  // Options win over the environment.
  const opt = resolveSecurity(
    {
      sasl: { mechanism: "PLAIN", username: "bob", password: "x" },
      securityProtocol: "SASL_PLAINTEXT",
    },
    env({ SA_SASL_USERNAME: "alice", SA_SECURITY_PROTOCOL: "SASL_SSL" }),
    read,
  );
  assert.deepEqual(opt, {
    protocol: "SASL_PLAINTEXT",
    sasl: { mechanism: "PLAIN", username: "bob", password: "x" },
  });
  const mtls = resolveSecurity(
    {},
    env({ SA_SSL_CERT_LOCATION: "/c.pem", SA_SSL_KEY_LOCATION: "/k.pem" }),
    read,
  );
  assert.deepEqual(mtls, { protocol: "SSL", tls: { ca: undefined, cert: "CERT", key: "KEY" } });
  assert.deepEqual(kafkajsSecurity(mtls), { ssl: { cert: "CERT", key: "KEY" } });
  assert.deepEqual(kafkajsSecurity({ protocol: "SSL", tls: {} }), { ssl: true });
  assert.deepEqual(kafkajsSecurity(sasl), {
    ssl: { ca: ["CA"] },
    sasl: { mechanism: "scram-sha-256", username: "alice", password: "pw" },
  });
});

Deno.test("resolveSecurity: each bad setting is one message naming it", () => {
  const bad: [Record<string, string>, RegExp][] = [
    [
      { SA_SECURITY_PROTOCOL: "TLS" },
      /securityProtocol \(or SA_SECURITY_PROTOCOL\) must be one of/,
    ],
    [
      { SA_SECURITY_PROTOCOL: "SASL_SSL" },
      /SASL_SSL needs sasl\.mechanism \(or SA_SASL_MECHANISM\)/,
    ],
    [{ SA_SASL_MECHANISM: "GSSAPI", SA_SASL_USERNAME: "a", SA_SASL_PASSWORD: "b" }, /not "GSSAPI"/],
    [
      { SA_SASL_MECHANISM: "PLAIN", SA_SASL_PASSWORD: "b" },
      /needs sasl\.username \(or SA_SASL_USERNAME\)/,
    ],
    [
      { SA_SASL_MECHANISM: "PLAIN", SA_SASL_USERNAME: "a" },
      /needs sasl\.password \(or SA_SASL_PASSWORD\)/,
    ],
    [{ SA_SECURITY_PROTOCOL: "PLAINTEXT", SA_SASL_USERNAME: "a" }, /SASL credentials are set but/],
    [{
      SA_SECURITY_PROTOCOL: "SASL_PLAINTEXT",
      SA_SASL_MECHANISM: "PLAIN",
      SA_SASL_USERNAME: "a",
      SA_SASL_PASSWORD: "b",
      SA_SSL_CA_LOCATION: "/ca.pem",
    }, /TLS files are set but the security protocol is SASL_PLAINTEXT/],
    [
      { SA_SSL_CERT_LOCATION: "/c.pem" },
      /mutual TLS needs both SA_SSL_CERT_LOCATION and SA_SSL_KEY_LOCATION/,
    ],
    [{ SA_SSL_CA_LOCATION: "/missing.pem" }, /cannot read SA_SSL_CA_LOCATION \/missing\.pem/],
  ];
  for (const [vars, want] of bad) {
    assert.throws(() => resolveSecurity({}, env(vars), read), want, JSON.stringify(vars));
  }
});

Deno.test("describeSecurity never shows the password", () => {
  const s = resolveSecurity(
    {},
    env({ SA_SASL_MECHANISM: "PLAIN", SA_SASL_USERNAME: "key", SA_SASL_PASSWORD: "SECRET" }),
    read,
  );
  assert.equal(describeSecurity(s), "SASL_SSL, PLAIN as key (password ***), system CAs");
  assert.deepEqual(Object.values(SECURITY_ENV).length, 7);
});
