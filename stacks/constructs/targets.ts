import { EventQueue, IQueue } from "./event-queue";
import { IRuleTarget, Rule, RuleTargetConfig, validateRetryPolicy } from "./events";
import type { IStateMachine } from "./message-workflow";
import { ServiceRole } from "./service-role";

export type { IStateMachine } from "./message-workflow";

/** What every target of a rule takes: its retry policy, its id and where what it cannot deliver goes. */
interface TargetProps {
  /** Retries after the first attempt. Minimum 0, maximum 185. @default 185 */
  readonly retryAttempts?: number;
  /** How long EventBridge keeps retrying. Minimum 60, maximum 86400. @default 86400 */
  readonly maxEventAgeInSeconds?: number;
  /** The target's id within the rule. */
  readonly targetId?: string;
  /**
   * Where EventBridge puts what it could not deliver (the target refused it, or its policy or key broke). Its
   * policy gets a statement for this rule. @default a new queue `<rule name>-dlq` in the rule
   */
  readonly deadLetterQueue?: IQueue;
}

export interface StateMachineTargetProps extends TargetProps {
  /** The role EventBridge assumes; it is granted StartExecution. @default a new role `<rule name>-target-role` in the rule */
  readonly role?: ServiceRole;
}

/**
 * Starts an execution per event, with the whole event as input, retrying with the target's retry policy and
 * then dead-lettering (as the AWS CDK's `targets.SfnStateMachine`).
 */
export class StateMachineTarget implements IRuleTarget {
  constructor(
    private readonly stateMachine: IStateMachine,
    private readonly props: StateMachineTargetProps = {},
  ) {}

  bind(rule: Rule): RuleTargetConfig {
    // A second target of the same rule gets a role of its own, named after its target id: role names are
    // account-wide, and two `<rule>-target-role`s would fail the apply (EntityAlreadyExists).
    const roleId = rule.node.tryFindChild("target-role") ? `${this.props.targetId ?? "workflow"}-role` : "target-role";
    const role =
      this.props.role ??
      new ServiceRole(rule, roleId, {
        roleName: this.props.targetId ? `${rule.physicalName}-${this.props.targetId}-role` : `${rule.physicalName}-target-role`,
        assumedBy: "events.amazonaws.com",
        description: "Lets the event rule start its workflow",
        sourceArn: rule.ruleArn,
      });
    this.stateMachine.grantStartExecution(role);
    return { ...delivery(rule, this.props, "workflow"), arn: this.stateMachine.stateMachineArn, roleArn: role.roleArn };
  }
}

export interface SqsQueueTargetProps extends TargetProps {
  /** Sid of the queue policy statement that admits the rule. @default "AcceptEventsFromTheRule" */
  readonly policySid?: string;
}

/** Sends each event, as JSON, to a queue whose policy admits this rule. */
export class SqsQueueTarget implements IRuleTarget {
  constructor(
    private readonly queue: IQueue,
    private readonly props: SqsQueueTargetProps = {},
  ) {}

  bind(rule: Rule): RuleTargetConfig {
    this.queue.grantSendFromRule(rule, this.props.policySid ?? "AcceptEventsFromTheRule");
    return { ...delivery(rule, this.props, "queue"), arn: this.queue.queueArn };
  }
}

/**
 * What every target adds to its rule: its id, its retry policy, and a dead-letter queue that admits the rule.
 * Every target gets one (cdk-nag Serverless-EventBusDLQ): without it, what EventBridge cannot deliver after its
 * retries is dropped.
 */
function delivery(
  rule: Rule,
  props: TargetProps,
  defaultTargetId: string,
): Pick<RuleTargetConfig, "targetId" | "retryPolicy" | "deadLetterArn"> {
  const retryPolicy = retryPolicyFor(rule, props);
  const deadLetterQueue = props.deadLetterQueue ?? new EventQueue(rule, "dead-letter-queue", { queueName: `${rule.physicalName}-dlq` });
  deadLetterQueue.grantSendFromRule(rule, "AcceptUndeliveredEventsFromTheRule");
  return { targetId: props.targetId ?? defaultTargetId, retryPolicy, deadLetterArn: deadLetterQueue.queueArn };
}

/** The target's retry policy with EventBridge's longest defaults, checked against its bounds at synth. */
function retryPolicyFor(rule: Rule, props: TargetProps): NonNullable<RuleTargetConfig["retryPolicy"]> {
  const maximumRetryAttempts = props.retryAttempts ?? 185;
  const maximumEventAgeInSeconds = props.maxEventAgeInSeconds ?? 86_400;
  rule.node.addValidation({ validate: () => validateRetryPolicy(maximumRetryAttempts, maximumEventAgeInSeconds) });
  return { maximumRetryAttempts, maximumEventAgeInSeconds };
}
