/**
 * The MQTT 3.1.1 packets a subscriber needs (OASIS standard, sections 2-3): CONNECT, CONNACK,
 * SUBSCRIBE, SUBACK, PUBLISH, PUBACK, PINGREQ, PINGRESP, DISCONNECT. Encoders return whole
 * packets; {@link PacketReader} splits a byte stream into packets.
 *
 * @module
 */

/** Packet types (high nibble of the first byte). */
export const Type = {
  CONNECT: 1,
  CONNACK: 2,
  PUBLISH: 3,
  PUBACK: 4,
  SUBSCRIBE: 8,
  SUBACK: 9,
  PINGREQ: 12,
  PINGRESP: 13,
  DISCONNECT: 14,
} as const;

const enc = new TextEncoder();

function str(s: string): Uint8Array {
  const b = enc.encode(s);
  if (b.length > 0xffff) throw new RangeError(`MQTT string over 65535 bytes`);
  const out = new Uint8Array(2 + b.length);
  out[0] = b.length >> 8;
  out[1] = b.length & 0xff;
  out.set(b, 2);
  return out;
}

function u16(n: number): Uint8Array {
  return new Uint8Array([n >> 8, n & 0xff]);
}

/** A packet: first byte, remaining length (variable-length int), body. */
export function packet(first: number, ...parts: Uint8Array[]): Uint8Array {
  let len = 0;
  for (const p of parts) len += p.length;
  if (len > 268_435_455) throw new RangeError("MQTT packet over 256 MB");
  const head = [first];
  let n = len;
  do {
    let byte = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) byte |= 0x80;
    head.push(byte);
  } while (n > 0);
  const out = new Uint8Array(head.length + len);
  out.set(head, 0);
  let at = head.length;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Options of {@link connect}. */
export interface ConnectOptions {
  clientId: string;
  cleanSession: boolean;
  keepAliveSeconds: number;
  username?: string;
  password?: string;
}

/** CONNECT, protocol level 4 (3.1.1). */
export function connect(o: ConnectOptions): Uint8Array {
  let flags = o.cleanSession ? 0x02 : 0;
  const payload = [str(o.clientId)];
  if (o.username !== undefined) {
    flags |= 0x80;
    payload.push(str(o.username));
    if (o.password !== undefined) {
      flags |= 0x40;
      payload.push(str(o.password));
    }
  }
  return packet(
    Type.CONNECT << 4,
    str("MQTT"),
    new Uint8Array([4, flags]),
    u16(o.keepAliveSeconds),
    ...payload,
  );
}

/** SUBSCRIBE to one filter. */
export function subscribe(packetId: number, filter: string, qos: 0 | 1): Uint8Array {
  return packet((Type.SUBSCRIBE << 4) | 0x02, u16(packetId), str(filter), new Uint8Array([qos]));
}

/** PUBLISH (used by tests and benches to play a phone). */
export function publish(topic: string, payload: Uint8Array, qos: 0 | 1, packetId = 0): Uint8Array {
  return qos === 0
    ? packet(Type.PUBLISH << 4, str(topic), payload)
    : packet((Type.PUBLISH << 4) | 0x02, str(topic), u16(packetId), payload);
}

/** PUBACK. */
export function puback(packetId: number): Uint8Array {
  return packet(Type.PUBACK << 4, u16(packetId));
}

/** PINGREQ. */
export const PINGREQ: Uint8Array = packet(Type.PINGREQ << 4);
/** DISCONNECT. */
export const DISCONNECT: Uint8Array = packet(Type.DISCONNECT << 4);

/** A received packet. */
export interface Packet {
  type: number;
  flags: number;
  body: Uint8Array;
}

/** A decoded PUBLISH. */
export interface Publish {
  topic: string;
  qos: number;
  packetId: number;
  payload: Uint8Array;
}

const dec = new TextDecoder();

/** Decodes a PUBLISH body. */
export function parsePublish(p: Packet): Publish {
  const qos = (p.flags >> 1) & 0x03;
  const tlen = (p.body[0] << 8) | p.body[1];
  const topic = dec.decode(p.body.subarray(2, 2 + tlen));
  let at = 2 + tlen;
  let packetId = 0;
  if (qos > 0) {
    packetId = (p.body[at] << 8) | p.body[at + 1];
    at += 2;
  }
  return { topic, qos, packetId, payload: p.body.subarray(at) };
}

/** Splits a byte stream into packets. */
export class PacketReader {
  #buf: Uint8Array = new Uint8Array(0);

  constructor(readonly maxPacketBytes: number) {}

  /** Adds bytes; returns the packets completed by them. */
  push(chunk: Uint8Array): Packet[] {
    if (this.#buf.length === 0) this.#buf = chunk;
    else {
      const b = new Uint8Array(this.#buf.length + chunk.length);
      b.set(this.#buf);
      b.set(chunk, this.#buf.length);
      this.#buf = b;
    }
    const out: Packet[] = [];
    for (;;) {
      const b = this.#buf;
      if (b.length < 2) break;
      let len = 0;
      let mult = 1;
      let i = 1;
      for (;; i++) {
        if (i >= b.length) return out;
        if (i > 4) throw new Error("malformed MQTT remaining length");
        len += (b[i] & 0x7f) * mult;
        mult *= 128;
        if ((b[i] & 0x80) === 0) break;
      }
      if (len > this.maxPacketBytes) throw new Error(`MQTT packet of ${len} bytes over the limit`);
      const start = i + 1;
      if (b.length < start + len) break;
      out.push({ type: b[0] >> 4, flags: b[0] & 0x0f, body: b.slice(start, start + len) });
      this.#buf = b.subarray(start + len);
    }
    return out;
  }
}
