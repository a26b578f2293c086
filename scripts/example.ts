import { spawnSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import * as path from "node:path";
import { defineCli, runCli, UsageError } from "./cli/args";

/**
 * npm run example -- <name>: synthesizes examples/<name>/main.ts into cdktf.out/examples/<name>.
 */
const ROOT = path.resolve(__dirname, "..");
const examples = readdirSync(path.join(ROOT, "examples"), { withFileTypes: true })
  .filter((entry) => entry.isDirectory() && existsSync(path.join(ROOT, "examples", entry.name, "main.ts")))
  .map((entry) => entry.name);
const CLI = defineCli({
  command: "npm run example --",
  summary: "Synthesizes an example composition of the constructs (examples/<name>/main.ts) into cdktf.out/examples/<name>.",
  positionals: [{ name: "name", description: `the example: ${examples.join(", ")}`, required: true }],
  options: {},
  examples: examples.map((name) => `npm run example -- ${name}`),
});

runCli(CLI, () => {
  const [name] = CLI.parse(process.argv.slice(2)).positionals;
  if (!examples.includes(name)) throw new UsageError(`no example ${JSON.stringify(name)}; expected one of ${examples.join(", ")}`);
  const outdir = path.join("cdktf.out", "examples", name);
  const run = spawnSync(process.execPath, ["--import", "tsx", path.join("examples", name, "main.ts")], {
    cwd: ROOT,
    stdio: "inherit",
    env: { ...process.env, EXAMPLE_OUTDIR: outdir },
  });
  if (run.status === 0) process.stdout.write(`synthesized ${outdir}/stacks\n`);
  process.exitCode = run.status ?? 1;
  return Promise.resolve();
});
