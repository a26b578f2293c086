import { spawnSync } from "node:child_process";
import * as path from "node:path";

const ROOT = path.resolve(__dirname, "..");
const runCost = (...args: string[]) =>
  spawnSync(process.execPath, ["--import", "tsx", "scripts/cost/cli.ts", ...args], { cwd: ROOT, encoding: "utf8" });

// The model CLIs run as processes: exit codes and one-line errors. Their arithmetic is in cost-model.test.ts and
// capacity.test.ts, which test:fast runs; this file it leaves to npm test.
describe("npm run cost (the parser's refusals are in args.test.ts)", () => {
  test("rejects a --events-per-month that is not a whole number in one line naming the value, exit 2, no stack trace", () => {
    const result = runCost("--events-per-month", "1.5");
    expect(result.status).toBe(2);
    expect(result.stdout).toBe("");
    expect(result.stderr).toBe(
      `--events-per-month: "1.5" is not allowed; expected a whole number of at least 1; usage: npm run cost -- --events-per-month N [--message-bytes B] [--api-share F] [--failure-rate F] [--stack-dir DIR]\n`,
    );
  });

  test("prints the inputs and prices before its goal line, which is last; refuses a share outside 0 to 1", () => {
    const result = runCost("--events-per-month", "1000000");
    expect(result.status).toBe(0);
    const lines = result.stdout.trimEnd().split("\n");
    expect(lines.at(-1)).toMatch(/^EXPRESS at ERROR: \$\d+\.\d\d per million events plus .* the target of at most \$3\.00/);
    expect(lines.some((line) => /^unit prices: us-east-1 list prices of \d{4}-\d\d-\d\d \(scripts\/cost\/prices.json\)$/.test(line))).toBe(
      true,
    );
    const refused = runCost("--events-per-month", "1000", "--api-share", "2");
    expect(refused.status).toBe(2);
    expect(refused.stderr).toMatch(
      /^--api-share: "2" is not allowed; expected a share from 0 to 1 \(0.25 for a quarter\); usage: npm run cost --/,
    );
  });

  test("rejects a missing --events-per-month", () => {
    expect(runCost().stderr).toMatch(/^--events-per-month is required; usage: npm run cost --.*\n$/);
  });
});

describe("npm run capacity", () => {
  test("the command exits 2 with the one-line error and no stack trace", () => {
    const result = spawnSync(process.execPath, ["--import", "tsx", "scripts/capacity/cli.ts", "--events-per-second", "abc"], {
      cwd: ROOT,
      encoding: "utf8",
    });
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(
      /^--events-per-second: "abc" is not allowed; expected a whole number of at least 1; usage: npm run capacity -- --events-per-second N .*\n$/,
    );
  });
});
