import { parseArgs } from "node:util";
import { ConfigError } from "../../stacks/config";

/**
 * The one command-line layer of the project's scripts. A script declares its options once (`defineCli`); the
 * same declaration drives the parser (node:util `parseArgs`, strict), the usage line and the `--help` text, so
 * the help cannot drift from what is accepted. Every refusal is one line, worded the same way in every script:
 * what is wrong, then `; usage: ...`, exit 2.
 */

/** One option: a flag (no `value`) or an option that takes a value. */
export interface OptionSpec {
  /** The placeholder of its value in the usage and help (N, FILE, TIME); absent for a flag. */
  readonly value?: string;
  /** What it does and the form of its value, for --help. */
  readonly description: string;
  /** The default, as --help shows it. */
  readonly default?: string;
  /** An example value, as --help shows it. */
  readonly example?: string;
  /** Refused when missing. @default false */
  readonly required?: boolean;
  /** For a required option, how to come by its value, said when it is missing. */
  readonly whenMissing?: string;
  /** May be given more than once; its values are kept in order. @default false */
  readonly repeatable?: boolean;
}

export interface PositionalSpec {
  /** Its name in the usage and in errors ("event file"). */
  readonly name: string;
  readonly description: string;
  /** @default false */
  readonly required?: boolean;
  /** Said when more arguments than declared are given, after the first extra one. @default "" */
  readonly tooMany?: string;
}

export interface CliSpec {
  /** How the script is run, e.g. `npm run cost --`. */
  readonly command: string;
  /** What the script does, a sentence or two for --help. */
  readonly summary: string;
  readonly options: Readonly<Record<string, OptionSpec>>;
  /** Arguments that are not options, in order. @default none */
  readonly positionals?: readonly PositionalSpec[];
  /** The usage after the command, when the option list alone does not say it (alternatives). @default from the options */
  readonly synopsis?: string;
  /** Command lines shown under "examples" in --help. */
  readonly examples?: readonly string[];
}

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/** Thrown when `--help` or `-h` is given: runCli prints the help on stdout and exits 0. */
export class HelpRequested extends Error {
  constructor() {
    super("help requested");
    this.name = "HelpRequested";
  }
}

/** What was given: option values by name (without `--`), and the positional arguments in order. */
export class ParsedArgs {
  constructor(
    private readonly values: Readonly<Record<string, string | boolean | string[] | undefined>>,
    readonly positionals: readonly string[],
  ) {}

  /** The value of an option that takes one, or undefined when it was not given. */
  string(name: string): string | undefined {
    const value = this.values[name];
    return typeof value === "string" ? value : undefined;
  }

  /** Whether a flag was given. */
  flag(name: string): boolean {
    return this.values[name] === true;
  }

  /** Every value of a repeatable option, in order. */
  list(name: string): string[] {
    const value = this.values[name];
    return Array.isArray(value) ? value : [];
  }

  /** Whether the option was given at all. */
  has(name: string): boolean {
    return this.values[name] !== undefined;
  }
}

export interface Cli {
  readonly spec: CliSpec;
  /** `usage: <command> <synopsis>`, one line. */
  readonly usage: string;
  /** The usage, the summary and every option with its value, default and example. */
  readonly help: string;
  parse(argv: readonly string[]): ParsedArgs;
}

export function defineCli(spec: CliSpec): Cli {
  const usage = `usage: ${spec.command} ${spec.synopsis ?? synopsisOf(spec)}`.trimEnd();
  return { spec, usage, help: helpOf(spec, usage), parse: (argv) => parse(spec, argv) };
}

function synopsisOf(spec: CliSpec): string {
  const positionals = (spec.positionals ?? []).map((p) => (p.required ? `<${p.name}>` : `[<${p.name}>]`));
  const options = Object.entries(spec.options).map(([name, option]) => {
    const word = option.value ? `--${name} ${option.value}` : `--${name}`;
    const repeated = option.repeatable ? `${word}...` : word;
    return option.required ? repeated : `[${repeated}]`;
  });
  return [...positionals, ...options].join(" ");
}

function helpOf(spec: CliSpec, usage: string): string {
  const rows: Array<[string, string]> = [
    ...(spec.positionals ?? []).map((p): [string, string] => [`<${p.name}>`, `${p.description}${p.required ? " (required)" : ""}`]),
    ...Object.entries(spec.options).map(([name, option]): [string, string] => {
      const notes = [
        option.required ? "required" : undefined,
        option.repeatable ? "may be repeated" : undefined,
        option.default !== undefined ? `default: ${option.default}` : undefined,
        option.example !== undefined ? `e.g. ${option.example}` : undefined,
      ].filter((note): note is string => note !== undefined);
      return [
        option.value ? `--${name} ${option.value}` : `--${name}`,
        notes.length ? `${option.description} (${notes.join("; ")})` : option.description,
      ];
    }),
    ["-h, --help", "this help"],
  ];
  const width = Math.max(...rows.map(([left]) => left.length));
  return [
    usage,
    "",
    ...wrap(spec.summary, 100),
    "",
    "options:",
    ...rows.map(([left, right]) => `  ${left.padEnd(width)}  ${right}`),
    ...(spec.examples?.length ? ["", "examples:", ...spec.examples.map((example) => `  ${example}`)] : []),
  ].join("\n");
}

/** Words into lines of at most `width` characters. */
function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(/\s+/)) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  return line ? [...lines, line] : lines;
}

interface NodeParseError extends Error {
  readonly code?: string;
}

function parse(spec: CliSpec, argv: readonly string[]): ParsedArgs {
  const end = argv.indexOf("--");
  if ((end < 0 ? argv : argv.slice(0, end)).some((arg) => arg === "--help" || arg === "-h")) throw new HelpRequested();
  const names = Object.keys(spec.options);
  const allowed = names.map((name) => `--${name}`).join(", ") || "none";
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: joinDashedValues(spec, argv),
      options: Object.fromEntries(
        Object.entries(spec.options).map(([name, option]) => [
          name,
          { type: option.value ? ("string" as const) : ("boolean" as const), multiple: option.repeatable === true },
        ]),
      ),
      allowPositionals: true,
      strict: true,
      tokens: true,
    });
  } catch (error) {
    throw usageErrorOf(error as NodeParseError, spec, allowed);
  }
  const seen = new Set<string>();
  for (const token of parsed.tokens ?? []) {
    if (token.kind !== "option") continue;
    if (seen.has(token.name) && !spec.options[token.name]?.repeatable)
      throw new UsageError(`--${token.name} is given twice; give each option once`);
    seen.add(token.name);
    // `--since --dry-run` would otherwise read the next option as the value; parseArgs only refuses that for `-x`.
    if (spec.options[token.name]?.value && token.inlineValue === false && token.value?.startsWith("--")) {
      throw new UsageError(`--${token.name} needs a value (${spec.options[token.name].value})`);
    }
  }
  const positionals = spec.positionals ?? [];
  // An argument nobody declared is said first: it is often the value of an option npm kept for itself
  // (`npm run x --opt value`, without `--`), and "--y is required" would hide it.
  if (parsed.positionals.length > positionals.length) {
    const extra = parsed.positionals[positionals.length];
    const why = positionals.at(-1)?.tooMany;
    throw new UsageError(`unexpected argument ${JSON.stringify(extra)}${why ? `: ${why}` : ""}`);
  }
  for (const [name, option] of Object.entries(spec.options)) {
    if (option.required && parsed.values[name] === undefined) {
      throw new UsageError(`--${name} is required${option.whenMissing ? ` (${option.whenMissing})` : ""}`);
    }
  }
  const missing = positionals.slice(parsed.positionals.length).find((p) => p.required);
  if (missing) throw new UsageError(`the ${missing.name} is required`);
  return new ParsedArgs(parsed.values as Record<string, string | boolean | string[] | undefined>, parsed.positionals);
}

/**
 * `--max -5` as `--max=-5`: parseArgs reads a value that starts with "-" as a mistake, but a negative number is a
 * value (which the option's own check then refuses, naming it). `--x --y` stays as it is: a missing value.
 */
function joinDashedValues(spec: CliSpec, argv: readonly string[]): string[] {
  const joined: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const name = argv[i].startsWith("--") ? argv[i].slice(2) : undefined;
    const next = argv[i + 1];
    if (name && spec.options[name]?.value && next !== undefined && /^-[^-]/.test(next) && next !== "-h") {
      joined.push(`${argv[i]}=${next}`);
      i++;
    } else joined.push(argv[i]);
  }
  return joined;
}

/** node:util's refusals, in this project's words. */
function usageErrorOf(error: NodeParseError, spec: CliSpec, allowed: string): Error {
  const quoted = /'(-[^' ]*)/.exec(error.message)?.[1] ?? "";
  const name = quoted.replace(/^--?/, "").split("=")[0];
  switch (error.code) {
    case "ERR_PARSE_ARGS_UNKNOWN_OPTION":
      return new UsageError(`unknown option ${quoted.split("=")[0]}; allowed: ${allowed}`);
    case "ERR_PARSE_ARGS_INVALID_OPTION_VALUE":
      return spec.options[name]?.value
        ? new UsageError(`--${name} needs a value (${spec.options[name].value})`)
        : new UsageError(`--${name} takes no value`);
    default:
      return error;
  }
}

/**
 * Runs a script's main. `--help` prints the help and exits 0; a usage error prints one line (what is wrong, then
 * the usage) and exits 2; any other error prints one line and exits 1. Never a stack trace.
 */
export function runCli(cli: Cli, main: () => Promise<void>): void {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
  const fail = (error: unknown) => {
    if (error instanceof HelpRequested) {
      process.stdout.write(`${cli.help}\n`);
    } else if (error instanceof UsageError) {
      process.stderr.write(`${error.message}; ${cli.usage}\n`);
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

/** A whole number from `min` (to `max`), or a UsageError naming the option and the value received. */
export function wholeNumber(option: string, value: string | undefined, min = 1, max = Number.POSITIVE_INFINITY): number {
  const n = typeof value === "string" && /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    const expected = Number.isFinite(max) ? `a whole number from ${min} to ${max}` : `a whole number of at least ${min}`;
    throw new UsageError(`${option}: ${JSON.stringify(value ?? "")} is not allowed; expected ${expected}`);
  }
  return n;
}

/** A share from 0 to 1, or a UsageError naming the option and the value received. */
export function share(option: string, value: string | undefined): number {
  const n = typeof value === "string" && /^(\d+\.?\d*|\.\d+)$/.test(value) ? Number(value) : Number.NaN;
  if (!(n >= 0 && n <= 1))
    throw new UsageError(`${option}: ${JSON.stringify(value ?? "")} is not allowed; expected a share from 0 to 1 (0.25 for a quarter)`);
  return n;
}

/** One of the allowed words, or a UsageError listing them. */
export function oneOf<T extends string>(option: string, value: string | undefined, allowed: readonly T[]): T {
  if (value !== undefined && (allowed as readonly string[]).includes(value)) return value as T;
  throw new UsageError(`${option}: ${JSON.stringify(value ?? "")} is not allowed; expected one of ${allowed.join(", ")}`);
}

/** A time option: an ISO date-time (2026-11-01T00:00:00Z), or a duration back from now (30m, 24h, 7d). */
export function parseTime(option: string, value: string): Date {
  const relative = /^(\d+)([mhd])$/.exec(value);
  if (relative)
    return new Date(Date.now() - Number(relative[1]) * { m: 60_000, h: 3_600_000, d: 86_400_000 }[relative[2] as "m" | "h" | "d"]);
  const date = new Date(value);
  if (!/^\d{4}-\d{2}-\d{2}/.test(value) || Number.isNaN(date.getTime())) {
    throw new UsageError(
      `${option}: ${JSON.stringify(value)} is not allowed; expected an ISO date-time (2026-11-01T00:00:00Z) or a duration (30m, 24h, 7d)`,
    );
  }
  return date;
}

/** What --help says of a time option's value. */
export const TIME_FORMAT = "an ISO date-time (2026-11-01T00:00:00Z) or a duration back from now (30m, 24h, 7d)";
