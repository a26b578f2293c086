import { Construct } from "constructs";
import { arnOf, importedArn } from "./account";
import { CloudwatchEventBus } from "@cdktf/provider-aws/lib/cloudwatch-event-bus";
import { CloudwatchEventRule } from "@cdktf/provider-aws/lib/cloudwatch-event-rule";
import { CloudwatchEventTarget } from "@cdktf/provider-aws/lib/cloudwatch-event-target";
import { Grant, IGrantable } from "./grants";
import { Metric, MetricOptions, serviceMetric } from "./metric";

/**
 * EventBridge in the style of the AWS CDK: a bus, a rule with a typed pattern, and targets that bind to a rule
 * (`rule.addTarget(new StateMachineTarget(...))`). Each construct creates its resource with the id "Default",
 * which cdktf leaves out of the Terraform address, so an `EventBus` at `ingress/bus` keeps the address the
 * plain resource had there.
 */

/**
 * An EventBridge event pattern: each field lists the values it matches (or content filters such as
 * `{ prefix: "..." }`); `detail` nests. https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns.html
 */
export interface EventPattern {
  readonly source?: readonly PatternValue[];
  readonly "detail-type"?: readonly PatternValue[];
  readonly account?: readonly PatternValue[];
  readonly region?: readonly PatternValue[];
  readonly resources?: readonly PatternValue[];
  /**
   * Set only on events an archive replays: `[{ exists: true }]` matches replays alone.
   * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-replay-archived-event.html
   */
  readonly "replay-name"?: readonly PatternValue[];
  readonly detail?: { readonly [field: string]: readonly PatternValue[] | EventPattern["detail"] };
}

export type PatternValue = string | number | boolean | null | { readonly [operator: string]: unknown };

/** A bus events can be put on: one of ours, or the account's default bus. */
export interface IEventBus {
  /** The bus name; "default" for the default bus. */
  readonly eventBusName: string;
  readonly eventBusArn?: string;
  /** The configured name, known at synth, for ARNs built from names. */
  readonly physicalName?: string;
}

/** A bus producers can be granted PutEvents on: one of ours (EventBus) or one imported by ARN. */
export interface IPublishableEventBus extends IEventBus {
  readonly eventBusArn: string;
  grantPutEvents(grantee: IGrantable): Grant;
}

/** The account's default bus, where AWS services (Step Functions among them) put their events. */
export const DEFAULT_EVENT_BUS: IEventBus = { eventBusName: "default", physicalName: "default" };

export interface EventBusProps {
  readonly eventBusName: string;
}

/** A bus made elsewhere, by ARN: rules can be added to it and PutEvents granted on it. */
class ImportedEventBus extends Construct implements IPublishableEventBus {
  public readonly eventBusName: string;
  public readonly physicalName: string;

  constructor(
    scope: Construct,
    id: string,
    public readonly eventBusArn: string,
  ) {
    super(scope, id);
    this.eventBusName = this.physicalName = importedArn(eventBusArn, {
      service: "events",
      prefix: "event-bus/",
      what: "an event bus",
    }).name;
  }

  public grantPutEvents(grantee: IGrantable): Grant {
    return grantPutEventsOn(this.eventBusArn, grantee);
  }
}

/** "events:PutEvents ... Resource: the event bus ARN": https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-identity-based.html */
function grantPutEventsOn(eventBusArn: string, grantee: IGrantable): Grant {
  return Grant.addToPrincipal(grantee, { sid: "PutEventsOnTheBus", actions: ["events:PutEvents"], resources: [eventBusArn] });
}

export class EventBus extends Construct implements IPublishableEventBus {
  /** The underlying resource, for what this construct does not model. */
  public readonly resource: CloudwatchEventBus;
  public readonly eventBusName: string;
  public readonly eventBusArn: string;
  public readonly physicalName: string;

  /** A bus made elsewhere (another stack, another account's bus shared with this one), by its ARN. */
  public static fromEventBusArn(
    scope: Construct,
    id: string,
    eventBusArn: string,
  ): IEventBus & { grantPutEvents(grantee: IGrantable): Grant } {
    return new ImportedEventBus(scope, id, eventBusArn);
  }

  constructor(scope: Construct, id: string, props: EventBusProps) {
    super(scope, id);
    this.physicalName = props.eventBusName;
    const bus = (this.resource = new CloudwatchEventBus(this, "Default", { name: props.eventBusName }));
    this.eventBusName = bus.name;
    this.eventBusArn = bus.arn;
  }

  /** Lets the grantee put events on this bus only. */
  public grantPutEvents(grantee: IGrantable): Grant {
    return grantPutEventsOn(this.eventBusArn, grantee);
  }
}

/** What a target contributes to the target resource of the rule it binds to. */
export interface RuleTargetConfig {
  /** The target's id within the rule. */
  readonly targetId: string;
  readonly arn: string;
  /** The role EventBridge assumes to reach the target (a state machine); none for resource-policy targets (SQS). */
  readonly roleArn?: string;
  readonly retryPolicy?: { readonly maximumRetryAttempts: number; readonly maximumEventAgeInSeconds: number };
  readonly deadLetterArn?: string;
}

/** Something a rule can deliver to. `bind` adds whatever the target needs for this rule (permissions, policies). */
export interface IRuleTarget {
  bind(rule: Rule): RuleTargetConfig;
}

export interface RuleProps {
  readonly ruleName: string;
  /** @default the account's default bus */
  readonly eventBus?: IEventBus;
  readonly eventPattern: EventPattern;
  /** @default none */
  readonly description?: string;
}

export class Rule extends Construct {
  /** The underlying resource, for what this construct does not model. */
  public readonly resource: CloudwatchEventRule;
  public readonly ruleName: string;
  public readonly ruleArn: string;
  public readonly eventBus: IEventBus;
  /** The configured name, known at synth, for names and Sids derived from it. */
  public readonly physicalName: string;
  /**
   * The rule's ARN built from its bus's and its own name (`rule/<bus>/<name>` on a custom bus, `rule/<name>` on the
   * default one), for a policy that a resource the rule depends on also depends on (the key of a state machine
   * whose status changes the rule matches): referencing `ruleArn` there would be a cycle.
   */
  public readonly knownRuleArn: string;
  private readonly targetIds = new Set<string>();

  constructor(scope: Construct, id: string, props: RuleProps) {
    super(scope, id);
    this.eventBus = props.eventBus ?? DEFAULT_EVENT_BUS;
    this.physicalName = props.ruleName;
    this.node.addValidation({ validate: () => validatePattern(props.eventPattern) });
    const rule = (this.resource = new CloudwatchEventRule(this, "Default", {
      name: props.ruleName,
      ...(props.description ? { description: props.description } : {}),
      // A custom bus must be named on the rule (and its targets), or the rule lands on the default bus.
      ...(props.eventBus ? { eventBusName: props.eventBus.eventBusName } : {}),
      eventPattern: JSON.stringify(props.eventPattern),
    }));
    this.ruleName = rule.name;
    this.ruleArn = rule.arn;
    const busName = this.eventBus.physicalName ?? this.eventBus.eventBusName;
    // https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoneventbridge.html#amazoneventbridge-resources-for-iam-policies
    this.knownRuleArn = arnOf(this, "events", busName === "default" ? `rule/${props.ruleName}` : `rule/${busName}/${props.ruleName}`);
  }

  /**
   * Delivers the rule's events to the target: one target resource, created in the rule (`<rule>/<targetId>`).
   * Returns it, e.g. to move an existing Terraform address onto it.
   */
  public addTarget(target: IRuleTarget): CloudwatchEventTarget {
    const config = target.bind(this);
    if (this.targetIds.has(config.targetId)) throw new Error(`${this.node.path}: a target with id ${config.targetId} was already added`);
    this.targetIds.add(config.targetId);
    return new CloudwatchEventTarget(this, config.targetId, {
      targetId: config.targetId,
      rule: this.ruleName,
      ...(this.eventBus !== DEFAULT_EVENT_BUS ? { eventBusName: this.eventBus.eventBusName } : {}),
      arn: config.arn,
      ...(config.roleArn ? { roleArn: config.roleArn } : {}),
      ...(config.retryPolicy ? { retryPolicy: config.retryPolicy } : {}),
      ...(config.deadLetterArn ? { deadLetterConfig: { arn: config.deadLetterArn } } : {}),
    });
  }

  /** Events the rule could not deliver to a target (after retries they go to its DLQ). */
  public metricFailedInvocations(options?: MetricOptions): Metric {
    return this.metric("FailedInvocations", options);
  }

  /** Events that could not even be written to a target's dead-letter queue: lost. */
  public metricInvocationsFailedToBeSentToDlq(options?: MetricOptions): Metric {
    return this.metric("InvocationsFailedToBeSentToDLQ", options);
  }

  /** Events the rule matched. */
  public metricMatchedEvents(options?: MetricOptions): Metric {
    return this.metric("MatchedEvents", options);
  }

  /** A metric of this rule in AWS/Events, e.g. "Invocations". */
  public metric(metricName: string, options?: MetricOptions): Metric {
    return serviceMetric(
      "AWS/Events",
      metricName,
      { EventBusName: this.eventBus.eventBusName, RuleName: this.ruleName },
      "Sum",
      60,
      options,
    );
  }
}

/** EventBridge's bounds of a target's retry policy. */
export const TARGET_RETRY_ATTEMPTS = { min: 0, max: 185 } as const;
export const TARGET_MAX_EVENT_AGE_SECONDS = { min: 60, max: 86_400 } as const;

/** Refuses a retry policy EventBridge would refuse, naming the bound, at synth. */
export function validateRetryPolicy(retryAttempts: number, maxEventAgeInSeconds: number): string[] {
  const errors: string[] = [];
  if (!Number.isInteger(retryAttempts) || retryAttempts < TARGET_RETRY_ATTEMPTS.min || retryAttempts > TARGET_RETRY_ATTEMPTS.max) {
    errors.push(
      `retryAttempts must be an integer from ${TARGET_RETRY_ATTEMPTS.min} to ${TARGET_RETRY_ATTEMPTS.max}. Received: ${retryAttempts}`,
    );
  }
  if (
    !Number.isInteger(maxEventAgeInSeconds) ||
    maxEventAgeInSeconds < TARGET_MAX_EVENT_AGE_SECONDS.min ||
    maxEventAgeInSeconds > TARGET_MAX_EVENT_AGE_SECONDS.max
  ) {
    errors.push(
      `maxEventAgeInSeconds must be an integer from ${TARGET_MAX_EVENT_AGE_SECONDS.min} to ${TARGET_MAX_EVENT_AGE_SECONDS.max}. Received: ${maxEventAgeInSeconds}`,
    );
  }
  return errors;
}

function validatePattern(pattern: EventPattern): string[] {
  const fields = Object.entries(pattern);
  if (fields.length === 0) return ["eventPattern must match on at least one field. Received: {}"];
  return fields
    .filter(([, values]) => Array.isArray(values) && values.length === 0)
    .map(([field]) => `eventPattern.${field} must list at least one value. Received: []`);
}
