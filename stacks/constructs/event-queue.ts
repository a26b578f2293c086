import { Construct } from "constructs";
import { SqsQueue } from "@cdktf/provider-aws/lib/sqs-queue";
import { SqsQueuePolicy } from "@cdktf/provider-aws/lib/sqs-queue-policy";
import { EncryptionKey, queueEncryption } from "./encryption-key";
import { eventBridgeSendsFromRule, queuePolicyDocument } from "./secure-transport";

/** Fourteen days, the SQS maximum: a message kept for an operator waits as long as possible for a redrive. */
export const EVENT_QUEUE_RETENTION_SECONDS = 1_209_600;

export interface EventQueueProps {
  readonly queueName: string;
  /** The rule whose events EventBridge may write to the queue (as a target or as a target's DLQ). */
  readonly ruleArn: string;
  /** Names what the queue keeps, for the policy's Sid. */
  readonly sid: string;
  /** Encrypts the queue with this key (and admits EventBridge to it). @default SQS-managed encryption */
  readonly encryptionKey?: EncryptionKey;
}

export interface EventQueue {
  readonly queueUrl: string;
  readonly queueArn: string;
  readonly queueName: string;
}

/**
 * An encrypted queue that keeps events for an operator, and the policy that lets EventBridge write to it and
 * refuses anything without TLS. EventBridge writes as its service principal, not through a role: without this
 * policy, scoped to the rule with `aws:SourceArn`, the events are dropped. The resources are created in `scope`
 * with ids `<id>` and `<id>-policy`, so existing Terraform addresses stay where they were.
 */
export function createEventQueue(scope: Construct, id: string, props: EventQueueProps): EventQueue {
  const queue = new SqsQueue(scope, id, {
    name: props.queueName,
    ...queueEncryption(props.encryptionKey),
    messageRetentionSeconds: EVENT_QUEUE_RETENTION_SECONDS,
  });
  props.encryptionKey?.allowEventBridgeToQueue(props.queueName);
  new SqsQueuePolicy(scope, `${id}-policy`, {
    queueUrl: queue.url,
    policy: queuePolicyDocument(queue.arn, [eventBridgeSendsFromRule(props.sid, queue.arn, props.ruleArn)]),
  });
  return { queueUrl: queue.url, queueArn: queue.arn, queueName: queue.name };
}
