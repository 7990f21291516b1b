/**
 * `sa start <deployment>`: see {@link controlCommand}.
 *
 * @module
 */
import { controlCommand } from "./_control.ts";

/** `sa start`. */
export const command = controlCommand("start");
