import { Construct } from "constructs";
import { CloudwatchEventBus } from "@cdktf/provider-aws/lib/cloudwatch-event-bus";
import { CloudwatchEventRule } from "@cdktf/provider-aws/lib/cloudwatch-event-rule";
import { CloudwatchEventTarget } from "@cdktf/provider-aws/lib/cloudwatch-event-target";
import { EncryptionKey } from "./encryption-key";
import { createEventQueue } from "./event-queue";
import { MessageWorkflow } from "./message-workflow";
import { ServiceRole } from "./service-role";

export interface EventIngressProps {
  readonly busName: string;
  readonly ruleName: string;
  /** The `source` the rule matches. */
  readonly eventSource: string;
  readonly deadLetterQueueName: string;
  /** Minimum 0, maximum 185. */
  readonly retryAttempts: number;
  /** Minimum 60, maximum 86400. */
  readonly maxEventAgeInSeconds: number;
  /** Encrypts the dead-letter queue with this key. @default SQS-managed encryption (SSE-SQS) */
  readonly encryptionKey?: EncryptionKey;
  /** Each matching event starts one execution, with the whole event as input. */
  readonly workflow: MessageWorkflow;
}

/**
 * Where events come in: the custom bus, the rule on `source`, the target that starts the workflow, and the
 * dead-letter queue that keeps what EventBridge could not deliver.
 */
export class EventIngress extends Construct {
  public readonly eventBusName: string;
  public readonly eventBusArn: string;
  public readonly ruleArn: string;
  public readonly ruleName: string;
  public readonly deadLetterQueueUrl: string;
  public readonly deadLetterQueueArn: string;
  public readonly deadLetterQueueName: string;

  constructor(scope: Construct, id: string, props: EventIngressProps) {
    super(scope, id);

    const bus = new CloudwatchEventBus(this, "bus", { name: props.busName });
    this.eventBusName = bus.name;
    this.eventBusArn = bus.arn;

    const rule = new CloudwatchEventRule(this, "rule", {
      name: props.ruleName,
      description: `Starts the message recorder workflow for events from ${props.eventSource}`,
      eventBusName: bus.name,
      eventPattern: JSON.stringify({ source: [props.eventSource] }),
    });
    this.ruleArn = rule.arn;
    this.ruleName = rule.name;

    const deadLetterQueue = createEventQueue(this, "dead-letter-queue", {
      queueName: props.deadLetterQueueName,
      ruleArn: rule.arn,
      sid: "AcceptUndeliveredEventsFromTheRule",
      ...(props.encryptionKey ? { encryptionKey: props.encryptionKey } : {}),
    });
    this.deadLetterQueueUrl = deadLetterQueue.queueUrl;
    this.deadLetterQueueArn = deadLetterQueue.queueArn;
    this.deadLetterQueueName = deadLetterQueue.queueName;

    const role = new ServiceRole(this, "target-role", {
      roleName: `${props.ruleName}-target-role`,
      assumedBy: "events.amazonaws.com",
      description: "Lets the event rule start the message recorder workflow",
      // EventBridge assumes a target's role on behalf of the rule.
      // https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-identity-based.html (confused deputy)
      sourceArn: rule.arn,
    });
    props.workflow.grantStartExecution(role);

    new CloudwatchEventTarget(this, "target", {
      targetId: "message-recorder-workflow",
      rule: rule.name,
      eventBusName: bus.name,
      arn: props.workflow.stateMachineArn,
      roleArn: role.roleArn,
      retryPolicy: {
        maximumRetryAttempts: props.retryAttempts,
        maximumEventAgeInSeconds: props.maxEventAgeInSeconds,
      },
      deadLetterConfig: { arn: deadLetterQueue.queueArn },
    });
  }

  /** Lets the role put events on this bus only. */
  public grantPutEvents(grantee: ServiceRole): void {
    grantee.addToPolicy({ sid: "PutEventsOnTheBus", actions: ["events:PutEvents"], resources: [this.eventBusArn] });
  }
}
