import { spawnSync } from "node:child_process";
import { cpSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { temporaryDirectory } from "../scripts/temp-dir";

/** Runs the cdktf app the way `cdktf synth` does (cdktf.json's app command, its context, an output folder). */
const ROOT = path.resolve(__dirname, "..");
const cdktfJson = JSON.parse(readFileSync(path.join(ROOT, "cdktf.json"), "utf8")) as { app: string; context: unknown };
const SOURCES = ["main.ts", "stacks", "lambdas", "asl", "scripts", "cdktf.json", "package.json", "package-lock.json", "tsconfig.json"];

function runApp(projectDir: string, env: Record<string, string> = {}, outdir = path.join(projectDir, "cdktf.out")) {
  const [command, ...args] = cdktfJson.app.split(" ");
  return spawnSync(command, args, {
    cwd: projectDir,
    encoding: "utf8",
    env: { ...process.env, CDKTF_OUTDIR: outdir, CDKTF_CONTEXT_JSON: JSON.stringify(cdktfJson.context), ...env },
  });
}

/** A copy of the project's sources in a new folder, sharing node_modules. */
function cloneProject(): string {
  const dir = temporaryDirectory("recorder-clone");
  for (const entry of SOURCES) cpSync(path.join(ROOT, entry), path.join(dir, entry), { recursive: true });
  symlinkSync(path.join(ROOT, "node_modules"), path.join(dir, "node_modules"), "dir");
  return dir;
}

function filesUnder(dir: string): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  const walk = (current: string) => {
    for (const name of readdirSync(current)) {
      const full = path.join(current, name);
      if (statSync(full).isDirectory()) walk(full);
      else files.set(path.relative(dir, full), readFileSync(full));
    }
  };
  walk(dir);
  return files;
}

describe("the cdktf app", () => {
  let first: string;
  let second: string;

  beforeAll(() => {
    first = cloneProject();
    second = cloneProject();
    for (const dir of [first, second]) {
      const result = runApp(dir);
      if (result.status !== 0) throw new Error(`synth failed in ${dir}: ${result.stderr}`);
    }
  });

  test("two synths in two different folders give byte-identical output", () => {
    const a = filesUnder(path.join(first, "cdktf.out"));
    const b = filesUnder(path.join(second, "cdktf.out"));
    expect([...a.keys()].sort()).toEqual([...b.keys()].sort());
    expect([...a.keys()]).toContain(path.join("stacks", "message-recorder-dev", "cdk.tf.json"));
    const differing = [...a.keys()].filter((file) => !a.get(file)!.equals(b.get(file)!));
    expect(differing).toEqual([]);
  });

  test("no synthesized file holds an absolute path, and the stack's assets are inside its folder", () => {
    const stacksDir = path.join(first, "cdktf.out", "stacks");
    const files = filesUnder(stacksDir);
    for (const [file, content] of files) {
      const text = content.toString("latin1");
      expect({ file, hasProjectPath: text.includes(first) }).toEqual({ file, hasProjectPath: false });
      expect({ file, hasTmpPath: text.includes(tmpdir() + "/") }).toEqual({ file, hasTmpPath: false });
    }
    const tf = JSON.parse(files.get(path.join("message-recorder-dev", "cdk.tf.json"))!.toString("utf8"));
    const filename = Object.values(tf.resource.aws_lambda_function as Record<string, { filename: string }>)[0].filename;
    expect(files.has(path.join("message-recorder-dev", filename))).toBe(true);
  });

  test("run directly, without the context the cdktf CLI hands over, the app reads cdktf.json and synthesizes the same", () => {
    // A project whose cdktf.json says something the defaults do not, so ignoring the file would show.
    const project = cloneProject();
    const context = { recorder: { defaults: { region: "eu-west-1" }, environments: { dev: { logs: { retentionInDays: 30 } } } } };
    writeFileSync(path.join(project, "cdktf.json"), JSON.stringify({ ...cdktfJson, context }, null, 2));
    const [command, ...args] = cdktfJson.app.split(" ");
    const asCli = path.join(temporaryDirectory("cli-synth"), "cdktf.out");
    const direct = path.join(temporaryDirectory("direct-synth"), "cdktf.out");
    const env = { ...process.env };
    delete env.CDKTF_CONTEXT_JSON;
    expect(
      spawnSync(command, args, {
        cwd: project,
        encoding: "utf8",
        env: { ...env, CDKTF_OUTDIR: asCli, CDKTF_CONTEXT_JSON: JSON.stringify(context) },
      }).status,
    ).toBe(0);
    const result = spawnSync(command, args, { cwd: project, encoding: "utf8", env: { ...env, CDKTF_OUTDIR: direct } });
    expect(result.stderr).toBe("");
    const a = filesUnder(path.join(asCli, "stacks"));
    const b = filesUnder(path.join(direct, "stacks"));
    expect([...b.keys()].sort()).toEqual([...a.keys()].sort());
    expect([...a.keys()].filter((file) => !a.get(file)!.equals(b.get(file)!))).toEqual([]);
    expect(b.get(path.join("message-recorder-dev", "cdk.tf.json"))!.toString()).toContain('"retention_in_days": 30');
  });

  test("a bad configuration value stops synth with one line naming it, and no stack trace", () => {
    const result = runApp(first, { RECORDER_LOG_RETENTION_DAYS: "10" });
    expect(result.status).toBe(1);
    expect(result.stderr.trim().split("\n")).toEqual([
      'Invalid configuration: RECORDER_LOG_RETENTION_DAYS: "10" is not allowed; expected one of 0, 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653',
    ]);
  });
});
