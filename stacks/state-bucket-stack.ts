import { Construct } from "constructs";
import { LocalBackend, TerraformOutput, TerraformStack } from "cdktf";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { S3Bucket } from "@cdktf/provider-aws/lib/s3-bucket";
import { S3BucketLifecycleConfiguration } from "@cdktf/provider-aws/lib/s3-bucket-lifecycle-configuration";
import { S3BucketOwnershipControls } from "@cdktf/provider-aws/lib/s3-bucket-ownership-controls";
import { S3BucketPolicy } from "@cdktf/provider-aws/lib/s3-bucket-policy";
import { S3BucketPublicAccessBlock } from "@cdktf/provider-aws/lib/s3-bucket-public-access-block";
import { S3BucketServerSideEncryptionConfigurationA } from "@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration";
import { S3BucketVersioningA } from "@cdktf/provider-aws/lib/s3-bucket-versioning";
import { EncryptionKey } from "./constructs/encryption-key";
import { PROJECT_TAG } from "./pipeline-stack";

export const STATE_BUCKET_STACK = "message-recorder-state";
/** Old state versions are kept this long for recovery, then expire. */
const NONCURRENT_VERSION_DAYS = 90;

export interface StateBucketStackProps {
  readonly region: string;
  /** Unset: AWS picks a unique name with the prefix `message-recorder-tfstate-`. */
  readonly bucketName?: string;
}

/**
 * Bootstrap: the S3 bucket that holds the pipeline stacks' state. Its own state stays local (it cannot live in
 * the bucket it creates), in the project folder, next to cdktf.json: keep that file safe or import the bucket.
 */
export class StateBucketStack extends TerraformStack {
  constructor(scope: Construct, id: string, props: StateBucketStackProps) {
    super(scope, id);
    new AwsProvider(this, "aws", {
      region: props.region,
      defaultTags: [{ tags: { project: PROJECT_TAG, "managed-by": "cdktf" } }],
    });
    // Relative to the stack's working directory (cdktf.out/stacks/<stack>): the project root, which survives
    // re-synthesis. cdktf's default would be an absolute path, which breaks relocating the folder.
    new LocalBackend(this, { path: `../../../terraform.${id}.tfstate` });

    const bucket = new S3Bucket(this, "bucket", {
      ...(props.bucketName ? { bucket: props.bucketName } : { bucketPrefix: "message-recorder-tfstate-" }),
      lifecycle: { preventDestroy: true },
    });
    const versioning = new S3BucketVersioningA(this, "versioning", { bucket: bucket.id, versioningConfiguration: { status: "Enabled" } });
    // State holds every resource's attributes: encrypted with a key of its own (CKV_AWS_145, AVD-AWS-0132). Only
    // IAM principals of the account that are granted kms:Decrypt/GenerateDataKey on it can read or write state;
    // the bucket key keeps KMS requests to about one per object per hour.
    // https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucket-key.html
    const stateKey = new EncryptionKey(this, "state-key", { aliasName: "message-recorder-tfstate", description: "Encrypts the Terraform state of the message recorder" });
    new S3BucketServerSideEncryptionConfigurationA(this, "encryption", {
      bucket: bucket.id,
      rule: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: stateKey.keyArn }, bucketKeyEnabled: true }],
    });
    new S3BucketPublicAccessBlock(this, "public-access-block", {
      bucket: bucket.id,
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    });
    new S3BucketOwnershipControls(this, "ownership", { bucket: bucket.id, rule: { objectOwnership: "BucketOwnerEnforced" } });
    new S3BucketPolicy(this, "tls-only", {
      bucket: bucket.id,
      policy: JSON.stringify({
        Version: "2012-10-17",
        Statement: [{
          Sid: "DenyInsecureTransport",
          Effect: "Deny",
          Principal: "*",
          Action: "s3:*",
          Resource: [bucket.arn, `${bucket.arn}/*`],
          Condition: { Bool: { "aws:SecureTransport": "false" } },
        }],
      }),
    });
    new S3BucketLifecycleConfiguration(this, "lifecycle", {
      bucket: bucket.id,
      rule: [{
        id: "expire-old-state-versions",
        status: "Enabled",
        filter: [{ prefix: "" }],
        noncurrentVersionExpiration: [{ noncurrentDays: NONCURRENT_VERSION_DAYS }],
        abortIncompleteMultipartUpload: [{ daysAfterInitiation: 7 }],
      }],
      // Noncurrent-version rules only mean something once versioning is on.
      dependsOn: [versioning],
    });

    new TerraformOutput(this, "state_bucket_name", { value: bucket.bucket });
    new TerraformOutput(this, "state_bucket_region", { value: props.region });
    new TerraformOutput(this, "backend_config", {
      description: "Pass to `terraform init` of a pipeline stack, or export as TF_CLI_ARGS_init",
      value: `-backend-config=bucket=${bucket.bucket} -backend-config=region=${props.region}`,
    });
  }
}
