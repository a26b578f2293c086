import { execFileSync, spawnSync } from "node:child_process";
import { loadavg } from "node:os";
import { symlinkSync } from "node:fs";
import * as path from "node:path";
import { temporaryDirectory } from "../temp-dir";

/**
 * npm run bench:test [-- --runs N]
 *
 * Wall and CPU time of `npm test` from a cold fresh clone (the committed HEAD cloned to a temporary folder,
 * node_modules linked, an empty Jest cache, no .build) next to `npm run test:fast`, cold and then warm, in one
 * run. CPU time (user + system of every process) does not depend on what else the machine runs; wall time
 * does, so the load average is printed with it. Terraform tier settings come from the environment
 * (TF_PROVIDER_MIRROR), as for npm test.
 */
const ROOT = path.join(__dirname, "..", "..");

interface Timing {
  readonly label: string;
  readonly wallSeconds: number;
  readonly cpuSeconds: number;
  readonly ok: boolean;
  readonly load: number;
}

function timed(label: string, cwd: string, command: string): Timing {
  const load = loadavg()[0];
  // bash's `time` reports the CPU of the command and all its children; TIMEFORMAT makes it parseable.
  const result = spawnSync("bash", ["-c", `TIMEFORMAT='BENCH %R %U %S'; time (${command} > /dev/null 2>&1)`], {
    cwd,
    encoding: "utf8",
    env: { ...process.env, CHECKPOINT_DISABLE: "1", FORCE_COLOR: "0" },
  });
  const match = /BENCH ([\d.]+) ([\d.]+) ([\d.]+)/.exec(result.stderr);
  if (!match) throw new Error(`could not time ${label}: ${result.stderr}`);
  return { label, wallSeconds: Number(match[1]), cpuSeconds: Number(match[2]) + Number(match[3]), ok: result.status === 0, load };
}

function freshClone(): string {
  const dir = path.join(temporaryDirectory("bench-test"), "clone");
  execFileSync("git", ["clone", "--quiet", ROOT, dir]);
  symlinkSync(path.join(ROOT, "node_modules"), path.join(dir, "node_modules"), "dir");
  return dir;
}

function main(argv: string[]): number {
  const usage = "usage: npm run bench:test -- [--runs N]";
  if (argv.includes("--help") || argv.includes("-h")) {
    process.stdout.write(`${usage}\n`);
    return 0;
  }
  const unknown = argv.filter((a, i) => a.startsWith("-") && a !== "--runs" && argv[i - 1] !== "--runs");
  if (unknown.length > 0) {
    process.stderr.write(`unknown option ${unknown[0]}; ${usage}\n`);
    return 2;
  }
  const runsArg = argv.indexOf("--runs");
  const runs = runsArg >= 0 ? Number(argv[runsArg + 1]) : 1;
  if (!Number.isInteger(runs) || runs < 1) {
    process.stderr.write(`--runs must be a whole number of at least 1, got "${argv[runsArg + 1]}"\n`);
    return 2;
  }
  const timings: Timing[] = [];
  for (let i = 0; i < runs; i++) {
    const clone = freshClone();
    const cache = temporaryDirectory("bench-jest-cache");
    timings.push(timed("npm test, cold fresh clone", clone, `npm test -- --cacheDirectory=${cache}`));
    const fastCache = temporaryDirectory("bench-jest-cache");
    timings.push(timed("npm run test:fast, cold", clone, `npm run test:fast -- --cacheDirectory=${fastCache}`));
    timings.push(timed("npm run test:fast, warm", clone, `npm run test:fast -- --cacheDirectory=${fastCache}`));
  }
  const head = execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: ROOT, encoding: "utf8" }).trim();
  process.stdout.write(`npm test and test:fast at ${head}, ${new Date().toISOString()}\n`);
  process.stdout.write(`  ${"command".padEnd(30)} ${"wall".padStart(8)} ${"CPU".padStart(8)} ${"load avg".padStart(9)}  result\n`);
  for (const t of timings) {
    process.stdout.write(
      `  ${t.label.padEnd(30)} ${`${t.wallSeconds.toFixed(1)} s`.padStart(8)} ${`${t.cpuSeconds.toFixed(1)} s`.padStart(8)} ${t.load.toFixed(1).padStart(9)}  ${t.ok ? "passed" : "FAILED"}\n`,
    );
  }
  process.stdout.write("  targets: npm test <= 45 s cold, test:fast < 10 s (wall, on an otherwise idle 2-core machine)\n");
  return timings.every((t) => t.ok) ? 0 : 1;
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
