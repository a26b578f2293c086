import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { buildRecorderArchive } from "../../stacks/constructs/bundling/build";
import { defineCli, runCli, wholeNumber } from "../cli/args";
import { machineLine, nowMs, percentile, runLong, step } from "./stats";
import { temporaryDirectory } from "../temp-dir";

/**
 * npm run bench:synth [-- --runs N] [--skip-tests] [--skip-aws-cdk]
 *
 * Wall times, measured side by side in one run (variants interleaved, median of N):
 *   ours, npm run synth: the app run directly by the wrapper (scripts/cdktf.ts), no CLI start-up
 *   ours, full:     `npx cdktf synth` of this app
 *   ours, app only: the app command alone (what cdktf synth spends in our code)
 *   slow way, full / app only: the same app under type-checking ts-node with a root import of the provider
 *   floor:          `npx cdktf synth` of a one-resource plain-JS app (the cdktf CLI's own cost)
 *   AWS CDK seed, full / app only: the seed's design on AWS CDK (scripts/bench/aws-cdk-seed), `cdk synth` and
 *                   its app alone; installed on first use into .bench/aws-cdk-seed from its own lock file, and
 *                   left out, saying why, when that install cannot run (no registry)
 * and, once, the wall time of `npm test`.
 */
const ROOT = path.resolve(__dirname, "..", "..");
const BENCH_DIR = path.join(ROOT, ".build", "bench");
const CLI = defineCli({
  command: "npm run bench:synth --",
  summary:
    "Times npm run synth and cdktf synth of this app, side by side in one run, against the same design on AWS CDK, the cdktf CLI's " +
    "floor (a one-resource app) and this app the slow way (type-checking ts-node, the provider's root import); then npm test's wall time.",
  options: {
    runs: { value: "N", description: "runs of each variant (the median is printed)", default: "3" },
    "skip-tests": { description: "leave out the npm test timing" },
    "skip-aws-cdk": { description: "leave out the AWS CDK variant (it installs its own packages on first use)" },
  },
});
const SEED_SOURCE = path.join(__dirname, "aws-cdk-seed");
const SEED_DIR = path.join(ROOT, ".bench", "aws-cdk-seed");
const SEED_FILES = ["package.json", "package-lock.json", "app.js", "cdk.json"];
const env = { ...process.env, CHECKPOINT_DISABLE: "1" };

function timed(command: string, args: string[], cwd: string, extraEnv: Record<string, string> = {}): number {
  const started = nowMs();
  const result = spawnSync(command, args, { cwd, env: { ...env, ...extraEnv }, encoding: "utf8" });
  const elapsed = nowMs() - started;
  if (result.status !== 0) throw new Error(`${command} ${args.join(" ")} failed in ${cwd}:\n${result.stderr}${result.stdout}`);
  return elapsed;
}

function prepare(): { slowApp: string; floorDir: string } {
  mkdirSync(BENCH_DIR, { recursive: true });
  // The common slow way: ts-node type-checks everything, and the provider comes in from its package root.
  const slowApp = path.join(BENCH_DIR, "slow-main.ts");
  writeFileSync(
    slowApp,
    ['import * as aws from "@cdktf/provider-aws";', "void aws.provider.AwsProvider;", 'import "../../main";', ""].join("\n"),
  );
  // The floor: one resource, plain JavaScript, deep import, `node` as the app command.
  const floorDir = path.join(BENCH_DIR, "floor");
  mkdirSync(floorDir, { recursive: true });
  writeFileSync(
    path.join(floorDir, "main.js"),
    [
      'const { App, TerraformStack } = require("cdktf");',
      'const { AwsProvider } = require("@cdktf/provider-aws/lib/provider");',
      'const { SqsQueue } = require("@cdktf/provider-aws/lib/sqs-queue");',
      "const app = new App();",
      'const stack = new TerraformStack(app, "floor");',
      'new AwsProvider(stack, "aws", { region: "us-east-1" });',
      'new SqsQueue(stack, "queue", { name: "floor" });',
      "app.synth();",
      "",
    ].join("\n"),
  );
  writeFileSync(path.join(floorDir, "cdktf.json"), JSON.stringify({ language: "typescript", app: "node main.js", terraformProviders: [] }));
  return { slowApp, floorDir };
}

/**
 * The AWS CDK seed app in .bench/aws-cdk-seed, installed with `npm ci` when its lock file changed; a string
 * says why it is not available.
 */
function prepareAwsCdkSeed(): string | { dir: string } {
  mkdirSync(SEED_DIR, { recursive: true });
  // The lock file of the last install that succeeded: a failed or interrupted one is tried again next time.
  const installedLock = path.join(SEED_DIR, ".installed-lock.json");
  const lock = readFileSync(path.join(SEED_SOURCE, "package-lock.json"));
  const installed =
    existsSync(installedLock) && readFileSync(installedLock).equals(lock) && existsSync(path.join(SEED_DIR, "node_modules", ".bin", "cdk"));
  for (const file of SEED_FILES) copyFileSync(path.join(SEED_SOURCE, file), path.join(SEED_DIR, file));
  if (!installed) {
    process.stdout.write("installing the AWS CDK seed app into .bench/aws-cdk-seed (npm ci, once) ...\n");
    const install = spawnSync("npm", ["ci", "--no-audit", "--no-fund", "--loglevel=error"], {
      cwd: SEED_DIR,
      env,
      encoding: "utf8",
      timeout: 300_000,
    });
    if (install.status !== 0) {
      const reason =
        (install.stderr || install.stdout || String(install.error ?? "")).split("\n").find((l) => l.trim()) ??
        `npm ci exited with ${install.status}`;
      return `npm ci failed: ${reason.trim()}`;
    }
    writeFileSync(installedLock, lock);
  }
  return { dir: SEED_DIR };
}

async function main(): Promise<void> {
  const args = CLI.parse(process.argv.slice(2));
  const RUNS = args.has("runs") ? wholeNumber("--runs", args.string("runs")) : 3;
  const { slowApp, floorDir } = prepare();
  const outdir = () => temporaryDirectory("bench-synth");
  const slowAppCommand = `npx ts-node --project ${path.join(ROOT, "tsconfig.json")} ${path.relative(ROOT, slowApp)}`;
  const recorderZip = buildRecorderArchive({ reuseUnchanged: true }).zipPath;
  const seed = args.flag("skip-aws-cdk") ? "skipped (--skip-aws-cdk)" : prepareAwsCdkSeed();
  // AWS CDK's CLI, like ours, is kept from the network: no version check, notices or telemetry.
  const cdkEnv = { RECORDER_ZIP: recorderZip, CDK_DISABLE_CLI_TELEMETRY: "true" };
  const variants: Record<string, () => number> = {
    "ours, npm run synth": () => timed("npm", ["run", "--silent", "synth", "--", "--output", outdir()], ROOT),
    "ours, full cdktf synth": () => timed("npx", ["cdktf", "synth", "--output", outdir()], ROOT),
    "ours, app only": () => timed("node", ["--import", "tsx", "main.ts"], ROOT, { CDKTF_OUTDIR: outdir() }),
    "slow way, full cdktf synth": () => timed("npx", ["cdktf", "synth", "--app", slowAppCommand, "--output", outdir()], ROOT),
    "slow way, app only": () =>
      timed("npx", ["ts-node", "--project", path.join(ROOT, "tsconfig.json"), slowApp], ROOT, { CDKTF_OUTDIR: outdir() }),
    // Invoked the same way as ours (npx), so the ratio compares the apps, not the launchers.
    "floor, one resource, full cdktf synth": () => timed("npx", ["cdktf", "synth", "--output", outdir()], floorDir),
  };
  if (typeof seed !== "string") {
    variants["AWS CDK seed, full cdk synth"] = () =>
      timed("npx", ["cdk", "synth", "--quiet", "--no-notices", "--no-version-reporting", "--output", outdir()], seed.dir, cdkEnv);
    variants["AWS CDK seed, app only"] = () => timed("node", ["app.js"], seed.dir, { ...cdkEnv, CDK_OUTDIR: outdir() });
  }
  // Warm the file cache and the archive cache once, unmeasured.
  variants["ours, app only"]();
  const samples: Record<string, number[]> = Object.fromEntries(Object.keys(variants).map((name) => [name, []]));
  for (let run = 0; run < RUNS; run++) {
    for (const [name, measure] of Object.entries(variants)) {
      step("bench:synth", `run ${run + 1}/${RUNS}: ${name}`);
      samples[name].push(measure());
    }
  }
  const median = (name: string) => percentile(samples[name], 50) / 1000;

  const out = process.stdout;
  out.write(`${machineLine()}\nmedian wall time of ${RUNS} runs, variants interleaved:\n`);
  for (const name of Object.keys(variants)) out.write(`  ${name.padEnd(40)} ${median(name).toFixed(2)} s\n`);
  out.write(`ratios:\n`);
  out.write(`  npm run synth:                ${median("ours, npm run synth").toFixed(2)} s (target <= 2 s)\n`);
  if (typeof seed === "string") {
    out.write(`  AWS CDK seed: not measured, ${seed}\n`);
  } else {
    out.write(
      `  AWS CDK seed cdk synth / ours npm run synth:   ${(median("AWS CDK seed, full cdk synth") / median("ours, npm run synth")).toFixed(2)}x\n`,
    );
    out.write(
      `  AWS CDK seed cdk synth / ours cdktf synth:     ${(median("AWS CDK seed, full cdk synth") / median("ours, full cdktf synth")).toFixed(2)}x\n`,
    );
    out.write(
      `  AWS CDK seed app only / ours app only:         ${(median("AWS CDK seed, app only") / median("ours, app only")).toFixed(2)}x\n`,
    );
  }
  out.write(
    `  ours full / floor:            ${(median("ours, full cdktf synth") / median("floor, one resource, full cdktf synth")).toFixed(2)}x (target <= 1.3x)\n`,
  );
  out.write(`  ours app only:                ${median("ours, app only").toFixed(2)} s (target < 1.5 s)\n`);
  out.write(`  slow way / ours, full synth:  ${(median("slow way, full cdktf synth") / median("ours, full cdktf synth")).toFixed(2)}x\n`);
  out.write(`  slow way / ours, app only:    ${(median("slow way, app only") / median("ours, app only")).toFixed(2)}x\n`);

  if (!args.flag("skip-tests")) {
    const test = await runLong("bench:synth: npm test, elapsed", "npm", ["test", "--silent"], { cwd: ROOT, env });
    if (test.status !== 0) throw new Error(`npm test failed:\n${test.stderr}${test.stdout}`);
    const testSeconds = test.wallMs / 1000;
    out.write(
      `npm test (whole suite, every tier, warm caches): ${testSeconds.toFixed(1)} s (target <= 3 min: npm run bench:test measures a cold fresh clone)\n`,
    );
  }
  rmSync(BENCH_DIR, { recursive: true, force: true });
}

runCli(CLI, main);
