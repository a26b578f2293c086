import { spawnSync } from "node:child_process";
import * as path from "node:path";

/**
 * `npm test` type-checks as one of its files rather than before Jest starts: the check (the longest single step
 * of a cold run) then overlaps the other worker's files, and a narrowed run (`npm test -- <file>`) skips it.
 * Incremental, so a second run in the same checkout only re-checks what changed (.build/ is git-ignored).
 */
const ROOT = path.resolve(__dirname, "..");

test("the project type-checks: tsc --noEmit over everything tsconfig.json includes", () => {
  const result = spawnSync(
    process.execPath,
    [
      require.resolve("typescript/bin/tsc"),
      "--noEmit",
      "--incremental",
      "--tsBuildInfoFile",
      path.join(ROOT, ".build", "tsc.tsbuildinfo"),
      "-p",
      ROOT,
    ],
    {
      cwd: ROOT,
      encoding: "utf8",
    },
  );
  expect(`${result.stdout}${result.stderr}`).toBe("");
  expect(result.status).toBe(0);
}, 120_000);
