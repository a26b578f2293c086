import { Testing } from "cdktf";
import { defineStacks } from "../stacks/app";
import { loadConfig } from "../stacks/config";
import { StateBucketStack } from "../stacks/state-bucket-stack";
import { onlyResource, testArchive, TerraformJson } from "./support/synth";

function synthBootstrap(bucketName?: string): TerraformJson {
  const app = Testing.app();
  return JSON.parse(
    Testing.synth(new StateBucketStack(app, "message-recorder-state", { region: "eu-west-1", bucketName })),
  ) as TerraformJson;
}

const tf = synthBootstrap();
const bucket = onlyResource(tf, "aws_s3_bucket");
const bucketRef = `\${aws_s3_bucket.${bucket.name}.id}`;

describe("state bucket (bootstrap) stack", () => {
  test("matches the snapshot", () => {
    expect(tf).toMatchSnapshot();
  });

  test("before the bucket is configured, keeps its own state inside its own folder, at a relative path", () => {
    expect(tf.terraform.backend).toEqual({ local: { path: "terraform.tfstate" } });
  });

  test("once the bucket is configured, keeps its own state in that bucket, under its own key, encrypted with the state key, with S3 locking", () => {
    // kms_key_id: with encrypt alone, Terraform would write every state object with SSE-S3, not under the state key.
    expect(synthBootstrap("acme-tf-state").terraform.backend).toEqual({
      s3: {
        bucket: "acme-tf-state",
        key: "message-recorder-state/terraform.tfstate",
        region: "eu-west-1",
        encrypt: true,
        kms_key_id: "alias/message-recorder-tfstate",
        use_lockfile: true,
      },
    });
  });

  test("the bucket name is deterministic: configured, or derived from the account (read at plan time) and region", () => {
    expect(bucket.body.lifecycle).toEqual({ prevent_destroy: true });
    expect(bucket.body.bucket_prefix).toBeUndefined();
    expect(bucket.body.bucket).toBe("message-recorder-tfstate-${data.aws_caller_identity.caller-identity.account_id}-eu-west-1");
    const configured = synthBootstrap("acme-tf-state");
    expect(onlyResource(configured, "aws_s3_bucket").body.bucket).toBe("acme-tf-state");
    expect(JSON.stringify(onlyResource(configured, "aws_s3_bucket").body)).not.toContain("caller_identity");
  });

  test("is not synthesized when every environment keeps its state in Terraform Cloud", () => {
    const cloud = loadConfig({ env: { RECORDER_BACKEND: "cloud", RECORDER_TFC_ORGANIZATION: "acme", RECORDER_TFC_WORKSPACE: "recorder" } });
    const app = Testing.app();
    const stacks = defineStacks(app, cloud, testArchive());
    expect(stacks.stateBucket).toBeUndefined();
    expect(app.node.children.map((child) => child.node.id)).toEqual(["message-recorder-dev"]);
    expect(defineStacks(Testing.app(), loadConfig({}), testArchive()).stateBucket).toBeDefined();
  });

  test("versioning is on", () => {
    expect(onlyResource(tf, "aws_s3_bucket_versioning").body).toMatchObject({
      bucket: bucketRef,
      versioning_configuration: { status: "Enabled" },
    });
  });

  test("objects are encrypted by default with the stack's own KMS key and a bucket key", () => {
    const key = onlyResource(tf, "aws_kms_key");
    expect(onlyResource(tf, "aws_s3_bucket_server_side_encryption_configuration").body.rule).toEqual([
      {
        apply_server_side_encryption_by_default: { sse_algorithm: "aws:kms", kms_master_key_id: `\${aws_kms_key.${key.name}.arn}` },
        bucket_key_enabled: true,
      },
    ]);
  });

  test("the state key rotates, is named message-recorder-tfstate and admits only the account's IAM policies", () => {
    const key = onlyResource(tf, "aws_kms_key");
    expect(key.body).toMatchObject({ enable_key_rotation: true, deletion_window_in_days: 30 });
    expect(onlyResource(tf, "aws_kms_alias").body.name).toBe("alias/message-recorder-tfstate");
    expect(JSON.parse(key.body.policy).Statement).toEqual([
      {
        Sid: "EnableIamPoliciesOfThisAccount",
        Effect: "Allow",
        Principal: {
          AWS: "arn:${data.aws_partition.partition.partition}:iam::${data.aws_caller_identity.caller-identity.account_id}:root",
        },
        Action: "kms:*",
        Resource: "*",
      },
    ]);
  });

  test("all public access is blocked", () => {
    expect(onlyResource(tf, "aws_s3_bucket_public_access_block").body).toMatchObject({
      bucket: bucketRef,
      block_public_acls: true,
      block_public_policy: true,
      ignore_public_acls: true,
      restrict_public_buckets: true,
    });
  });

  test("the bucket policy denies every request not made over TLS", () => {
    const statements = JSON.parse(onlyResource(tf, "aws_s3_bucket_policy").body.policy).Statement;
    expect(statements).toEqual([
      expect.objectContaining({
        Effect: "Deny",
        Principal: "*",
        Action: "s3:*",
        Condition: { Bool: { "aws:SecureTransport": "false" } },
      }),
    ]);
  });

  test("old state versions expire after 90 days, once versioning is on", () => {
    const lifecycle = onlyResource(tf, "aws_s3_bucket_lifecycle_configuration").body;
    expect(lifecycle.rule[0]).toMatchObject({ status: "Enabled", noncurrent_version_expiration: [{ noncurrent_days: 90 }] });
    expect(lifecycle.depends_on).toEqual([`aws_s3_bucket_versioning.${onlyResource(tf, "aws_s3_bucket_versioning").name}`]);
  });

  test("outputs the bucket name and region to configure, and no backend arguments for a global TF_CLI_ARGS_init", () => {
    expect(Object.keys(tf.output).sort()).toEqual(["state_bucket_name", "state_bucket_region"]);
    expect(tf.output.state_bucket_name.value).toBe(`\${aws_s3_bucket.${bucket.name}.bucket}`);
  });
});
