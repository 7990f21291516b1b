/**
 * One-line structured logging shared by the broker, the runtime and the CLI.
 *
 * Each line is `<ISO time> <LEVEL> [<component>] <message>`, written to stderr so that
 * stdout stays free for data (`sa consume`, printed rows).
 *
 * @module
 */

/** Log levels, lowest first. */
export type LogLevel = "DEBUG" | "INFO" | "WARN" | "ERROR" | "SILENT";

const order: Record<LogLevel, number> = { DEBUG: 10, INFO: 20, WARN: 30, ERROR: 40, SILENT: 99 };

/** A sink for formatted lines; tests pass one to capture output. */
export type LogSink = (line: string, level: LogLevel) => void;

const encoder = new TextEncoder();
const stderrSink: LogSink = (line) => {
  Deno.stderr.writeSync(encoder.encode(line + "\n"));
};

/** A leveled logger for one component. */
export class Logger {
  constructor(
    readonly component: string,
    public level: LogLevel = "INFO",
    private readonly sink: LogSink = stderrSink,
  ) {}

  /** A logger for a sub-component sharing this one's level and sink. */
  child(component: string): Logger {
    return new Logger(component, this.level, this.sink);
  }

  enabled(level: LogLevel): boolean {
    return order[level] >= order[this.level];
  }

  private write(level: LogLevel, msg: string): void {
    if (!this.enabled(level)) return;
    const line = `${new Date().toISOString()} ${level.padEnd(5)} [${this.component}] ${msg}`;
    this.sink(line, level);
  }

  debug(msg: string): void {
    this.write("DEBUG", msg);
  }
  info(msg: string): void {
    this.write("INFO", msg);
  }
  warn(msg: string): void {
    this.write("WARN", msg);
  }
  error(msg: string): void {
    this.write("ERROR", msg);
  }
}

/** Parses a level name case-insensitively; unknown names throw with the accepted list. */
export function parseLogLevel(name: string): LogLevel {
  const up = name.toUpperCase();
  if (up in order) return up as LogLevel;
  throw new Error(`unknown log level "${name}": expected one of ${Object.keys(order).join(", ")}`);
}
