import { spawnSync } from "node:child_process";
import { cpSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { synthAppToDisk } from "./support/synth";
import {
  OFFLINE_ACCOUNT_ID,
  offlineStsEndpoint,
  plan,
  PlanResult,
  providerMirror,
  terraform,
  terraformTierEnabled,
} from "./support/terraform";
import { temporaryDirectory } from "../scripts/temp-dir";

const enabled = terraformTierEnabled();

const describeTerraform = enabled ? describe : describe.skip;

describeTerraform("Terraform tier: bootstrap stack and the Terraform Cloud switch", () => {
  // One plan of the first-run folder serves every bootstrap assertion: a plan validates the configuration
  // first, and each plan costs three starts of the AWS provider.
  let relocated: string;
  let initializedBackend: unknown;
  let bootstrap: PlanResult;

  beforeAll(() => {
    relocated = path.join(temporaryDirectory("relocated"), "somewhere", "else", "bootstrap");
    cpSync(path.join(synthAppToDisk(), "stacks", "message-recorder-state"), relocated, { recursive: true });
    terraform(relocated, ["init", "-input=false"]);
    initializedBackend = JSON.parse(readFileSync(path.join(relocated, ".terraform", "terraform.tfstate"), "utf8")).backend;
    // The provider reads the account from a local STS at plan time; nothing else changes in the moved folder.
    writeFileSync(
      path.join(relocated, "offline_override.tf.json"),
      JSON.stringify({
        provider: {
          aws: [
            {
              skip_credentials_validation: true,
              skip_requesting_account_id: true,
              skip_metadata_api_check: true,
              endpoints: [{ sts: offlineStsEndpoint() }],
            },
          ],
        },
      }),
    );
    bootstrap = plan(relocated);
  }, 240_000);

  test("the bootstrap stack plans a versioned, encrypted, private, TLS-only state bucket", () => {
    expect(bootstrap.resources.map((r) => r.type).sort()).toEqual([
      "aws_kms_alias",
      "aws_kms_key",
      "aws_s3_bucket",
      "aws_s3_bucket_lifecycle_configuration",
      "aws_s3_bucket_ownership_controls",
      "aws_s3_bucket_policy",
      "aws_s3_bucket_public_access_block",
      "aws_s3_bucket_server_side_encryption_configuration",
      "aws_s3_bucket_versioning",
    ]);
    const values = (type: string) => bootstrap.resources.find((r) => r.type === type)!.values;
    expect(values("aws_s3_bucket_versioning").versioning_configuration).toEqual([expect.objectContaining({ status: "Enabled" })]);
    expect(values("aws_s3_bucket_public_access_block")).toMatchObject({
      block_public_acls: true,
      block_public_policy: true,
      ignore_public_acls: true,
      restrict_public_buckets: true,
    });
  });

  test("the first-run bootstrap folder (local state, derived name) inits and plans after being moved elsewhere, unchanged", () => {
    // The backend Terraform initialized keeps the state inside the moved folder.
    expect(initializedBackend).toMatchObject({ type: "local", config: { path: "terraform.tfstate" } });
    // And the bucket is named after the account, read at plan time.
    expect(bootstrap.resources.find((r) => r.address === "aws_s3_bucket.bucket")!.values.bucket).toBe(
      `message-recorder-tfstate-${OFFLINE_ACCOUNT_ID}-us-east-1`,
    );
  });

  test("npm run package:tfc writes a clean folder with the cloud block, the assets and a provider lock, which validates", () => {
    const out = path.join(temporaryDirectory("tfc"), "package");
    const result = spawnSync(process.execPath, ["--import", "tsx", "scripts/tfc/package.ts", "dev", "--out", out], {
      cwd: path.resolve(__dirname, ".."),
      encoding: "utf8",
      env: {
        ...process.env,
        RECORDER_BACKEND: "cloud",
        RECORDER_TFC_ORGANIZATION: "acme",
        RECORDER_TFC_WORKSPACE: "message-recorder",
        TF_PROVIDER_MIRROR: providerMirror(),
      },
    });
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    expect(readdirSync(out).sort()).toEqual([".gitignore", ".terraform.lock.hcl", "assets", "cdk.tf.json"]);
    expect(readFileSync(path.join(out, ".terraform.lock.hcl"), "utf8")).toMatch(
      /provider "registry.terraform.io\/hashicorp\/aws" \{\n\s+version\s+= "5.100.0"/,
    );
    const tf = JSON.parse(readFileSync(path.join(out, "cdk.tf.json"), "utf8"));
    // Terraform's documented cloud block arguments; `terraform init` would need app.terraform.io to check more.
    expect(Object.keys(tf.terraform.cloud).every((key) => ["organization", "hostname", "token", "workspaces"].includes(key))).toBe(true);
    expect(tf.terraform.cloud.workspaces).toEqual({ name: "message-recorder-dev" });
    terraform(out, ["init", "-input=false", "-backend=false"]);
    expect(terraform(out, ["validate"])).toContain("The configuration is valid");
  });
});
