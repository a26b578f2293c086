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
  props.encryptionKey?.allowCloudWatchLogs(props.name);
  return new CloudwatchLogGroup(scope, id, {
    name: props.name,
    retentionInDays: props.retentionInDays,
    ...(props.encryptionKey ? { kmsKeyId: props.encryptionKey.keyArn } : {}),
  });
}
