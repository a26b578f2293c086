import { defineCli, HelpRequested, oneOf, parseTime, share, UsageError, wholeNumber } from "../scripts/cli/args";

/** The one command-line layer every script declares its options in (scripts/cli/args.ts). */
const cli = defineCli({
  command: "npm run demo --",
  summary: "Does a demo.",
  positionals: [{ name: "event file", description: "the event, as JSON", required: true, tooMany: "one event file at a time" }],
  options: {
    since: { value: "TIME", description: "where to start", default: "24h", example: "2026-11-01T00:00:00Z" },
    max: { value: "N", description: "how many at most", required: true },
    var: { value: "K=V", description: "a variable", repeatable: true },
    "dry-run": { description: "change nothing" },
  },
  examples: ["npm run demo -- event.json --max 3"],
});

const refusal = (argv: string[]) => {
  try {
    cli.parse(argv);
  } catch (error) {
    return error instanceof UsageError ? error.message : `not a UsageError: ${String(error)}`;
  }
  return "accepted";
};

describe("scripts/cli/args.ts", () => {
  test("parses values, flags, repeated options and positionals", () => {
    const args = cli.parse(["e.json", "--max", "3", "--var", "a=1", "--var", "b=2", "--dry-run", "--since=7d"]);
    expect([args.positionals, args.string("max"), args.list("var"), args.flag("dry-run"), args.string("since")]).toEqual([
      ["e.json"],
      "3",
      ["a=1", "b=2"],
      true,
      "7d",
    ]);
  });

  test.each([
    [["e.json", "--max", "1", "--rate", "2"], "unknown option --rate; allowed: --since, --max, --var, --dry-run"],
    [["e.json", "--max", "1", "--max", "2"], "--max is given twice; give each option once"],
    [["e.json", "--max"], "--max needs a value (N)"],
    [["e.json", "--max", "--dry-run"], "--max needs a value (N)"],
    [["e.json", "--max", "-5", "--dry-run"], "accepted"],
    [["e.json", "--max", "1", "--dry-run=yes"], "--dry-run takes no value"],
    [["e.json"], "--max is required"],
    [["e.json", "order-42"], 'unexpected argument "order-42": one event file at a time'],
    [["--max", "1"], "the event file is required"],
    [["a.json", "b.json", "--max", "1"], 'unexpected argument "b.json": one event file at a time'],
  ])("refuses %j in one line: %s", (argv, message) => {
    expect(refusal(argv)).toBe(message);
  });

  test("--help and -h ask for the help wherever they are, before a `--`", () => {
    for (const argv of [["--help"], ["e.json", "-h"], ["--max", "--help"]]) expect(() => cli.parse(argv)).toThrow(HelpRequested);
  });

  test("the usage and the help come from the same declaration: every option with its value, default and example", () => {
    expect(cli.usage).toBe("usage: npm run demo -- <event file> [--since TIME] --max N [--var K=V...] [--dry-run]");
    expect(cli.help.split("\n")).toEqual([
      cli.usage,
      "",
      "Does a demo.",
      "",
      "options:",
      "  <event file>  the event, as JSON (required)",
      "  --since TIME  where to start (default: 24h; e.g. 2026-11-01T00:00:00Z)",
      "  --max N       how many at most (required)",
      "  --var K=V     a variable (may be repeated)",
      "  --dry-run     change nothing",
      "  -h, --help    this help",
      "",
      "examples:",
      "  npm run demo -- event.json --max 3",
    ]);
  });

  test("value checks name the option, the value and what is allowed", () => {
    expect(() => wholeNumber("--max", "1.5")).toThrow('--max: "1.5" is not allowed; expected a whole number of at least 1');
    expect(() => wholeNumber("--max", " 3")).toThrow(UsageError);
    expect(wholeNumber("--max", "0", 0)).toBe(0);
    expect(() => share("--api-share", "2")).toThrow('--api-share: "2" is not allowed; expected a share from 0 to 1 (0.25 for a quarter)');
    expect(share("--api-share", "0.25")).toBe(0.25);
    expect(() => oneOf("--type", "slow", ["standard", "express"])).toThrow(
      '--type: "slow" is not allowed; expected one of standard, express',
    );
    expect(() => parseTime("--since", "yesterday")).toThrow('--since: "yesterday" is not allowed; expected an ISO date-time');
    expect(parseTime("--since", "2026-11-01T00:00:00Z").toISOString()).toBe("2026-11-01T00:00:00.000Z");
  });
});
