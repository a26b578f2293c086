import { Construct } from "constructs";
import { LocalBackend, S3Backend, TerraformOutput, TerraformStack } from "cdktf";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { S3Bucket } from "@cdktf/provider-aws/lib/s3-bucket";
import { S3BucketLifecycleConfiguration } from "@cdktf/provider-aws/lib/s3-bucket-lifecycle-configuration";
import { S3BucketOwnershipControls } from "@cdktf/provider-aws/lib/s3-bucket-ownership-controls";
import { S3BucketPolicy } from "@cdktf/provider-aws/lib/s3-bucket-policy";
import { S3BucketPublicAccessBlock } from "@cdktf/provider-aws/lib/s3-bucket-public-access-block";
import { S3BucketServerSideEncryptionConfigurationA } from "@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration";
import { S3BucketVersioningA } from "@cdktf/provider-aws/lib/s3-bucket-versioning";
import { accountContext } from "./constructs/account";
import { EncryptionKey } from "./constructs/encryption-key";
import { PROJECT_TAG, STATE_BUCKET_STACK, STATE_KEY_ALIAS_NAME } from "./names";

export { STATE_BUCKET_STACK } from "./names";
/** The bucket's name when none is configured: followed by `<account id>-<region>`, so it is the same from any clone. */
export const DERIVED_BUCKET_PREFIX = "message-recorder-tfstate-";
/** Key of this stack's own state once it lives in the bucket (apart from the pipelines' `message-recorder/<env>/`). */
export const BOOTSTRAP_STATE_KEY = `${STATE_BUCKET_STACK}/terraform.tfstate`;
/** Old state versions are kept this long for recovery, then expire. */
const NONCURRENT_VERSION_DAYS = 90;

export interface StateBucketStackProps {
  readonly region: string;
  /**
   * The bucket, once it exists: this stack then keeps its own state in it (key `message-recorder-state/terraform.tfstate`),
   * so every clone configured with the name finds the state and plans no new bucket.
   * @default `message-recorder-tfstate-<account id>-<region>`, the account read at plan time, and the state kept
   * locally in the stack's own folder until it is migrated into the bucket (docs/deploying.md, "Bootstrap the state bucket")
   */
  readonly bucketName?: string;
}

/**
 * Bootstrap: the S3 bucket that holds the pipeline stacks' state. Its name is deterministic (configured, or derived
 * from the account and region), so a second run never creates a second bucket. Its own state starts in
 * `terraform.tfstate` inside the stack folder (a relative path: the folder stays self-contained and movable, and
 * `cdktf synth` keeps the files Terraform adds there) and moves into the bucket it created with
 * `terraform init -migrate-state` once `state.bucket` names it.
 */
export class StateBucketStack extends TerraformStack {
  constructor(scope: Construct, id: string, props: StateBucketStackProps) {
    super(scope, id);
    new AwsProvider(this, "aws", {
      region: props.region,
      defaultTags: [{ tags: { project: PROJECT_TAG, "managed-by": "cdktf" } }],
    });
    let bucketName: string;
    if (props.bucketName) {
      bucketName = props.bucketName;
      new S3Backend(this, {
        bucket: bucketName,
        key: BOOTSTRAP_STATE_KEY,
        region: props.region,
        encrypt: true,
        kmsKeyId: `alias/${STATE_KEY_ALIAS_NAME}`,
      });
      // S3-native locking (Terraform 1.10+), as for the pipeline stacks; cdktf 0.21's S3Backend has no property for it.
      this.addOverride("terraform.backend.s3.use_lockfile", true);
    } else {
      // Relative to the stack's working directory, so the folder stays self-contained. cdktf's default would be
      // an absolute path, which breaks relocating the folder.
      new LocalBackend(this, { path: "terraform.tfstate" });
      // The same account data source the key policy reads (one per stack).
      bucketName = `${DERIVED_BUCKET_PREFIX}${accountContext(this).accountId}-${props.region}`;
    }

    const bucket = new S3Bucket(this, "bucket", {
      bucket: bucketName,
      lifecycle: { preventDestroy: true },
    });
    const versioning = new S3BucketVersioningA(this, "versioning", { bucket: bucket.id, versioningConfiguration: { status: "Enabled" } });
    // State holds every resource's attributes: encrypted with a key of its own (CKV_AWS_145, AVD-AWS-0132). Only
    // IAM principals of the account that are granted kms:Decrypt/GenerateDataKey on it can read or write state;
    // the bucket key keeps KMS requests to about one per object per hour.
    // https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucket-key.html
    const stateKey = new EncryptionKey(this, "state-key", {
      aliasName: STATE_KEY_ALIAS_NAME,
      description: "Encrypts the Terraform state of the message recorder",
    });
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
        Statement: [
          {
            Sid: "DenyInsecureTransport",
            Effect: "Deny",
            Principal: "*",
            Action: "s3:*",
            Resource: [bucket.arn, `${bucket.arn}/*`],
            Condition: { Bool: { "aws:SecureTransport": "false" } },
          },
        ],
      }),
    });
    new S3BucketLifecycleConfiguration(this, "lifecycle", {
      bucket: bucket.id,
      rule: [
        {
          id: "expire-old-state-versions",
          status: "Enabled",
          filter: [{ prefix: "" }],
          noncurrentVersionExpiration: [{ noncurrentDays: NONCURRENT_VERSION_DAYS }],
          abortIncompleteMultipartUpload: [{ daysAfterInitiation: 7 }],
        },
      ],
      // Noncurrent-version rules only mean something once versioning is on.
      dependsOn: [versioning],
    });

    new TerraformOutput(this, "state_bucket_name", {
      description: "Set as state.bucket in cdktf.json (context.recorder.defaults), then migrate this stack's state into it",
      value: bucket.bucket,
    });
    new TerraformOutput(this, "state_bucket_region", { value: props.region });
  }
}
