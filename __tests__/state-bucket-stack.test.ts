import { Testing } from "cdktf";
import { StateBucketStack } from "../stacks/state-bucket-stack";
import { onlyResource, TerraformJson } from "./support/synth";

function synthBootstrap(bucketName?: string): TerraformJson {
  const app = Testing.app();
  return JSON.parse(Testing.synth(new StateBucketStack(app, "message-recorder-state", { region: "eu-west-1", bucketName }))) as TerraformJson;
}

const tf = synthBootstrap();
const bucket = onlyResource(tf, "aws_s3_bucket");
const bucketRef = `\${aws_s3_bucket.${bucket.name}.id}`;

describe("state bucket (bootstrap) stack", () => {
  test("matches the snapshot", () => {
    expect(tf).toMatchSnapshot();
  });

  test("keeps its own state locally, at a relative path that survives re-synthesis", () => {
    expect(tf.terraform.backend).toEqual({ local: { path: "../../../terraform.message-recorder-state.tfstate" } });
  });

  test("the bucket is protected from destroy and named by AWS unless configured", () => {
    expect(bucket.body.lifecycle).toEqual({ prevent_destroy: true });
    expect(bucket.body.bucket_prefix).toBe("message-recorder-tfstate-");
    expect(onlyResource(synthBootstrap("acme-tf-state"), "aws_s3_bucket").body.bucket).toBe("acme-tf-state");
  });

  test("versioning is on", () => {
    expect(onlyResource(tf, "aws_s3_bucket_versioning").body).toMatchObject({ bucket: bucketRef, versioning_configuration: { status: "Enabled" } });
  });

  test("objects are encrypted by default", () => {
    expect(onlyResource(tf, "aws_s3_bucket_server_side_encryption_configuration").body.rule).toEqual([
      { apply_server_side_encryption_by_default: { sse_algorithm: "AES256" }, bucket_key_enabled: true },
    ]);
  });

  test("all public access is blocked", () => {
    expect(onlyResource(tf, "aws_s3_bucket_public_access_block").body).toMatchObject({
      bucket: bucketRef, block_public_acls: true, block_public_policy: true, ignore_public_acls: true, restrict_public_buckets: true,
    });
  });

  test("the bucket policy denies every request not made over TLS", () => {
    const statements = JSON.parse(onlyResource(tf, "aws_s3_bucket_policy").body.policy).Statement;
    expect(statements).toEqual([expect.objectContaining({
      Effect: "Deny", Principal: "*", Action: "s3:*", Condition: { Bool: { "aws:SecureTransport": "false" } },
    })]);
  });

  test("old state versions expire after 90 days, once versioning is on", () => {
    const lifecycle = onlyResource(tf, "aws_s3_bucket_lifecycle_configuration").body;
    expect(lifecycle.rule[0]).toMatchObject({ status: "Enabled", noncurrent_version_expiration: [{ noncurrent_days: 90 }] });
    expect(lifecycle.depends_on).toEqual([`aws_s3_bucket_versioning.${onlyResource(tf, "aws_s3_bucket_versioning").name}`]);
  });

  test("outputs the bucket name and the backend settings to use", () => {
    expect(Object.keys(tf.output).sort()).toEqual(["backend_config", "state_bucket_name", "state_bucket_region"]);
    expect(tf.output.backend_config.value).toBe(`-backend-config=bucket=\${aws_s3_bucket.${bucket.name}.bucket} -backend-config=region=eu-west-1`);
  });
});
