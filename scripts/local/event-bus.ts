import { at, stringAt } from "../json-value";
import { matchesPattern } from "./event-pattern";
import { FaultPlan } from "./faults";
import { LocalQueues, MessageTooLong } from "./queues";
import { StackReferences } from "../synthesized/stack-json";
import { ExecutionResult, InputTooLarge } from "./state-machine";

/**
 * EventBridge, offline: every rule of the stack (its bus, pattern and targets), and delivery as the service does
 * it: each rule of the bus whose pattern matches sends the whole event to each of its targets, a state machine
 * (StartExecution, retried `retryAttempts` times, then the target's dead-letter queue with the attributes
 * EventBridge adds) or a queue.
 */
export interface LocalTarget {
  readonly kind: "state-machine" | "queue";
  readonly arn: string;
  /** Attempts after the first before dead-lettering. */
  readonly retryAttempts: number;
  /** Name of the target's dead-letter queue. */
  readonly deadLetterQueue?: string;
}

export interface LocalRule {
  readonly arn: string;
  readonly busName: string;
  readonly pattern: unknown;
  readonly targets: readonly LocalTarget[];
}

/** What became of an event at one target. */
export interface TargetDelivery {
  readonly ruleArn: string;
  readonly target: LocalTarget;
  /** The execution the target started, once it ended. */
  readonly execution?: ExecutionResult;
  /** The target could not start the execution within its retries: the event is in its DLQ. */
  readonly deadLettered?: boolean;
  /** Not even the dead-letter queue could take it (over its maximum message size): lost, unless archived. */
  readonly deadLetterFailed?: boolean;
}

export const DEFAULT_BUS = "default";
/** EventBridge's default retry policy of a target: 185 attempts. */
const DEFAULT_TARGET_RETRIES = 185;

/** Every rule of the stack with its targets. */
export function readRules(refs: StackReferences): LocalRule[] {
  const targets = refs.resources("aws_cloudwatch_event_target");
  return refs.resources("aws_cloudwatch_event_rule").map(([name, rule]): LocalRule => {
    const busName = stringAt(rule, "event_bus_name");
    return {
      arn: refs.arn("aws_cloudwatch_event_rule", name),
      busName: busName ? refs.resolve(busName) : DEFAULT_BUS,
      pattern: JSON.parse(refs.resolve(String(rule.event_pattern))) as unknown,
      targets: targets
        .filter(([, target]) => target.rule === `\${aws_cloudwatch_event_rule.${name}.name}`)
        .map(([id, target]) => {
          for (const field of ["input", "input_path", "input_transformer"]) {
            if (field in target) throw new Error(`rule target ${id} sets ${field}; the local pipeline only passes the whole event`);
          }
          const arn = refs.resolve(String(target.arn));
          const kind = arn.includes(":states:") ? "state-machine" : arn.includes(":sqs:") ? "queue" : undefined;
          if (!kind) throw new Error(`rule target ${id} is ${String(target.arn)}; only state machines and queues run locally`);
          const deadLetterArn = stringAt(target, "dead_letter_config", "arn");
          const dlq = deadLetterArn ? queueNameOf(refs.resolve(deadLetterArn)) : undefined;
          return {
            kind,
            arn,
            retryAttempts: Number(at(target, "retry_policy", "maximum_retry_attempts") ?? DEFAULT_TARGET_RETRIES),
            ...(dlq ? { deadLetterQueue: dlq } : {}),
          };
        }),
    };
  });
}

export function queueNameOf(arn: string): string {
  return arn.split(":").pop()!;
}

export interface EventRouterProps {
  readonly rules: readonly LocalRule[];
  readonly queues: LocalQueues;
  /** `failStartExecution` faults, keyed by event id. */
  readonly faults: FaultPlan;
  /** Starts an execution of a state machine of the stack with the event as input; resolves when it ends. */
  readonly startExecution: (stateMachineArn: string, input: string) => Promise<ExecutionResult>;
}

export class EventRouter {
  /** Events EventBridge could not even write to a dead-letter queue (the InvocationsFailedToBeSentToDLQ metric): lost. */
  readonly failedToDeadLetter: Array<{ readonly ruleArn: string; readonly eventId: string }> = [];

  constructor(private readonly props: EventRouterProps) {}

  get rules(): readonly LocalRule[] {
    return this.props.rules;
  }

  /**
   * Puts one event on a bus: every matching rule delivers to each of its targets, all at once. A replay reaches
   * only the rules its StartReplay named (FilterArns), when it names any.
   */
  async publish(event: unknown, busName: string, onlyRules?: readonly string[]): Promise<TargetDelivery[]> {
    const matching = this.props.rules.filter(
      (rule) => rule.busName === busName && (!onlyRules || onlyRules.includes(rule.arn)) && matchesPattern(rule.pattern, event),
    );
    return Promise.all(matching.flatMap((rule) => rule.targets.map((target) => this.deliver(rule, target, event))));
  }

  private async deliver(rule: LocalRule, target: LocalTarget, event: unknown): Promise<TargetDelivery> {
    const { queues, faults } = this.props;
    if (target.kind === "queue") {
      try {
        queues.send(queueNameOf(target.arn), JSON.stringify(event));
      } catch (error) {
        if (!(error instanceof MessageTooLong)) throw error;
        return this.deadLetter(rule, target, event, error.message);
      }
      return { ruleArn: rule.arn, target };
    }
    const eventId = (event as { id?: unknown }).id;
    const id = typeof eventId === "string" ? eventId : undefined;
    let errorMessage = "Rate exceeded (injected)";
    for (let attempt = 0; attempt <= target.retryAttempts; attempt++) {
      if (faults.take("failStartExecution", id)) continue;
      try {
        return { ruleArn: rule.arn, target, execution: await this.props.startExecution(target.arn, JSON.stringify(event)) };
      } catch (error) {
        // A refusal of the input (over 256 KiB) is a client error: EventBridge does not retry it.
        if (!(error instanceof InputTooLarge)) throw error;
        errorMessage = error.message;
        break;
      }
    }
    return this.deadLetter(rule, target, event, errorMessage);
  }

  /**
   * What EventBridge writes to a target's DLQ: the event, and attributes naming the rule, target and error. An
   * event the queue cannot take (over its maximum message size) is lost: InvocationsFailedToBeSentToDLQ.
   */
  private deadLetter(rule: LocalRule, target: LocalTarget, event: unknown, errorMessage: string): TargetDelivery {
    if (!target.deadLetterQueue) return { ruleArn: rule.arn, target };
    const eventId = String((event as { id?: unknown }).id);
    if (this.props.faults.take("failDeadLetter", eventId)) {
      this.failedToDeadLetter.push({ ruleArn: rule.arn, eventId });
      return { ruleArn: rule.arn, target, deadLetterFailed: true };
    }
    try {
      this.props.queues.send(target.deadLetterQueue, JSON.stringify(event), {
        RULE_ARN: rule.arn,
        TARGET_ARN: target.arn,
        ERROR_CODE: "SDK_CLIENT_ERROR",
        ERROR_MESSAGE: errorMessage,
      });
    } catch (error) {
      if (!(error instanceof MessageTooLong)) throw error;
      this.failedToDeadLetter.push({ ruleArn: rule.arn, eventId: String((event as { id?: unknown }).id) });
      return { ruleArn: rule.arn, target, deadLetterFailed: true };
    }
    return { ruleArn: rule.arn, target, deadLettered: true };
  }
}
