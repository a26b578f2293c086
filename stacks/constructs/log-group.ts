import { Construct } from "constructs";
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { EncryptionKey } from "./encryption-key";

export interface LogGroupProps {
  readonly name: string;
  readonly retentionInDays: number;
  /** Encrypts the log group with this key, which then admits CloudWatch Logs for it. @default CloudWatch Logs' own encryption */
  readonly encryptionKey?: EncryptionKey;
}

/**
 * A log group with retention, encrypted with the environment's key when there is one. Created in `scope` with
 * the given id, so the resource keeps the address a plain CloudwatchLogGroup had there.
 */
export function createLogGroup(scope: Construct, id: string, props: LogGroupProps): CloudwatchLogGroup {
  const key = props.encryptionKey;
  // CloudWatch Logs encrypts with the key as its regional service principal, for the log groups named in the
  // encryption context only; one statement for every log group of the key (merged by Sid).
  // https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html#cmk-permissions
  key?.addToResourcePolicy({
    Sid: "CloudWatchLogsUsesTheKeyForTheseLogGroups",
    Effect: "Allow",
    Principal: { Service: `logs.${key.account.region}.amazonaws.com` },
    Action: ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
    Resource: "*",
    Condition: { ArnEquals: { "kms:EncryptionContext:aws:logs:arn": [key.logGroupArn(props.name)] } },
  });
  return new CloudwatchLogGroup(scope, id, {
    name: props.name,
    retentionInDays: props.retentionInDays,
    ...(props.encryptionKey ? { kmsKeyId: props.encryptionKey.keyArn } : {}),
  });
}
