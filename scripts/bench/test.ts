import { execFileSync } from "node:child_process";
import { loadavg } from "node:os";
import { symlinkSync } from "node:fs";
import * as path from "node:path";
import { defineCli, runCli, wholeNumber } from "../cli/args";
import { temporaryDirectory } from "../temp-dir";
import { runLong } from "./stats";

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

const CLI = defineCli({
  command: "npm run bench:test --",
  summary:
    "Wall and CPU time of npm test from a cold fresh clone (HEAD cloned to a temporary folder, node_modules linked, an empty Jest " +
    "cache) next to npm run test:fast, cold and then warm, in one run, with the load average beside each.",
  options: { runs: { value: "N", description: "how many times to run the three", default: "1" } },
});

async function timed(label: string, cwd: string, command: string): Promise<Timing> {
  const load = loadavg()[0];
  // bash's `time` reports the CPU of the command and all its children; TIMEFORMAT makes it parseable.
  const result = await runLong(
    `bench:test: ${label}, elapsed`,
    "bash",
    ["-c", `TIMEFORMAT='BENCH %R %U %S'; time (${command} > /dev/null 2>&1)`],
    {
      cwd,
      env: { ...process.env, CHECKPOINT_DISABLE: "1", FORCE_COLOR: "0" },
    },
  );
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

async function main(argv: string[]): Promise<void> {
  const args = CLI.parse(argv);
  const runs = args.has("runs") ? wholeNumber("--runs", args.string("runs")) : 1;
  const timings: Timing[] = [];
  for (let i = 0; i < runs; i++) {
    const clone = freshClone();
    const cache = temporaryDirectory("bench-jest-cache");
    timings.push(await timed("npm test, cold fresh clone", clone, `npm test -- --cacheDirectory=${cache}`));
    const fastCache = temporaryDirectory("bench-jest-cache");
    timings.push(await timed("npm run test:fast, cold", clone, `npm run test:fast -- --cacheDirectory=${fastCache}`));
    timings.push(await timed("npm run test:fast, warm", clone, `npm run test:fast -- --cacheDirectory=${fastCache}`));
  }
  const head = execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: ROOT, encoding: "utf8" }).trim();
  process.stdout.write(`npm test and test:fast at ${head}, ${new Date().toISOString()}\n`);
  process.stdout.write(`  ${"command".padEnd(30)} ${"wall".padStart(8)} ${"CPU".padStart(8)} ${"load avg".padStart(9)}  result\n`);
  for (const t of timings) {
    process.stdout.write(
      `  ${t.label.padEnd(30)} ${`${t.wallSeconds.toFixed(1)} s`.padStart(8)} ${`${t.cpuSeconds.toFixed(1)} s`.padStart(8)} ${t.load.toFixed(1).padStart(9)}  ${t.ok ? "passed" : "FAILED"}\n`,
    );
  }
  process.stdout.write("  targets: npm test <= 3 min cold, test:fast <= 10 s (wall, on an otherwise idle 2-core machine)\n");
  if (!timings.every((t) => t.ok)) process.exitCode = 1;
}

if (require.main === module) runCli(CLI, () => main(process.argv.slice(2)));
