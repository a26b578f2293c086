import { Construct } from "constructs";
import { CloudwatchEventRule } from "@cdktf/provider-aws/lib/cloudwatch-event-rule";
import { CloudwatchEventTarget } from "@cdktf/provider-aws/lib/cloudwatch-event-target";
import { EncryptionKey } from "./encryption-key";
import { createEventQueue } from "./event-queue";
import { MessageWorkflow } from "./message-workflow";

/** The statuses of an execution that did not record its message. */
export const UNSUCCESSFUL_STATUSES = ["FAILED", "TIMED_OUT", "ABORTED"] as const;

/** What Step Functions puts on the default bus when an execution changes status. */
export const EXECUTION_STATUS_CHANGE = { source: "aws.states", detailType: "Step Functions Execution Status Change" } as const;

export interface FailedExecutionCaptureProps {
  /** The workflow whose unsuccessful executions are captured. */
  readonly workflow: MessageWorkflow;
  /** @default `<state machine name>-failed-executions` */
  readonly queueName?: string;
  /** @default `<state machine name>-failed` */
  readonly ruleName?: string;
  /** Encrypts the queue with this key. @default SQS-managed encryption (SSE-SQS) */
  readonly encryptionKey?: EncryptionKey;
}

/**
 * Keeps every execution that ended FAILED, TIMED_OUT or ABORTED in a queue, with its input (the original event),
 * so an operator can see it and `npm run redrive` can record it. Step Functions sends these status-change events
 * to the default bus for STANDARD workflows; they are the one place that also sees failures no Catch can
 * (`States.Runtime`, `States.DataLimitExceeded`, a timeout of the whole execution, an abort). AWS delivers them
 * on a best-effort basis, so the execution history stays the authority: redrive can reconcile from it too.
 * https://docs.aws.amazon.com/step-functions/latest/dg/eventbridge-integration.html
 */
export class FailedExecutionCapture extends Construct {
  public readonly queueUrl: string;
  public readonly queueArn: string;
  public readonly queueName: string;
  public readonly ruleArn: string;
  public readonly ruleName: string;

  constructor(scope: Construct, id: string, props: FailedExecutionCaptureProps) {
    super(scope, id);
    const rule = new CloudwatchEventRule(this, "rule", {
      name: props.ruleName ?? `${props.workflow.stateMachineName}-failed`,
      description: "Captures executions of the message recorder that did not succeed",
      // No event_bus_name: Step Functions only emits status changes to the default bus.
      eventPattern: JSON.stringify({
        source: [EXECUTION_STATUS_CHANGE.source],
        "detail-type": [EXECUTION_STATUS_CHANGE.detailType],
        detail: { status: [...UNSUCCESSFUL_STATUSES], stateMachineArn: [props.workflow.stateMachineArn] },
      }),
    });
    this.ruleArn = rule.arn;
    this.ruleName = rule.name;

    const queue = createEventQueue(this, "queue", {
      queueName: props.queueName ?? `${props.workflow.stateMachineName}-failed-executions`,
      ruleArn: rule.arn,
      sid: "AcceptFailedExecutionsFromTheRule",
      ...(props.encryptionKey ? { encryptionKey: props.encryptionKey } : {}),
    });
    this.queueUrl = queue.queueUrl;
    this.queueArn = queue.queueArn;
    this.queueName = queue.queueName;

    new CloudwatchEventTarget(this, "target", {
      targetId: "failed-executions-queue",
      rule: rule.name,
      arn: queue.queueArn,
      // The longest EventBridge allows: an SQS outage must not drop the only fast record of a failure.
      retryPolicy: { maximumRetryAttempts: 185, maximumEventAgeInSeconds: 86_400 },
    });
  }
}
