import { spawnSync } from "node:child_process";
import * as path from "node:path";

const ROOT = path.resolve(__dirname, "..");

describe("npm run soak", () => {
  test("with every kind of fault and edge, loses nothing, stores nothing twice and alters nothing, before and after redrive", () => {
    const result = spawnSync(
      process.execPath,
      ["--import", "tsx", "scripts/local/soak.ts", "--events", "80", "--fault-rate", "0.7", "--seed", "7"],
      {
        cwd: ROOT,
        encoding: "utf8",
        timeout: 90_000,
      },
    );
    // Progress on stderr, as plain lines off a terminal: the first before any work, then the counts of each step.
    const progress = result.stderr.split("\n");
    expect(progress[0]).toBe("soak: synthesizing the first environment as standard and starting the offline pipeline");
    expect(progress).toContainEqual(expect.stringMatching(/^soak: published: 80\/80 \(100%\), \d+ s: every execution ended$/));
    // Reconcile's counter counts the archived events it checked, as its summary does.
    const archived = /archived in the window (\d+)/.exec(result.stdout)![1];
    expect(progress).toContainEqual(
      expect.stringMatching(new RegExp(`^soak: reconcile against the archive, events checked: ${archived}, \\d+ s$`)),
    );
    expect(result.stderr).not.toContain("\r");
    expect(result.status).toBe(0);
    const lines = result.stdout.split("\n");
    const after = lines.find((l) => l.startsWith("after the run:"))!;
    const redriven = lines.find((l) => l.startsWith("after redrive:"))!;
    expect(after).toMatch(
      /published 80, recorded \d+, duplicates stored 0, conflicts kept \d+, altered 0, captured for redrive [1-9]\d*, in the archive only \d+, lost 0$/,
    );
    expect(redriven).toMatch(
      /duplicates stored 0, conflicts kept \d+, altered 0, captured for redrive \d+, in the archive only \d+, lost 0$/,
    );
    // Every edge was exercised: this seed plans each kind at least once.
    const planned = (kind: string) => Number(new RegExp(`${kind}\\s+(\\d+)`).exec(result.stdout)![1]);
    for (const kind of ["invalidRecord", "impossibleDate", "conflict", "largestMessage", "retriedPost", "lostToDeadLetter"])
      expect(planned(kind)).toBeGreaterThan(0);
    // Everything captured but the records that can never be recorded is recorded by the redrive; conflicts stay kept;
    // what EventBridge could not even dead-letter is only in the archive until reconcile.
    expect(redriven).toContain(
      `conflicts kept ${planned("conflict")}, altered 0, captured for redrive ${planned("invalidRecord") + planned("impossibleDate")}, in the archive only ${planned("lostToDeadLetter")}, lost 0`,
    );
    // Reconcile, counted against the archive: it records exactly those, and nothing archived is lost.
    expect(lines.find((l) => l.startsWith("reconcile:"))).toMatch(new RegExp(`recorded now ${planned("lostToDeadLetter")}, kept`));
    expect(lines.find((l) => l.startsWith("against the archive:"))).toMatch(/, lost 0$/);
    expect(lines).toContain("result: nothing lost, nothing stored twice");
  });

  test("with an EXPRESS workflow too: lost 0 and duplicates 0 before and after redrive", () => {
    const result = spawnSync(
      process.execPath,
      ["--import", "tsx", "scripts/local/soak.ts", "--events", "40", "--fault-rate", "0.5", "--seed", "3", "--workflow-type", "express"],
      {
        cwd: ROOT,
        encoding: "utf8",
        timeout: 90_000,
      },
    );
    expect(result.stderr).toMatch(/^soak: synthesizing the first environment as express/);
    expect(result.status).toBe(0);
    expect(result.stdout).toContain("soak: express workflow, 40 events");
    expect(result.stdout).toMatch(
      /after redrive: .*duplicates stored 0, conflicts kept \d+, altered 0, captured for redrive \d+, in the archive only \d+, lost 0/,
    );
    expect(result.stdout).toMatch(/^against the archive: .*, lost 0$/m);
    expect(result.stdout).toContain("result: nothing lost, nothing stored twice");
  });

  test("rejects a fault rate outside 0..1 with one line and exit 2", () => {
    const result = spawnSync(process.execPath, ["--import", "tsx", "scripts/local/soak.ts", "--fault-rate", "2"], {
      cwd: ROOT,
      encoding: "utf8",
    });
    expect(result.status).toBe(2);
    expect(result.stderr).toBe(
      '--fault-rate: "2" is not allowed; expected a share from 0 to 1 (0.25 for a quarter); usage: npm run soak -- [--events N] [--fault-rate F] [--concurrency N] [--seed N] [--workflow-type T]\n',
    );
  });
});
