/**
 * Checks one pushed message in Sensor Logger's format (`{messageId, sessionId, deviceId,
 * payload: [...]}`) just enough to key and deduplicate it. The bytes are produced unchanged:
 * payload times are nanoseconds above 2^53, which a JSON round trip would round.
 *
 * @module
 */

/** What a source needs from a pushed message. */
export interface PhoneMessage {
  sessionId: string | null;
  messageId: string | null;
}

/** Thrown for a body that is not a usable message; `message` is short, for the phone. */
export class MalformedMessage extends Error {}

const decoder = new TextDecoder("utf-8", { fatal: true });

/** Parses `bytes`; throws {@link MalformedMessage} with a one-line reason. */
export function parsePhoneMessage(bytes: Uint8Array): PhoneMessage {
  let text: string;
  try {
    text = decoder.decode(bytes);
  } catch {
    throw new MalformedMessage("body is not UTF-8 text");
  }
  if (text.trim() === "") throw new MalformedMessage("body is empty");
  let msg: unknown;
  try {
    msg = JSON.parse(text);
  } catch (e) {
    throw new MalformedMessage(`body is not JSON (${(e as Error).message})`);
  }
  if (typeof msg !== "object" || msg === null || Array.isArray(msg)) {
    throw new MalformedMessage("body must be a JSON object like {sessionId, messageId, payload}");
  }
  const m = msg as Record<string, unknown>;
  if ("payload" in m && !Array.isArray(m.payload)) {
    throw new MalformedMessage("payload must be an array of sensor readings");
  }
  const sessionId = typeof m.sessionId === "string" && m.sessionId !== "" ? m.sessionId : null;
  const id = m.messageId;
  const messageId = typeof id === "number" || (typeof id === "string" && id !== "")
    ? String(id)
    : null;
  return { sessionId, messageId };
}
