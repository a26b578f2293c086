import { spawnSync } from "node:child_process";
import * as path from "node:path";

const ROOT = path.resolve(__dirname, "..");
const runLocal = (...args: string[]) =>
  spawnSync(process.execPath, ["--import", "tsx", "scripts/local/run-event.ts", ...args], { cwd: ROOT, encoding: "utf8" });

describe("npm run local", () => {
  test("runs the README's sample event to Job Succeed and prints the transitions and the stored item", () => {
    const result = runLocal("examples/sample-event.json");
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/StateEntered +Record Message\n[\s\S]*StateEntered +Check Status\?\n[\s\S]*StateEntered +Job Succeed/);
    expect(result.stdout).toContain("execution: SUCCEEDED");
    expect(result.stdout).toMatch(/stored item: \{\n\s+"messageId": \{\n\s+"S": "cdd51245-987a-b3c7-eecf-6d6d63046073"/);
  });

  test("rejects missing arguments with the usage line and exit code 2", () => {
    const result = runLocal();
    expect(result.status).toBe(2);
    expect(result.stderr.trim()).toBe("usage: npm run local -- <event.json> [--stack-dir <synthesized stack folder>]");
  });
});
