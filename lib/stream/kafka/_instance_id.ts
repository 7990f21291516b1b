/**
 * The identity of an app instance, for exactly-once: its transactional id must be the same
 * across restarts (so `InitProducerId` fences the killed predecessor and aborts its open
 * transaction at once, instead of read_committed readers waiting for the transaction timeout)
 * and different between replicas running at the same time (or they would fence each other).
 *
 * Kafka Streams keeps a random process id in its state dir; so does this, with one twist:
 * replicas of one deployment may share a state dir (`sa up` gives `.sa/state/<name>` to each
 * replica), so the dir holds numbered slots (`instance-id`, `instance-id.1`, ...), each a file
 * with a random id created once. A running instance holds an exclusive advisory lock on its
 * slot, and a starting one takes the first slot nobody holds. The OS drops the lock of a killed
 * process at once, so a restart reclaims the dead instance's slot, and with it its id.
 *
 * @module
 */

/** Name of slot 0 in the group's state dir; slot n > 0 is `instance-id.<n>`. */
export const INSTANCE_ID_FILE = "instance-id";

/** True for the name of a slot file (`instance-id`, `instance-id.<n>`). */
export function isInstanceIdFile(name: string): boolean {
  return name === INSTANCE_ID_FILE || /^instance-id\.[1-9][0-9]*$/.test(name);
}

/** Slots tried before giving up (one per replica sharing a state dir). */
const MAX_SLOTS = 256;

const VALID_ID = /^[A-Za-z0-9-]{8,64}$/;

/** A claimed instance identity; {@link InstanceLease.release} when the run ends. */
export interface InstanceLease {
  /** The persistent random id of this slot. */
  readonly id: string;
  /** The slot number (0 for the first instance on this state dir). */
  readonly slot: number;
  /** The slot file. */
  readonly path: string;
  /** Drops the lock, so another run can take the slot. */
  release(): void;
}

/**
 * Claims the first free instance slot under `dir` (created when missing), creating its id on
 * first use. Throws when the dir is not writable or every slot is held.
 */
export function claimInstanceId(dir: string): InstanceLease {
  Deno.mkdirSync(dir, { recursive: true });
  for (let slot = 0; slot < MAX_SLOTS; slot++) {
    const path = `${dir}/${slot === 0 ? INSTANCE_ID_FILE : `${INSTANCE_ID_FILE}.${slot}`}`;
    const file = Deno.openSync(path, { read: true, write: true, create: true });
    let id: string;
    try {
      if (!file.tryLockSync(true)) {
        file.close();
        continue; // a running instance holds it
      }
      id = Deno.readTextFileSync(path).trim();
      if (!VALID_ID.test(id)) {
        // New slot (or a file torn by a crash while it was first written): a fresh id.
        id = crypto.randomUUID();
        Deno.writeTextFileSync(path, `${id}\n`);
      }
    } catch (e) {
      file.close();
      throw e;
    }
    return {
      id,
      slot,
      path,
      release() {
        try {
          file.close(); // closing drops the lock
        } catch { /* already closed */ }
      },
    };
  }
  throw new Error(`all ${MAX_SLOTS} instance slots in ${dir} are held by running instances`);
}
