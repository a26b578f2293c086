import { Construct } from "constructs";
import { SqsQueue } from "@cdktf/provider-aws/lib/sqs-queue";
import { SqsQueuePolicy } from "@cdktf/provider-aws/lib/sqs-queue-policy";

/** Fourteen days, the SQS maximum: a message kept for an operator waits as long as possible for a redrive. */
export const EVENT_QUEUE_RETENTION_SECONDS = 1_209_600;

export interface EventQueueProps {
  readonly queueName: string;
  /** The rules whose events EventBridge may write to the queue (as a target or as a target's DLQ). */
  readonly ruleArns: readonly string[];
  /** Names what the queue keeps, for the policy's Sid. */
  readonly sid: string;
}

export interface EventQueue {
  readonly queueUrl: string;
  readonly queueArn: string;
  readonly queueName: string;
}

/**
 * An encrypted queue that keeps events for an operator, and the policy that lets EventBridge write to it.
 * EventBridge writes as its service principal, not through a role: without this policy, scoped to the rules
 * with `aws:SourceArn`, the events are dropped. The resources are created in `scope` with ids `<id>` and
 * `<id>-policy`, so existing Terraform addresses stay where they were.
 */
export function createEventQueue(scope: Construct, id: string, props: EventQueueProps): EventQueue {
  const queue = new SqsQueue(scope, id, {
    name: props.queueName,
    sqsManagedSseEnabled: true,
    messageRetentionSeconds: EVENT_QUEUE_RETENTION_SECONDS,
  });
  new SqsQueuePolicy(scope, `${id}-policy`, {
    queueUrl: queue.url,
    policy: JSON.stringify({
      Version: "2012-10-17",
      Statement: [
        {
          Sid: props.sid,
          Effect: "Allow",
          Principal: { Service: "events.amazonaws.com" },
          Action: "sqs:SendMessage",
          Resource: queue.arn,
          Condition: { ArnEquals: { "aws:SourceArn": props.ruleArns.length === 1 ? props.ruleArns[0] : [...props.ruleArns] } },
        },
      ],
    }),
  });
  return { queueUrl: queue.url, queueArn: queue.arn, queueName: queue.name };
}
