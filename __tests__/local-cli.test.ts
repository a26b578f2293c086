import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { temporaryDirectory } from "../scripts/temp-dir";
import { synthAppToDisk } from "./support/synth";

const ROOT = path.resolve(__dirname, "..");
const USAGE = "usage: npm run local -- <event.json> [--stack-dir DIR]";
const runLocal = (...args: string[]) =>
  spawnSync(process.execPath, ["--import", "tsx", "scripts/local/run-event.ts", ...args], { cwd: ROOT, encoding: "utf8" });

/** A file with this content in a temporary folder. */
function fileWith(name: string, content: string): string {
  const file = path.join(temporaryDirectory("local-cli"), name);
  writeFileSync(file, content);
  return file;
}

describe("npm run local", () => {
  test("runs the README's sample event to Job Succeed and prints the transitions and the stored item", () => {
    const result = runLocal("examples/sample-event.json");
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/StateEntered +Record Message\n[\s\S]*StateEntered +Check Status\?\n[\s\S]*StateEntered +Job Succeed/);
    expect(result.stdout).toContain("execution: SUCCEEDED");
    expect(result.stdout).toMatch(/stored item: \{\n\s+"messageId": \{\n\s+"S": "cdd51245-987a-b3c7-eecf-6d6d63046073"/);
  });

  test("ends with the route the event took and where it rests, and exits 0 only when the event was recorded", () => {
    const sample = JSON.parse(readFileSync(path.join(ROOT, "examples", "sample-event.json"), "utf8"));
    const stackDir = path.join(synthAppToDisk(), "stacks", "message-recorder-dev");
    const lastLines = (result: { stdout: string }) => result.stdout.trimEnd().split("\n").slice(-2);

    const recorded = runLocal("examples/sample-event.json", "--stack-dir", stackDir);
    expect(recorded.status).toBe(0);
    expect(lastLines(recorded)).toEqual([
      "route: bus commonbus-dev -> rule sfnCommonEventProcessorRule-dev -> state machine MessageRecorder-dev (SUCCEEDED) -> table MessagesTable-dev",
      "rests in: the table MessagesTable-dev, item cdd51245-987a-b3c7-eecf-6d6d63046073 (exit 0: recorded)",
    ]);

    const invalid = runLocal(
      fileWith("invalid.json", JSON.stringify({ ...sample, time: "2022-02-30T00:00:00Z" })),
      "--stack-dir",
      stackDir,
    );
    expect(invalid.status).toBe(1);
    expect(lastLines(invalid)).toEqual([
      "route: bus commonbus-dev -> rule sfnCommonEventProcessorRule-dev -> state machine MessageRecorder-dev (FAILED: InvalidRecord) -> failed-executions queue MessageRecorder-dev-failed-executions",
      "rests in: the failed-executions queue MessageRecorder-dev-failed-executions: npm run redrive keeps or records it (exit 1: not recorded)",
    ]);

    const unmatched = runLocal(fileWith("unmatched.json", JSON.stringify({ ...sample, source: "other.app" })), "--stack-dir", stackDir);
    expect(unmatched.status).toBe(1);
    expect(lastLines(unmatched)).toEqual([
      'route: bus commonbus-dev -> no rule matched (source "other.app")',
      "rests in: nowhere: no rule of the stack matched the event, so nothing was started or kept (exit 1: not recorded)",
    ]);
  });

  test("shortens a large message in its output: a 300 KB message prints a few KB", () => {
    const sample = JSON.parse(readFileSync(path.join(ROOT, "examples", "sample-event.json"), "utf8"));
    const stackDir = path.join(synthAppToDisk(), "stacks", "message-recorder-dev");
    const message = JSON.stringify({ text: "x".repeat(200_000) });
    const result = runLocal(
      fileWith("large.json", JSON.stringify({ ...sample, id: "large-1", detail: { message } })),
      "--stack-dir",
      stackDir,
    );
    expect(result.status).toBe(0);
    expect(result.stdout.length).toBeLessThan(5_000);
    expect(result.stdout).toContain(`... (${Buffer.byteLength(message)} bytes in all)`);
  });

  test("--help explains every argument and option on stdout and exits 0", () => {
    const result = runLocal("--help");
    expect(result.status).toBe(0);
    const lines = result.stdout.split("\n");
    expect(lines[0]).toBe(USAGE);
    expect(lines).toContain(
      "  --stack-dir DIR  a synthesized pipeline stack folder to run (default: the first configured environment, synthesized now into a temporary folder; e.g. cdktf.out/stacks/message-recorder-dev)",
    );
    expect(lines.some((line) => line.startsWith("  <event file>"))).toBe(true);
  });

  test("rejects missing arguments in one line with the usage and exit code 2", () => {
    const result = runLocal();
    expect(result.status).toBe(2);
    expect(result.stderr).toBe(`the event file is required; ${USAGE}\n`);
  });

  test("rejects a second event file, naming it", () => {
    const two = runLocal("examples/sample-event.json", "examples/sample-event.json");
    expect(two.status).toBe(2);
    expect(two.stderr).toMatch(/^unexpected argument "examples\/sample-event.json": one event file at a time; usage:.*\n$/);
  });

  test("rejects an event file that is missing or not JSON, naming the file", () => {
    const missing = runLocal("no-such-event.json");
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/^cannot read the event file no-such-event.json \(ENOENT\); usage:.*\n$/);
    const malformed = fileWith("broken.json", '{"id": ');
    expect(runLocal(malformed).stderr).toMatch(
      new RegExp(`^${malformed} is not valid JSON \\(.*\\); expected an EventBridge event as a JSON object.*\\n$`),
    );
  });

  test("rejects a --stack-dir that is the state bucket stack, naming the folder and what is expected", () => {
    const stateStack = path.join(synthAppToDisk(), "stacks", "message-recorder-state");
    const result = runLocal("examples/sample-event.json", "--stack-dir", stateStack);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(
      new RegExp(
        `^--stack-dir: ${stateStack} is not a pipeline stack \\(its cdk.tf.json has no state machine\\); expected a synthesized pipeline stack folder such as cdktf.out/stacks/message-recorder-dev; usage:.*\\n$`,
      ),
    );
  });
});
