import { ConfigError } from "../../stacks/config";

/**
 * A tiny `--name value` / `--flag` parser for the project's scripts: it refuses what it does not know, a flag given
 * twice and a missing value, and treats `--help` / `-h` as a request for the usage line.
 */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/** Thrown when `--help` or `-h` is given: runCli prints the usage line on stdout and exits 0. */
export class HelpRequested extends Error {
  constructor() {
    super("help requested");
    this.name = "HelpRequested";
  }
}

export interface CommandLine {
  /** Options by name without the leading `--`: the value, or `true` for a flag. */
  readonly options: Record<string, string | true>;
  /** Arguments that are not options, in order. */
  readonly positional: string[];
}

export interface CommandLineSpec {
  /** Options that take a value, e.g. `--queue-url`. */
  readonly valued: readonly string[];
  /** Options without a value, e.g. `--dry-run`. */
  readonly flags?: readonly string[];
  /** How many positional arguments are allowed. @default 0 */
  readonly maxPositional?: number;
  /** Name of the positional arguments in error messages. @default "argument" */
  readonly positionalName?: string;
}

export function parseCommandLine(argv: readonly string[], spec: CommandLineSpec): CommandLine {
  const flags = spec.flags ?? [];
  const options: Record<string, string | true> = {};
  const positional: string[] = [];
  const allowed = [...spec.valued, ...flags].join(", ");
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--help" || arg === "-h") throw new HelpRequested();
    const name = arg.slice(2);
    const known = flags.includes(arg) || spec.valued.includes(arg);
    if (known && name in options) throw new UsageError(`${arg} is given twice; give each option once`);
    if (flags.includes(arg)) {
      options[name] = true;
    } else if (spec.valued.includes(arg)) {
      const value = argv[i + 1];
      if (value === undefined || value.startsWith("--")) throw new UsageError(`${arg} needs a value`);
      options[name] = value;
      i++;
    } else if (arg.startsWith("-") && arg !== "-") {
      throw new UsageError(`unknown option ${arg}; allowed: ${allowed || "none"}`);
    } else if (positional.length < (spec.maxPositional ?? 0)) {
      positional.push(arg);
    } else {
      throw new UsageError(`unexpected ${spec.positionalName ?? "argument"} ${JSON.stringify(arg)}`);
    }
  }
  return { options, positional };
}

/** Options only: `--name value` for each of `valued`, `--flag` for each of `flags`. */
export function parseArgs(
  argv: readonly string[],
  valued: readonly string[],
  flags: readonly string[] = [],
): Record<string, string | true> {
  return parseCommandLine(argv, { valued, flags }).options;
}

/** A whole number of at least `min`, or a UsageError naming the option and the value received. */
export function wholeNumber(option: string, value: string | true | undefined, min = 1): number {
  const n = typeof value === "string" && /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < min) {
    throw new UsageError(
      `${option}: ${JSON.stringify(value === true ? "" : value)} is not allowed; expected a whole number of at least ${min}`,
    );
  }
  return n;
}

/**
 * Runs a CLI main. `--help` prints the usage line and exits 0; a usage error prints one line (what is wrong, then
 * the usage) and exits 2; any other error prints one line and exits 1. Never a stack trace.
 */
export function runCli(usage: string, main: () => Promise<void>): void {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
  const fail = (error: unknown) => {
    if (error instanceof HelpRequested) {
      process.stdout.write(`${usage}\n`);
    } else if (error instanceof UsageError) {
      process.stderr.write(`${error.message}; ${usage}\n`);
      process.exitCode = 2;
    } else {
      process.stderr.write(`${oneLine(error)}\n`);
      process.exitCode = 1;
    }
  };
  try {
    main().catch(fail);
  } catch (error) {
    fail(error);
  }
}

/** An error as one line: its name (unless a plain Error) and its message's first line; config errors as synth prints them. */
export function oneLine(error: unknown): string {
  if (!(error instanceof Error)) return String(error).split("\n")[0];
  if (error instanceof ConfigError) return `Invalid configuration: ${error.message.split("\n")[0]}`;
  const message = error.message.split("\n")[0];
  return error.name && error.name !== "Error" ? `${error.name}: ${message}` : message;
}

/** A time option: an ISO date-time (2026-11-01T00:00:00Z), or a duration back from now (30m, 24h, 7d). */
export function parseTime(flag: string, value: string): Date {
  const relative = /^(\d+)([mhd])$/.exec(value);
  if (relative)
    return new Date(Date.now() - Number(relative[1]) * { m: 60_000, h: 3_600_000, d: 86_400_000 }[relative[2] as "m" | "h" | "d"]);
  const date = new Date(value);
  if (!/^\d{4}-\d{2}-\d{2}/.test(value) || Number.isNaN(date.getTime())) {
    throw new UsageError(
      `--${flag}: "${value}" is not allowed; expected an ISO date-time (2026-11-01T00:00:00Z) or a duration (30m, 24h, 7d)`,
    );
  }
  return date;
}
