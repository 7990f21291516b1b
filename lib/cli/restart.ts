/**
 * `sa restart <deployment>`: see {@link controlCommand}.
 *
 * @module
 */
import { controlCommand } from "./_control.ts";

/** `sa restart`. */
export const command = controlCommand("restart");
