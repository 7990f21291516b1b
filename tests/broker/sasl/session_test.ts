import assert from "node:assert/strict";
import { SaslSession } from "../../../lib/broker/sasl/session.ts";
import { UsersFileError, UserStore } from "../../../lib/broker/sasl/users.ts";
import { fromBase64, ScramClient, scramCredential } from "../../../lib/kafka/protocol/scram.ts";
import { Logger } from "../../../lib/util/log.ts";

// RFC 7677 section 3: SCRAM-SHA-256, user "user", password "pencil".
const RFC = {
  clientFirst: "n,,n=user,r=rOprNGfwEbeRWgbNEkqO",
  serverFirst:
    "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
  clientFinal: "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0," +
    "p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=",
  serverFinal: "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=",
};
const enc = new TextEncoder(), dec = new TextDecoder();

async function rfcStore(): Promise<UserStore> {
  const cred = await scramCredential(
    "SCRAM-SHA-256",
    "pencil",
    4096,
    fromBase64("W22ZaJ0SNY7soEsUEjb6gQ=="),
  );
  return new UserStore(new Map([["user", new Map([["SCRAM-SHA-256" as const, cred]])]]));
}

function session(store: UserStore, logs: string[]): SaslSession {
  const logger = new Logger("t", "DEBUG", (l) => void logs.push(l));
  return new SaslSession(store, "127.0.0.1:5555", logger, () => "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0");
}

Deno.test("SCRAM client: RFC 7677 example messages, byte for byte", async () => {
  const c = new ScramClient("SCRAM-SHA-256", "user", "pencil", "rOprNGfwEbeRWgbNEkqO");
  assert.equal(c.first(), RFC.clientFirst);
  assert.equal(await c.final(RFC.serverFirst), RFC.clientFinal);
  c.verify(RFC.serverFinal);
  assert.throws(() => c.verify("v=AAAA"), /server signature does not match/);
});

Deno.test("SCRAM server: RFC 7677 example messages, byte for byte, from a stored credential", async () => {
  const logs: string[] = [];
  const s = session(await rfcStore(), logs);
  assert.equal(s.handshake("SCRAM-SHA-256", 1), 0);
  const first = await s.step(enc.encode(RFC.clientFirst));
  assert.equal(first.error, undefined);
  assert.equal(dec.decode(first.token), RFC.serverFirst);
  assert.equal(s.authenticated, false);
  const final = await s.step(enc.encode(RFC.clientFinal));
  assert.equal(dec.decode(final.token), RFC.serverFinal);
  assert.equal(s.authenticated, true);
  assert.equal(s.principal, "user");
});

Deno.test("SCRAM server: a wrong proof fails, closes, and the log names address and mechanism only", async () => {
  const logs: string[] = [];
  const s = session(await rfcStore(), logs);
  s.handshake("SCRAM-SHA-256", 1);
  await s.step(enc.encode(RFC.clientFirst));
  const wrong = await new ScramClient("SCRAM-SHA-256", "user", "pencil2", "rOprNGfwEbeRWgbNEkqO")
    .final(RFC.serverFirst);
  const res = await s.step(enc.encode(wrong));
  assert.match(res.error!, /invalid credentials with SASL mechanism SCRAM-SHA-256/);
  assert.equal(s.authenticated, false);
  assert.equal(s.closeAfterWrite, true);
  assert.equal(logs.length, 1);
  assert.match(
    logs[0],
    /authentication failed for client 127\.0\.0\.1:5555 with SASL mechanism SCRAM-SHA-256/,
  );
  assert.doesNotMatch(logs[0], /pencil/);
});

Deno.test("PLAIN: checked against the salted credential; wrong password, unknown user and bad tokens fail", async () => {
  const store = new UserStore();
  await store.set("alice", "s3cret");
  for (
    const [token, ok] of [
      ["\0alice\0s3cret", true],
      ["alice\0alice\0s3cret", true],
      ["\0alice\0wrong", false],
      ["\0bob\0s3cret", false],
      ["bob\0alice\0s3cret", false],
      ["alice s3cret", false],
    ] as const
  ) {
    const logs: string[] = [];
    const s = session(store, logs);
    s.handshake("PLAIN", 1);
    const res = await s.step(enc.encode(token));
    assert.equal(s.authenticated, ok, JSON.stringify(token));
    assert.equal(res.error === undefined, ok);
    for (const l of logs) assert.doesNotMatch(l, /s3cret|wrong/);
  }
});

Deno.test("handshake: unknown mechanism and a second handshake are refused", () => {
  const s = session(new UserStore(), []);
  assert.equal(s.handshake("GSSAPI", 1), 33);
  assert.equal(s.closeAfterWrite, true);
  const t = session(new UserStore(), []);
  assert.equal(t.handshake("PLAIN", 1), 0);
  assert.equal(t.handshake("PLAIN", 1), 34);
});

Deno.test("users file: round trip keeps no password; bad files name the file and the entry", async () => {
  const store = new UserStore();
  await store.set("alice", "s3cret");
  const text = store.serialize();
  assert.doesNotMatch(text, /s3cret/);
  const back = UserStore.parse(text, "users.json");
  assert.deepEqual(back.names, ["alice"]);
  assert.equal(await back.verifyPassword("alice", "s3cret"), true);
  assert.equal(await back.verifyPassword("alice", "nope"), false);
  assert.throws(() => UserStore.parse("{", "u.json"), UsersFileError);
  assert.throws(
    () => UserStore.parse(`{"users":{"bob":{"password":"x"}}}`, "u.json"),
    /u\.json: user "bob": unknown mechanism "password".*sa broker users add/,
  );
  assert.throws(
    () =>
      UserStore.parse(
        `{"users":{"bob":{"SCRAM-SHA-256":{"salt":"AA==","iterations":10,"storedKey":"AA==","serverKey":"AA=="}}}}`,
        "u.json",
      ),
    /iterations must be an integer >= 4096/,
  );
});
