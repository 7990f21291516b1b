/**
 * Runs a console function (lib/console/) from a command: a {@link ConsoleContext} on the
 * broker, closed afterwards, and the console's errors turned into one-line CliErrors.
 *
 * @module
 */
import { CliError } from "./_command.ts";
import { ApiError, ConsoleContext } from "../console/_context.ts";
import type { ClientSecurity } from "../stream/kafka/security.ts";

/** Runs `fn` with a console context on `address`. */
export async function withConsoleContext<T>(
  target: { address: string; security?: ClientSecurity },
  fn: (ctx: ConsoleContext) => Promise<T>,
): Promise<T> {
  const ctx = new ConsoleContext(target);
  try {
    return await fn(ctx);
  } catch (err) {
    if (err instanceof ApiError) throw new CliError(err.message, err.status === 400 ? 2 : 1);
    throw err;
  } finally {
    await ctx.close();
  }
}
