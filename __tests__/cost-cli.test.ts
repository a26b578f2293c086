import { spawnSync } from "node:child_process";
import * as path from "node:path";

const ROOT = path.resolve(__dirname, "..");
const runCost = (...args: string[]) =>
  spawnSync(process.execPath, ["--import", "tsx", "scripts/cost/cli.ts", ...args], { cwd: ROOT, encoding: "utf8" });

describe("npm run cost", () => {
  test.each(["abc", "0", "-5", "1.5"])("rejects --events-per-month %s in one line naming the value and what is allowed", (value) => {
    const result = runCost("--events-per-month", value);
    expect(result.status).toBe(2);
    expect(result.stdout).toBe("");
    expect(result.stderr).toBe(`--events-per-month: ${JSON.stringify(value)} is not allowed; expected a whole number of at least 1; usage: npm run cost -- --events-per-month N [--message-bytes B] [--stack-dir <synthesized stack folder>]\n`);
  });

  test("rejects a missing --events-per-month and a repeated one", () => {
    expect(runCost().stderr).toMatch(/^--events-per-month is required; usage: npm run cost --/);
    expect(runCost("--events-per-month", "1", "--events-per-month", "2").stderr).toMatch(/^--events-per-month is given twice; give each option once; usage:/);
  });

  test("--help prints the usage line and exits 0", () => {
    const result = runCost("--help");
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^usage: npm run cost -- --events-per-month N/);
  });
});
