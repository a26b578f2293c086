import { spawnSync } from "node:child_process";
import * as path from "node:path";

const ROOT = path.resolve(__dirname, "..");

describe("npm run soak", () => {
  test("with every kind of fault, loses nothing and stores nothing twice, before and after redrive", () => {
    const result = spawnSync(process.execPath, ["--import", "tsx", "scripts/local/soak.ts", "--events", "60", "--fault-rate", "0.5", "--seed", "7"], {
      cwd: ROOT, encoding: "utf8", timeout: 90_000,
    });
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    const lines = result.stdout.split("\n");
    const after = lines.find((l) => l.startsWith("after the run:"))!;
    const redriven = lines.find((l) => l.startsWith("after redrive:"))!;
    expect(after).toMatch(/published 60, recorded \d+, duplicates stored 0, captured for redrive [1-9]\d*, lost 0$/);
    expect(redriven).toMatch(/duplicates stored 0, captured for redrive \d+, lost 0$/);
    // Everything captured but the invalid records is recorded by the redrive.
    const invalid = Number(/invalidRecord\s+(\d+)/.exec(result.stdout)![1]);
    expect(redriven).toContain(`captured for redrive ${invalid}, lost 0`);
    expect(lines).toContain("result: nothing lost, nothing stored twice");
  });

  test("with an EXPRESS workflow too: lost 0 and duplicates 0 before and after redrive", () => {
    const result = spawnSync(process.execPath, ["--import", "tsx", "scripts/local/soak.ts", "--events", "40", "--fault-rate", "0.5", "--seed", "3", "--workflow-type", "express"], {
      cwd: ROOT, encoding: "utf8", timeout: 90_000,
    });
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    expect(result.stdout).toContain("soak: express workflow, 40 events");
    expect(result.stdout).toMatch(/after redrive: .*duplicates stored 0, captured for redrive \d+, lost 0/);
  });

  test("rejects a fault rate outside 0..1 with one line and exit 2", () => {
    const result = spawnSync(process.execPath, ["--import", "tsx", "scripts/local/soak.ts", "--fault-rate", "2"], { cwd: ROOT, encoding: "utf8" });
    expect(result.status).toBe(2);
    expect(result.stderr).toBe("--fault-rate: \"2\" is not allowed; expected a number from 0 to 1; usage: npm run soak -- [--events N] [--fault-rate 0..1] [--concurrency N] [--seed N] [--workflow-type standard|express]\n");
  });
});
