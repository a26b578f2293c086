import { Construct } from "constructs";
import { Annotations, Lazy } from "cdktf";
import { SqsQueue } from "@cdktf/provider-aws/lib/sqs-queue";
import { SqsQueuePolicy } from "@cdktf/provider-aws/lib/sqs-queue-policy";
import { EncryptionKey, queueEncryption } from "./encryption-key";
import { Grant, IGrantable } from "./grants";
import type { Rule } from "./events";
import { Metric, MetricOptions, serviceMetric } from "./metric";
import { importedArn } from "./account";
import { eventBridgeSendsFromRule, queuePolicyDocument, ResourcePolicyStatement } from "./secure-transport";

/** Fourteen days, the SQS maximum: a message kept for an operator waits as long as possible for a redrive. */
export const EVENT_QUEUE_RETENTION_SECONDS = 1_209_600;

export interface EventQueueProps {
  readonly queueName: string;
  /** Encrypts the queue with this key (and admits EventBridge to it). @default SQS-managed encryption (SSE-SQS) */
  readonly encryptionKey?: EncryptionKey;
  /** Minimum 60, maximum 1209600. @default 1209600 (14 days, the SQS maximum) */
  readonly retentionSeconds?: number;
}

/** A queue the constructs can send to and read from: one of ours (EventQueue) or one imported by ARN. */
export interface IQueue {
  readonly queueArn: string;
  readonly queueUrl: string;
  readonly queueName: string;
  /** Lets EventBridge send this rule's events to the queue (as a target or a target's DLQ). */
  grantSendFromRule(rule: Rule, sid: string): void;
  grantSendMessages(grantee: IGrantable): Grant;
  grantConsumeMessages(grantee: IGrantable): Grant;
  metricMessagesVisible(options?: MetricOptions): Metric;
  metricOldestMessageAge(options?: MetricOptions): Metric;
}

/** What every queue offers whoever sends to it or reads it: identity grants (with key use through SQS) and metrics. */
abstract class QueueBase extends Construct implements IQueue {
  public abstract readonly queueArn: string;
  public abstract readonly queueUrl: string;
  public abstract readonly queueName: string;
  protected abstract readonly encryptionKey?: EncryptionKey;

  public abstract grantSendFromRule(rule: Rule, sid: string): void;

  /**
   * Lets the grantee send messages to this queue only (an EXPRESS workflow capturing its own failures); with a
   * customer-managed key, the sender needs the key's data keys too, through SQS only.
   * https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-key-management.html
   */
  public grantSendMessages(grantee: IGrantable): Grant {
    const grant = Grant.addToPrincipal(grantee, {
      sid: "SendFailuresToTheQueue",
      actions: ["sqs:SendMessage"],
      resources: [this.queueArn],
    });
    const keyGrant = this.encryptionKey?.grantEncryptDecrypt(grantee, "UseTheKeyThroughSqs", this.encryptionKey.viaService("sqs"));
    return keyGrant ? grant.combine(keyGrant) : grant;
  }

  /**
   * Lets the grantee read its depth, receive, release (a dry run) and delete messages (redrive, verify). Receiving from a queue under a
   * customer-managed key takes kms:Decrypt, through SQS only.
   * https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-key-management.html#receive-from-encrypted-queue
   */
  public grantConsumeMessages(grantee: IGrantable): Grant {
    const grant = Grant.addToPrincipal(grantee, {
      sid: "ConsumeKeptEvents",
      actions: ["sqs:ChangeMessageVisibility", "sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ReceiveMessage"],
      resources: [this.queueArn],
    });
    const keyGrant = this.encryptionKey?.grantEncryptDecrypt(grantee, "ReceiveThroughSqs", this.encryptionKey.viaService("sqs"), [
      "kms:Decrypt",
    ]);
    return keyGrant ? grant.combine(keyGrant) : grant;
  }

  /** A metric of this queue in AWS/SQS, which publishes every 5 minutes. */
  public metric(metricName: string, options?: MetricOptions): Metric {
    return serviceMetric("AWS/SQS", metricName, { QueueName: this.queueName }, "Maximum", 300, options);
  }

  /** Messages waiting. */
  public metricMessagesVisible(options?: MetricOptions): Metric {
    return this.metric("ApproximateNumberOfMessagesVisible", options);
  }

  /** The age of the oldest message, in seconds. */
  public metricOldestMessageAge(options?: MetricOptions): Metric {
    return this.metric("ApproximateAgeOfOldestMessage", options);
  }
}

/** A queue made elsewhere, by ARN: grants and metrics work; its policy and key stay with whoever manages it. */
class ImportedQueue extends QueueBase {
  public readonly queueArn: string;
  public readonly queueUrl: string;
  public readonly queueName: string;
  protected readonly encryptionKey?: EncryptionKey = undefined;

  constructor(scope: Construct, id: string, queueArn: string) {
    super(scope, id);
    const arn = importedArn(queueArn, { service: "sqs", prefix: "", what: "a queue" });
    this.queueArn = queueArn;
    this.queueName = arn.name;
    // The queue URL form of the SQS endpoints: https://docs.aws.amazon.com/general/latest/gr/sqs-service.html
    this.queueUrl = `https://sqs.${arn.region}.amazonaws.com/${arn.account}/${arn.name}`;
  }

  /** The policy of a queue made elsewhere is not this stack's to change: say what it must admit. */
  public grantSendFromRule(rule: Rule, _sid: string): void {
    Annotations.of(this).addWarning(
      `${this.queueName} is imported: its queue policy must let events.amazonaws.com sqs:SendMessage with aws:SourceArn ${rule.physicalName}'s ARN, and its key (if customer-managed) must let EventBridge use it`,
    );
  }
}

/**
 * An encrypted queue that keeps events for an operator (a dead-letter queue, the failed-executions queue), and
 * its policy: TLS only, and `sqs:SendMessage` for EventBridge on behalf of the rules granted with
 * `grantSendFromRule` (each scoped with `aws:SourceArn`). EventBridge writes as its service principal, not
 * through a role: without that statement the events are dropped.
 */
export class EventQueue extends QueueBase {
  /** The underlying resource, for what this construct does not model. */
  public readonly resource: SqsQueue;
  public readonly queueUrl: string;
  public readonly queueArn: string;
  public readonly queueName: string;
  public readonly policy: SqsQueuePolicy;
  private readonly statements: ResourcePolicyStatement[] = [];
  protected readonly encryptionKey?: EncryptionKey;

  /** A queue made elsewhere (another stack, another tool), by its ARN, as a target or a dead-letter queue. */
  public static fromQueueArn(scope: Construct, id: string, queueArn: string): IQueue {
    return new ImportedQueue(scope, id, queueArn);
  }

  constructor(scope: Construct, id: string, props: EventQueueProps) {
    super(scope, id);
    const retention = props.retentionSeconds ?? EVENT_QUEUE_RETENTION_SECONDS;
    this.node.addValidation({
      validate: () =>
        Number.isInteger(retention) && retention >= 60 && retention <= EVENT_QUEUE_RETENTION_SECONDS
          ? []
          : [`retentionSeconds must be an integer from 60 to ${EVENT_QUEUE_RETENTION_SECONDS}. Received: ${retention}`],
    });
    this.encryptionKey = props.encryptionKey;
    const queue = (this.resource = new SqsQueue(this, "Default", {
      name: props.queueName,
      ...queueEncryption(props.encryptionKey),
      messageRetentionSeconds: retention,
    }));
    this.queueUrl = queue.url;
    this.queueArn = queue.arn;
    this.queueName = queue.name;
    this.policy = new SqsQueuePolicy(this, "policy", {
      queueUrl: queue.url,
      policy: Lazy.stringValue({ produce: () => queuePolicyDocument(queue.arn, this.statements) }),
    });
  }

  /**
   * Lets EventBridge send this rule's events (as a target or a target's DLQ), and no other rule's. A Sid already
   * used for another rule gets a number; the same rule twice adds nothing.
   */
  public grantSendFromRule(rule: Rule, sid: string): void {
    const statement = (id: string) => eventBridgeSendsFromRule(id, this.queueArn, rule.ruleArn);
    if (this.statements.some((s) => JSON.stringify(s) === JSON.stringify(statement(s.Sid)))) return;
    let unique = sid;
    for (let n = 2; this.statements.some((s) => s.Sid === unique); n++) unique = `${sid}${n}`;
    this.statements.push(statement(unique));
    // EventBridge sends to an encrypted queue as its service principal, which then needs data keys of the queue's
    // key: the SQS page's statement for services that send to encrypted queues, scoped with aws:SourceArn
    // ("CloudWatch Events" is among the services that send it), on behalf of this rule (ARN built from names:
    // the capture rule depends on the state machine, which depends on the key).
    // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-key-management.html#compatibility-with-aws-services
    this.encryptionKey?.addToResourcePolicy({
      Sid: "EventBridgeSendsToEncryptedQueues",
      Effect: "Allow",
      Principal: { Service: "events.amazonaws.com" },
      Action: ["kms:Decrypt", "kms:GenerateDataKey"],
      Resource: "*",
      Condition: { ArnEquals: { "aws:SourceArn": [rule.knownRuleArn] } },
    });
  }
}
