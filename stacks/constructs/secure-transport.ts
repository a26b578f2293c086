/** A statement of a resource policy (SQS queue, SNS topic, S3 bucket). */
export interface ResourcePolicyStatement {
  readonly Sid: string;
  readonly Effect: "Allow" | "Deny";
  readonly Principal: "*" | { readonly Service: string } | { readonly AWS: string };
  readonly Action: string | readonly string[];
  readonly Resource: string | readonly string[];
  readonly Condition?: Readonly<Record<string, Readonly<Record<string, string | readonly string[]>>>>;
}

/**
 * Denies every request to the resource that does not arrive over TLS (AwsSolutions-SQS4 / SNS3 / S1).
 * AWS's own example for queues: https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-security-best-practices.html#enforce-encryption-data-in-transit
 * and for topics: https://docs.aws.amazon.com/sns/latest/dg/sns-security-best-practices.html#enforce-encryption-data-in-transit
 */
export function denyInsecureTransport(actions: string | readonly string[], resources: string | readonly string[]): ResourcePolicyStatement {
  return {
    Sid: "DenyInsecureTransport",
    Effect: "Deny",
    Principal: "*",
    Action: actions,
    Resource: resources,
    Condition: { Bool: { "aws:SecureTransport": "false" } },
  };
}

/**
 * Lets EventBridge send to the queue on behalf of this rule only (a rule's target queue or a target's
 * dead-letter queue). https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-resource-based.html#eb-sqs-permissions
 */
export function eventBridgeSendsFromRule(sid: string, queueArn: string, ruleArn: string): ResourcePolicyStatement {
  return {
    Sid: sid,
    Effect: "Allow",
    Principal: { Service: "events.amazonaws.com" },
    Action: "sqs:SendMessage",
    Resource: queueArn,
    Condition: { ArnEquals: { "aws:SourceArn": ruleArn } },
  };
}

/** A queue policy document: the given statements, then the TLS-only deny on the queue. */
export function queuePolicyDocument(queueArn: string, statements: readonly ResourcePolicyStatement[]): string {
  return JSON.stringify({ Version: "2012-10-17", Statement: [...statements, denyInsecureTransport("sqs:*", queueArn)] });
}
