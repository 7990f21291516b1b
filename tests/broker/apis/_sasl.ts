/**
 * A SASL-enabled test broker: one user, alice / s3cret (salted SCRAM credentials).
 *
 * @module
 */
import { UserStore } from "../../../lib/broker/sasl/users.ts";

/** alice / s3cret. */
export async function aliceStore(): Promise<UserStore> {
  const users = new UserStore();
  await users.set("alice", "s3cret");
  return users;
}
