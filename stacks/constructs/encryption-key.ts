import { Construct } from "constructs";
import { Lazy } from "cdktf";
import { KmsAlias } from "@cdktf/provider-aws/lib/kms-alias";
import { KmsKey } from "@cdktf/provider-aws/lib/kms-key";
import { accountContext, arnOf } from "./account";
import { ResourcePolicyStatement } from "./secure-transport";
import { Grant, IGrantable, PolicyStatement } from "./grants";

/** KMS accepts a pending-deletion window of 7 to 30 days. */
export const KEY_DELETION_WINDOW_DAYS = { min: 7, max: 30 } as const;

export interface EncryptionKeyProps {
  /** The alias is `alias/<aliasName>`; name it after the environment so two environments never share one. */
  readonly aliasName: string;
  readonly description: string;
  /**
   * Days between scheduling the key's deletion and its deletion, during which it can be recovered.
   * Minimum value of 7. Maximum value of 30.
   * @default 30
   */
  readonly deletionWindowInDays?: number;
}

/**
 * The encryption attributes of an SQS queue: this key when there is one (the caller also registers its writers,
 * e.g. `allowEventBridgeFromRule`), SQS-managed keys (SSE-SQS) otherwise.
 */
export function queueEncryption(key?: EncryptionKey): { kmsMasterKeyId: string } | { sqsManagedSseEnabled: true } {
  return key ? { kmsMasterKeyId: key.keyArn } : { sqsManagedSseEnabled: true };
}

/** Key use a service needs to encrypt and decrypt data it stores on our behalf. */
const ENCRYPT_DECRYPT = ["kms:Decrypt", "kms:GenerateDataKey"];

/**
 * One symmetric customer-managed KMS key, rotated yearly, with an alias. Its key policy is rendered at synth from
 * what the owners of the encrypted resources registered (`allowXxx`), so a service principal is admitted only
 * because a resource that needs it exists, and only for that resource. IAM roles get key use from
 * `grantEncryptDecrypt`, on this key only.
 *
 * A key policy may not reference a resource that references the key (the log group's kms_key_id would make a
 * cycle): every ARN in it is built from the stack's account, partition and region and a known name.
 */
export class EncryptionKey extends Construct {
  public readonly keyArn: string;
  public readonly keyId: string;
  /** `alias/<aliasName>`. */
  public readonly aliasName: string;
  private readonly logGroupNames: string[] = [];
  private readonly eventBridgeRuleArns: string[] = [];
  private readonly alarmArnPatterns: string[] = [];
  private logDelivery = false;
  private readonly account: ReturnType<typeof accountContext>;

  constructor(scope: Construct, id: string, props: EncryptionKeyProps) {
    super(scope, id);
    const window = props.deletionWindowInDays ?? KEY_DELETION_WINDOW_DAYS.max;
    if (!Number.isInteger(window) || window < KEY_DELETION_WINDOW_DAYS.min || window > KEY_DELETION_WINDOW_DAYS.max) {
      throw new Error(`${this.node.path}: deletionWindowInDays must be an integer from ${KEY_DELETION_WINDOW_DAYS.min} to ${KEY_DELETION_WINDOW_DAYS.max}. Received: ${window}`);
    }
    // Created now: a data source cannot be added while the policy renders at synth.
    this.account = accountContext(this);
    const key = new KmsKey(this, "key", {
      description: props.description,
      enableKeyRotation: true,
      deletionWindowInDays: window,
      policy: Lazy.stringValue({ produce: () => this.renderPolicy() }),
    });
    const alias = new KmsAlias(this, "alias", { name: `alias/${props.aliasName}`, targetKeyId: key.keyId });
    this.keyArn = key.arn;
    this.keyId = key.keyId;
    this.aliasName = alias.name;
  }

  /**
   * Lets CloudWatch Logs encrypt and read this log group with the key; call it for every log group whose
   * kms_key_id is this key, or the log group cannot be created.
   */
  public allowCloudWatchLogs(logGroupName: string): void {
    if (!this.logGroupNames.includes(logGroupName)) this.logGroupNames.push(logGroupName);
  }

  /**
   * Lets the log delivery service decrypt what a service (Step Functions) vends to an encrypted log group.
   * Idempotent.
   */
  public allowLogDelivery(): void {
    this.logDelivery = true;
  }

  /**
   * Lets EventBridge use the key on behalf of this rule, to write to a queue encrypted with it (the rule's target
   * queue or its target's dead-letter queue). Which queue the rule may send to is the queue policy's business.
   */
  public allowEventBridgeFromRule(ruleArn: string): void {
    if (!this.eventBridgeRuleArns.includes(ruleArn)) this.eventBridgeRuleArns.push(ruleArn);
  }

  /**
   * Lets CloudWatch alarms whose name matches the pattern (e.g. `message-recorder-dev-*`) publish to a topic
   * encrypted with this key.
   */
  public allowCloudWatchAlarmsToTopic(alarmNamePattern: string): void {
    const arn = arnOf(this, "cloudwatch", `alarm:${alarmNamePattern}`);
    if (!this.alarmArnPatterns.includes(arn)) this.alarmArnPatterns.push(arn);
  }

  /**
   * Gives the role kms:Decrypt and kms:GenerateDataKey on this key only, under the conditions given (an
   * encryption context or kms:ViaService, so the role can use the key only for the resource it works on).
   */
  public grantEncryptDecrypt(grantee: IGrantable, sid: string, conditions: PolicyStatement["conditions"], actions: readonly string[] = ENCRYPT_DECRYPT): Grant {
    return Grant.addToPrincipal(grantee, { sid, actions, resources: [this.keyArn], ...(conditions ? { conditions } : {}) });
  }

  /**
   * Key use through CloudWatch Logs for a role that calls it on a log group encrypted with this key: "CloudWatch
   * Logs now supports kms:ViaService ... You should add this to your roles which call CloudWatch Logs". Writers get
   * the page's example actions, its wildcards spelt out (no IAM statement here has a wildcard action); a reader
   * needs only kms:Decrypt of them.
   * https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html
   */
  public grantThroughCloudWatchLogs(grantee: IGrantable, sid: string, access: "write" | "read"): Grant {
    const actions = access === "write" ? ["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey", "kms:GenerateDataKeyWithoutPlaintext", "kms:ReEncryptFrom", "kms:ReEncryptTo"] : ["kms:Decrypt"];
    return this.grantEncryptDecrypt(grantee, sid, this.viaService("logs"), actions);
  }

  /**
   * `kms:ViaService` for a service of this key's region, e.g. `sqs.<region>.amazonaws.com`; one region expression
   * per key, so the same grant made twice renders as one statement.
   */
  public viaService(service: string): { StringEquals: { "kms:ViaService": string } } {
    return { StringEquals: { "kms:ViaService": `${service}.${this.account.region}.amazonaws.com` } };
  }

  /** The ARN of a log group of this stack, as CloudWatch Logs puts it in the encryption context. */
  public logGroupArn(logGroupName: string): string {
    return arnOf(this, "logs", `log-group:${logGroupName}`);
  }

  private renderPolicy(): string {
    const { accountId, partition, region } = this.account;
    const statements: ResourcePolicyStatement[] = [
      {
        // Without this statement no IAM policy can grant use of the key, and the account could lock itself out.
        // https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html#key-policy-default-allow-root-enable-iam
        Sid: "EnableIamPoliciesOfThisAccount",
        Effect: "Allow",
        Principal: { AWS: `arn:${partition}:iam::${accountId}:root` },
        Action: "kms:*",
        Resource: "*",
      },
    ];
    if (this.logGroupNames.length > 0) {
      statements.push({
        // CloudWatch Logs encrypts with the key as its regional service principal, for the log groups named in the
        // encryption context only.
        // https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html#cmk-permissions
        Sid: "CloudWatchLogsUsesTheKeyForTheseLogGroups",
        Effect: "Allow",
        Principal: { Service: `logs.${region}.amazonaws.com` },
        Action: ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
        Resource: "*",
        Condition: { ArnEquals: { "kms:EncryptionContext:aws:logs:arn": this.logGroupNames.map((name) => this.logGroupArn(name)) } },
      });
    }
    if (this.logDelivery) {
      statements.push({
        // A state machine encrypted with a customer-managed key vends its logs through the log delivery service,
        // which must decrypt them before CloudWatch Logs re-encrypts them for the log group; only for log
        // deliveries of this account and region. The Step Functions page shows the statement without a condition;
        // the condition is the one EventBridge's page documents for the same service and vended-logs context
        // ("kms:EncryptionContext:SourceArn": "arn:partition:logs:region:account:*", StringLike). npm run verify's
        // logs hop checks the delivery on the first deploy.
        // https://docs.aws.amazon.com/step-functions/latest/dg/encryption-at-rest.html (CloudWatch Logs with a customer managed key)
        // https://docs.aws.amazon.com/eventbridge/latest/userguide/encryption-bus-logs.html
        Sid: "LogDeliveryDecryptsVendedLogs",
        Effect: "Allow",
        Principal: { Service: "delivery.logs.amazonaws.com" },
        Action: "kms:Decrypt",
        Resource: "*",
        Condition: { StringLike: { "kms:EncryptionContext:SourceArn": `arn:${partition}:logs:${region}:${accountId}:*` } },
      });
    }
    if (this.eventBridgeRuleArns.length > 0) {
      statements.push({
        // EventBridge sends to an encrypted queue as its service principal, which then needs data keys of the
        // queue's key; the page's statement for services that send to encrypted queues, scoped with aws:SourceArn
        // ("CloudWatch Events" is among the services that send it): on behalf of our rules only.
        // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-key-management.html#compatibility-with-aws-services
        Sid: "EventBridgeSendsToEncryptedQueues",
        Effect: "Allow",
        Principal: { Service: "events.amazonaws.com" },
        Action: ENCRYPT_DECRYPT,
        Resource: "*",
        Condition: { ArnEquals: { "aws:SourceArn": [...this.eventBridgeRuleArns] } },
      });
    }
    if (this.alarmArnPatterns.length > 0) {
      statements.push({
        // CloudWatch publishes alarm notifications to an encrypted topic as its service principal; only for our alarms.
        // https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services
        // https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Notify_Users_Alarm_Changes.html (encrypted topics, confused deputy)
        Sid: "CloudWatchAlarmsPublishToEncryptedTopics",
        Effect: "Allow",
        Principal: { Service: "cloudwatch.amazonaws.com" },
        Action: ["kms:Decrypt", "kms:GenerateDataKey*"],
        Resource: "*",
        Condition: { StringEquals: { "aws:SourceAccount": accountId }, ArnLike: { "aws:SourceArn": [...this.alarmArnPatterns] } },
      });
    }
    return JSON.stringify({ Version: "2012-10-17", Statement: statements });
  }
}
