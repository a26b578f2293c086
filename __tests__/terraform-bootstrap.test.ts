import { cpSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { synthAppToDisk } from "./support/synth";
import { initValidatePlan, PlanResult, prepareOfflineCopy, terraform, terraformTierEnabled } from "./support/terraform";
import { temporaryDirectory } from "../scripts/temp-dir";

const enabled = terraformTierEnabled();
const describeTerraform = enabled ? describe : describe.skip;

describeTerraform("Terraform tier: bootstrap stack and the Terraform Cloud switch", () => {
  let outdir: string;
  let bootstrap: PlanResult;

  beforeAll(() => {
    // With the bucket configured, as a second clone has it: the name needs no account lookup, so it plans offline.
    outdir = synthAppToDisk({ env: { RECORDER_STATE_BUCKET: "acme-tf-state" } });
    bootstrap = initValidatePlan(prepareOfflineCopy(path.join(outdir, "stacks", "message-recorder-state")));
  });

  test("the bootstrap stack plans a versioned, encrypted, private, TLS-only state bucket", () => {
    expect(bootstrap.resources.map((r) => r.type).sort()).toEqual([
      "aws_s3_bucket",
      "aws_s3_bucket_lifecycle_configuration",
      "aws_s3_bucket_ownership_controls",
      "aws_s3_bucket_policy",
      "aws_s3_bucket_public_access_block",
      "aws_s3_bucket_server_side_encryption_configuration",
      "aws_s3_bucket_versioning",
    ]);
    const values = (type: string) => bootstrap.resources.find((r) => r.type === type)!.values;
    expect(values("aws_s3_bucket").bucket).toBe("acme-tf-state");
    expect(values("aws_s3_bucket_versioning").versioning_configuration).toEqual([expect.objectContaining({ status: "Enabled" })]);
    expect(values("aws_s3_bucket_public_access_block")).toMatchObject({ block_public_acls: true, block_public_policy: true, ignore_public_acls: true, restrict_public_buckets: true });
  });

  test("the first-run bootstrap folder (local state, derived name) validates after being moved elsewhere, unchanged", () => {
    const relocated = path.join(temporaryDirectory("relocated"), "somewhere", "else", "bootstrap");
    cpSync(path.join(synthAppToDisk(), "stacks", "message-recorder-state"), relocated, { recursive: true });
    terraform(relocated, ["init", "-input=false"]);
    expect(terraform(relocated, ["validate"])).toContain("The configuration is valid");
    // The backend Terraform initialized keeps the state inside the moved folder.
    const initialized = JSON.parse(readFileSync(path.join(relocated, ".terraform", "terraform.tfstate"), "utf8"));
    expect(initialized.backend).toMatchObject({ type: "local", config: { path: "terraform.tfstate" } });
  });

  test("a stack with the cloud block loads and validates in Terraform", () => {
    const cloudOut = synthAppToDisk({ env: { RECORDER_BACKEND: "cloud", RECORDER_TFC_ORGANIZATION: "acme", RECORDER_TFC_WORKSPACE: "message-recorder" } });
    const workdir = temporaryDirectory("tf-cloud");
    cpSync(path.join(cloudOut, "stacks", "message-recorder-dev"), workdir, { recursive: true });
    const tf = JSON.parse(readFileSync(path.join(workdir, "cdk.tf.json"), "utf8"));
    // Terraform's documented cloud block arguments; `terraform init` would need app.terraform.io to check more.
    expect(Object.keys(tf.terraform.cloud).every((key) => ["organization", "hostname", "token", "workspaces"].includes(key))).toBe(true);
    expect(Object.keys(tf.terraform.cloud.workspaces)).toEqual(["name"]);
    terraform(workdir, ["init", "-input=false", "-backend=false"]);
    expect(terraform(workdir, ["validate"])).toContain("The configuration is valid");
  });
});
