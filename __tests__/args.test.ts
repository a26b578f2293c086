import { HelpRequested, parseArgs, parseCommandLine, UsageError, wholeNumber } from "../scripts/ops/args";

/** The shared argument parser of every script: what it refuses, it refuses for all of them. */
describe("script arguments (scripts/ops/args.ts)", () => {
  test("rejects an option given twice instead of keeping one of the values", () => {
    expect(() => parseArgs(["--message", "{}", "--message", "[]"], ["--message"])).toThrow(
      new UsageError("--message is given twice; give each option once"),
    );
    expect(() => parseArgs(["--dry-run", "--dry-run"], [], ["--dry-run"])).toThrow("--dry-run is given twice; give each option once");
  });

  test("rejects an unknown option, naming the allowed ones", () => {
    expect(() => parseArgs(["--mesage", "{}"], ["--message"], ["--dry-run"])).toThrow(
      "unknown option --mesage; allowed: --message, --dry-run",
    );
  });

  test("rejects an option with no value, and a positional argument where none or no more is allowed", () => {
    expect(() => parseArgs(["--message"], ["--message"])).toThrow("--message needs a value");
    expect(() => parseArgs(["extra"], ["--message"])).toThrow('unexpected argument "extra"');
    expect(() => parseCommandLine(["a.json", "b.json"], { valued: [], maxPositional: 1, positionalName: "event file" })).toThrow(
      'unexpected event file "b.json"',
    );
  });

  test("--help and -h ask for the usage, wherever they are", () => {
    expect(() => parseArgs(["--message", "{}", "--help"], ["--message"])).toThrow(HelpRequested);
    expect(() => parseCommandLine(["-h"], { valued: [] })).toThrow(HelpRequested);
  });

  test.each(["abc", "0", "-5", "1.5", "", "1e3", " 5", "0x10"])(
    "rejects %j where a whole number is expected, naming the option and the value",
    (value) => {
      expect(() => wholeNumber("--events-per-month", value)).toThrow(
        `--events-per-month: ${JSON.stringify(value)} is not allowed; expected a whole number of at least 1`,
      );
    },
  );

  test("accepts a whole number at or above the minimum", () => {
    expect(wholeNumber("--max", "1000")).toBe(1000);
    expect(wholeNumber("--records", "0", 0)).toBe(0);
  });
});
