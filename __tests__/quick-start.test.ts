import { execFileSync, spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { temporaryDirectory } from "../scripts/temp-dir";
import { readmeCommands } from "./support/readme-commands";

/**
 * Walks README's quick start as a new user would: in a fresh copy of the repository (what `git ls-files` holds,
 * committed as a new repository), with an environment that has none of the variables this machine or the test
 * run sets (CHECKPOINT_DISABLE, CI, TF_*, RECORDER_*, ...), and fails on any ERROR line or stack trace.
 */
const ROOT = path.resolve(__dirname, "..");
const STACK_TRACE = /^\s+at .+(:\d+:\d+\)?|\(native\))$/m;
const ERROR_LINE = /^.*\bERROR\b.*$/m;

/** What a user's shell has: a PATH without this project's node_modules/.bin, a HOME, a locale. Nothing else. */
function userEnv(): NodeJS.ProcessEnv {
  const keep = ["HOME", "USER", "LANG", "LC_ALL", "TMPDIR", "SHELL", "TERM"];
  const env: NodeJS.ProcessEnv = {
    PATH: (process.env.PATH ?? "")
      .split(path.delimiter)
      .filter((dir) => !dir.includes("node_modules"))
      .join(path.delimiter),
  };
  for (const name of keep) if (process.env[name] !== undefined) env[name] = process.env[name];
  return env;
}

/** A new repository holding the working tree's tracked and untracked-but-not-ignored files, node_modules shared. */
function freshClone(): string {
  const clone = path.join(temporaryDirectory("quick-start"), "recorder");
  mkdirSync(clone);
  const files = execFileSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], { cwd: ROOT, encoding: "utf8" })
    .split("\0")
    .filter(Boolean);
  for (const file of files) {
    if (!existsSync(path.join(ROOT, file))) continue;
    mkdirSync(path.dirname(path.join(clone, file)), { recursive: true });
    cpSync(path.join(ROOT, file), path.join(clone, file));
  }
  const git = (...args: string[]) =>
    execFileSync("git", ["-c", "user.name=test", "-c", "user.email=test@example.com", ...args], { cwd: clone, stdio: "ignore" });
  git("init", "-q");
  git("add", "-A");
  git("commit", "-qm", "snapshot");
  // A symlink is not matched by .gitignore's `node_modules/`, which only a real install would be.
  writeFileSync(path.join(clone, ".git", "info", "exclude"), "/node_modules\n");
  // `npm ci` is the one step not repeated: the clone shares this checkout's installed node_modules.
  symlinkSync(path.join(ROOT, "node_modules"), path.join(clone, "node_modules"), "dir");
  return clone;
}

/** README's command as the walk runs it: `npm test` narrowed to one file, since this test is part of `npm test`. */
function asRun(command: string): string {
  return command === "npm test" ? "npm test -- __tests__/config.test.ts" : command;
}

describe("README's quick start, walked in a fresh clone with no extra variables", () => {
  let clone: string;
  const env = userEnv();
  const run = (command: string) =>
    spawnSync("sh", ["-c", command], { cwd: clone, env, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], timeout: 240_000 });

  beforeAll(() => {
    clone = freshClone();
  });

  test("every quick-start command succeeds with no ERROR line and no stack trace, and leaves git status clean", () => {
    const commands = readmeCommands("Quick start")
      .map((c) => c.command)
      .filter((command) => command !== "npm ci");
    expect(commands).toEqual(["npm test", "npm run synth", "npm run local -- examples/sample-event.json"]);
    for (const command of commands) {
      const result = run(asRun(command));
      const output = `${result.stdout}\n${result.stderr}`;
      expect({ command, status: result.status, error: ERROR_LINE.exec(output)?.[0], trace: STACK_TRACE.exec(output)?.[0] }).toEqual({
        command,
        status: 0,
        error: undefined,
        trace: undefined,
      });
    }
    expect(existsSync(path.join(clone, "cdktf.out", "stacks", "message-recorder-dev", "cdk.tf.json"))).toBe(true);
    expect(execFileSync("git", ["status", "--porcelain"], { cwd: clone, encoding: "utf8" })).toBe("");
    // Three commands, two synths among them: longer than Jest's default on a busy machine.
  }, 300_000);

  test("a malformed cdktf.json stops synth, local and cost in one line that names the file, with no stack trace", () => {
    writeFileSync(path.join(clone, "cdktf.json"), '{"language": "typescript", "context": {');
    try {
      for (const command of [
        "npm run --silent synth",
        "npm run --silent local -- examples/sample-event.json",
        "npm run --silent cost -- --events-per-month 1000",
      ]) {
        const result = run(command);
        expect({ command, status: result.status, stdout: result.stdout }).toEqual({ command, status: 1, stdout: "" });
        expect({ command, stderr: result.stderr }).toEqual({
          command,
          stderr: expect.stringMatching(/^Invalid configuration: cdktf\.json: not valid JSON \([^\n]+\)\n$/),
        });
      }
    } finally {
      execFileSync("git", ["checkout", "--", "cdktf.json"], { cwd: clone });
    }
  });
});
