/** A tiny `--name value` / `--flag` parser that refuses what it does not know, for the ops scripts. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

export function parseArgs(argv: readonly string[], valued: readonly string[], flags: readonly string[] = []): Record<string, string | true> {
  const result: Record<string, string | true> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (flags.includes(arg)) {
      result[arg.slice(2)] = true;
    } else if (valued.includes(arg)) {
      const value = argv[i + 1];
      if (value === undefined || value.startsWith("--")) throw new UsageError(`${arg} needs a value`);
      result[arg.slice(2)] = value;
      i++;
    } else {
      throw new UsageError(`unknown argument ${arg}`);
    }
  }
  return result;
}

/** Runs a CLI main: usage errors print the usage line and exit 2, other errors one line and exit 1. */
export function runCli(usage: string, main: () => Promise<void>): void {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
  main().catch((error: unknown) => {
    if (error instanceof UsageError) {
      process.stderr.write(`${error.message}\n${usage}\n`);
      process.exitCode = 2;
    } else {
      process.stderr.write(`${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}\n`);
      process.exitCode = 1;
    }
  });
}
