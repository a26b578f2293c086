import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";

const created: string[] = [];
let cleanupRegistered = false;

/**
 * A new temporary folder that is removed when the process exits, so synths, unpacked archives and Terraform
 * copies made by scripts and tests do not pile up in the system's temporary folder. Under a test run it is
 * created in the run's own folder (MESSAGE_RECORDER_TEST_TMPDIR), which the run removes as a whole at its end, since
 * Jest may stop its workers without an orderly exit.
 */
export function temporaryDirectory(prefix: string): string {
  const dir = mkdtempSync(path.join(process.env.MESSAGE_RECORDER_TEST_TMPDIR ?? tmpdir(), `${prefix}-`));
  created.push(dir);
  if (!cleanupRegistered) {
    cleanupRegistered = true;
    process.once("exit", () => {
      for (const each of created) rmSync(each, { recursive: true, force: true });
    });
  }
  return dir;
}
