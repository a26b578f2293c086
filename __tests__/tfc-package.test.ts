import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { temporaryDirectory } from "../scripts/temp-dir";

const ROOT = path.resolve(__dirname, "..");
const CLOUD = { RECORDER_BACKEND: "cloud", RECORDER_TFC_ORGANIZATION: "acme", RECORDER_TFC_WORKSPACE: "message-recorder" };
const runPackage = (env: Record<string, string>, ...args: string[]) =>
  spawnSync(process.execPath, ["--import", "tsx", "scripts/tfc/package.ts", ...args], {
    cwd: ROOT,
    encoding: "utf8",
    env: { ...process.env, ...env },
  });

describe("npm run package:tfc (errors; the package itself is proven in the Terraform tier)", () => {
  test("rejects an environment whose state is in S3, saying which settings make it a Terraform Cloud one", () => {
    const result = runPackage({ RECORDER_BACKEND: "s3" }, "dev");
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(
      /^environment dev keeps its state in S3 \(backend s3\); package:tfc needs backend cloud: set state.backend, state.tfcOrganization and state.tfcWorkspace or state.tfcWorkspaceTags \(cdktf.json or RECORDER_\*\); usage: .*\n$/,
    );
  });

  test("rejects an unknown environment, naming the configured ones", () => {
    expect(runPackage(CLOUD, "prod").stderr).toMatch(/^environment "prod" is not configured; expected one of dev; usage:.*\n$/);
  });

  test("refuses to overwrite a folder that is not a previous package", () => {
    const out = temporaryDirectory("tfc-out");
    mkdirSync(path.join(out, "src"));
    writeFileSync(path.join(out, "main.ts"), "");
    const result = runPackage(CLOUD, "dev", "--out", out);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(
      new RegExp(
        `^--out: ${out} is not empty and holds no cdk.tf.json, so it is not a previous package; choose a new or empty folder; usage:`,
      ),
    );
  });
});
