/**
 * `sa stop <deployment>`: see {@link controlCommand}.
 *
 * @module
 */
import { controlCommand } from "./_control.ts";

/** `sa stop`. */
export const command = controlCommand("stop");
