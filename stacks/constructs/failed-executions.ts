import { Construct } from "constructs";
import { EncryptionKey } from "./encryption-key";
import { EventQueue, IQueue } from "./event-queue";
import { Rule } from "./events";
import { SqsQueueTarget } from "./targets";

/** The statuses of an execution that did not record its message. */
export const UNSUCCESSFUL_STATUSES = ["FAILED", "TIMED_OUT", "ABORTED"] as const;

/** What Step Functions puts on the default bus when an execution changes status. */
export const EXECUTION_STATUS_CHANGE = { source: "aws.states", detailType: "Step Functions Execution Status Change" } as const;

export interface FailedExecutionCaptureProps {
  readonly queueName: string;
  /** Encrypts the queue with this key. @default SQS-managed encryption (SSE-SQS) */
  readonly encryptionKey?: EncryptionKey;
}

/**
 * Keeps every execution that ended FAILED, TIMED_OUT or ABORTED in a queue, with its input (the original event),
 * so an operator can see it and `npm run redrive` can record it. For a STANDARD workflow, a rule on the default
 * bus, where Step Functions sends its status changes, feeds the queue (`captureStatusChangesOf`); they are the
 * one place that also sees failures no Catch can (`States.Runtime`, `States.DataLimitExceeded`, a timeout of the
 * whole execution, an abort). AWS delivers them on a best-effort basis, so the execution history stays the
 * authority: redrive can reconcile from it too. An EXPRESS workflow emits no status changes: it sends its
 * failures to the queue itself. https://docs.aws.amazon.com/step-functions/latest/dg/eventbridge-integration.html
 */
export class FailedExecutionCapture extends Construct {
  public readonly queue: EventQueue;
  public rule?: Rule;

  constructor(scope: Construct, id: string, props: FailedExecutionCaptureProps) {
    super(scope, id);
    this.queue = new EventQueue(this, "queue", {
      queueName: props.queueName,
      ...(props.encryptionKey ? { encryptionKey: props.encryptionKey } : {}),
    });
  }

  /**
   * Captures the unsuccessful executions of a STANDARD state machine from its status-change events; what
   * EventBridge cannot write to the queue goes to `deadLetterQueue` (redrive reads it like the queue).
   */
  public captureStatusChangesOf(stateMachineArn: string, ruleName: string, deadLetterQueue?: IQueue): Rule {
    this.rule = new Rule(this, "rule", {
      ruleName,
      description: "Captures executions of the message recorder that did not succeed",
      eventPattern: {
        source: [EXECUTION_STATUS_CHANGE.source],
        "detail-type": [EXECUTION_STATUS_CHANGE.detailType],
        detail: { status: [...UNSUCCESSFUL_STATUSES], stateMachineArn: [stateMachineArn] },
      },
    });
    // The longest EventBridge allows: an SQS outage must not drop the only fast record of a failure.
    this.rule.addTarget(
      new SqsQueueTarget(this.queue, {
        targetId: "failed-executions-queue",
        policySid: "AcceptFailedExecutionsFromTheRule",
        ...(deadLetterQueue ? { deadLetterQueue } : {}),
      }),
    );
    return this.rule;
  }
}
