import { spawnSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import * as path from "node:path";

/**
 * npm run example -- <name>: synthesizes examples/<name>/main.ts into cdktf.out/examples/<name>.
 */
const ROOT = path.resolve(__dirname, "..");
const examples = readdirSync(path.join(ROOT, "examples"), { withFileTypes: true })
  .filter((entry) => entry.isDirectory() && existsSync(path.join(ROOT, "examples", entry.name, "main.ts")))
  .map((entry) => entry.name);
const USAGE = `usage: npm run example -- <name>; examples: ${examples.join(", ")}`;
const [name, ...rest] = process.argv.slice(2);
if (name === "--help" || name === "-h") {
  process.stdout.write(`${USAGE}\n`);
} else if (!name || rest.length > 0 || !examples.includes(name)) {
  process.stderr.write(`${name ? `no example "${name}"` : "name an example"}; expected one of ${examples.join(", ")}; ${USAGE}\n`);
  process.exitCode = 2;
} else {
  const outdir = path.join("cdktf.out", "examples", name);
  const run = spawnSync(process.execPath, ["--import", "tsx", path.join("examples", name, "main.ts")], {
    cwd: ROOT,
    stdio: "inherit",
    env: { ...process.env, EXAMPLE_OUTDIR: outdir },
  });
  if (run.status === 0) process.stdout.write(`synthesized ${outdir}/stacks\n`);
  process.exitCode = run.status ?? 1;
}
