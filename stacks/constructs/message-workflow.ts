import { Construct } from "constructs";
import { SfnStateMachine } from "@cdktf/provider-aws/lib/sfn-state-machine";
import { EXECUTION_TIMEOUT_SECONDS, renderDefinition, renderWorkflowDefinition } from "../asl";
import { ExecutionLogLevel, WorkflowModel, WorkflowType } from "../workflow-model";
import type { IQueue } from "./event-queue";
import { arnOf, importedArn } from "./account";
import { EncryptionKey } from "./encryption-key";
import { IFunction } from "./nodejs-function";
import { Grant, IGrantable } from "./grants";
import { createLogGroup } from "./log-group";
import { Metric, MetricOptions, serviceMetric } from "./metric";
import { ServiceRole } from "./service-role";
import { DEFAULTS } from "../defaults";

/** A state machine a rule can start: one of ours (MessageWorkflow) or one imported by ARN. */
export interface IStateMachine {
  readonly stateMachineArn: string;
  grantStartExecution(grantee: IGrantable): Grant;
}

/**
 * Lets the role start executions of this state machine only. StartExecution needs no key permission: Step
 * Functions encrypts the input under its own grant ("StartExecution ... No KMS permission required").
 * https://docs.aws.amazon.com/step-functions/latest/dg/encryption-at-rest.html
 */
function grantStartExecutionOf(stateMachineArn: string, grantee: IGrantable): Grant {
  return Grant.addToPrincipal(grantee, { sid: "StartRecorderWorkflow", actions: ["states:StartExecution"], resources: [stateMachineArn] });
}

/** A state machine made elsewhere, by ARN, as the target of a rule. */
class ImportedStateMachine extends Construct implements IStateMachine {
  public readonly stateMachineName: string;

  constructor(
    scope: Construct,
    id: string,
    public readonly stateMachineArn: string,
  ) {
    super(scope, id);
    this.stateMachineName = importedArn(stateMachineArn, { service: "states", prefix: "stateMachine:", what: "a state machine" }).name;
  }

  public grantStartExecution(grantee: IGrantable): Grant {
    return grantStartExecutionOf(this.stateMachineArn, grantee);
  }
}

export interface MessageWorkflowProps {
  readonly stateMachineName: string;
  readonly recorder: IFunction;
  /** @default 7 */
  readonly logRetentionInDays?: number;
  /** Whole execution; must exceed the worst case of the task's retries (checked at synth). @default 30 */
  readonly stateMachineTimeoutSeconds?: number;
  /** One attempt of the "Record Message" task, callback included; above the recorder's timeout. @default 7 */
  readonly taskTimeoutSeconds?: number;
  /** X-Ray tracing of executions, as the project's `tracing` setting defaults to. @default true for STANDARD, false for EXPRESS */
  readonly tracing?: boolean;
  /**
   * Encrypts the definition, the execution history and the log group with this key.
   * @default the AWS owned key of Step Functions and the AWS-managed key of CloudWatch Logs
   */
  readonly encryptionKey?: EncryptionKey;
  /**
   * The role Step Functions assumes; it gets invoke, log delivery, tracing and key permissions.
   * @default a new role `<stateMachineName>-role`, trusted for this state machine only
   */
  readonly role?: ServiceRole;
  /**
   * STANDARD: the callback task, exactly-once executions, 90 days of history. EXPRESS: a synchronous invoke,
   * at-least-once (the recorder's write is idempotent), history only in the logs, far cheaper and a much higher
   * StartExecution quota; it needs `failedExecutionsQueue`, since Express emits no status-change events.
   * @default "STANDARD"
   */
  readonly workflowType?: WorkflowType;
  /** Where an EXPRESS workflow sends every failure, with the original event. Required for EXPRESS. */
  readonly failedExecutionsQueue?: IQueue;
  /** Execution logging, with execution data. @default "ALL" for STANDARD, "ERROR" for EXPRESS (its logs are its only history) */
  readonly logLevel?: ExecutionLogLevel;
  /**
   * A definition of your own instead of the "Record Message" one: an ASL template with `${Placeholder}`s, the
   * functions its tasks invoke by placeholder (each gets invoke permission if a task, at any depth, calls it),
   * and any other substitutions. Rendering refuses a placeholder without a value and a value without one.
   * @default the Record Message definition of `workflowType`, invoking `recorder`
   */
  readonly definition?: {
    readonly template: object;
    readonly functions: Readonly<Record<string, IFunction>>;
    readonly substitutions?: Readonly<Record<string, string | number>>;
  };
}

/**
 * How long Step Functions reuses a data key before asking KMS for a new one: the API's default (allowed
 * 60-900 s), a data key used at most five minutes at the cost of about two KMS requests per five minutes.
 * https://docs.aws.amazon.com/step-functions/latest/apireference/API_EncryptionConfiguration.html
 */
const KMS_DATA_KEY_REUSE_PERIOD_SECONDS = 300;

/**
 * The state machine rendered from asl/record-message.asl.json (STANDARD) or asl/record-message-express.asl.json
 * (EXPRESS), its role and its log group.
 */
export class MessageWorkflow extends Construct implements IStateMachine {
  /** The underlying state machine, for what this construct does not model. */
  public readonly resource: SfnStateMachine;
  public readonly stateMachineArn: string;
  public readonly stateMachineName: string;
  public readonly logGroupName: string;
  public readonly logGroupArn: string;
  public readonly workflowType: WorkflowType;
  private readonly encryptionKey?: EncryptionKey;
  /**
   * The state machine's ARN built from its name, for conditions that would otherwise make a cycle (the
   * trust policy of its own role, the encryption context of its key).
   */
  private readonly knownStateMachineArn: string;

  /** A state machine made elsewhere (another stack, another tool), by its ARN, as a rule's target. */
  public static fromStateMachineArn(scope: Construct, id: string, stateMachineArn: string): IStateMachine {
    return new ImportedStateMachine(scope, id, stateMachineArn);
  }

  constructor(scope: Construct, id: string, props: MessageWorkflowProps) {
    super(scope, id);
    const key = props.encryptionKey;
    this.encryptionKey = key;
    this.knownStateMachineArn = arnOf(this, "states", `stateMachine:${props.stateMachineName}`);

    // Under /aws/vendedlogs/ CloudWatch Logs does not add a resource-policy statement per log group, whose
    // 5 KB limit otherwise breaks deployments once an account has a few dozen state machines.
    const logGroup = createLogGroup(this, "log-group", {
      name: `/aws/vendedlogs/states/${props.stateMachineName}`,
      retentionInDays: props.logRetentionInDays ?? DEFAULTS.logRetentionInDays,
      ...(key ? { encryptionKey: key } : {}),
    });
    this.logGroupName = logGroup.name;
    this.logGroupArn = logGroup.arn;

    const role =
      props.role ??
      new ServiceRole(this, "role", {
        roleName: `${props.stateMachineName}-role`,
        assumedBy: "states.amazonaws.com",
        description: "Runs the message recorder workflow",
        // Step Functions assumes the role on behalf of the state machine.
        // https://docs.aws.amazon.com/step-functions/latest/dg/procedure-create-iam-role.html (confused deputy)
        sourceArn: this.knownStateMachineArn,
      });
    const type = props.workflowType ?? "STANDARD";
    this.workflowType = type;
    const timeouts = {
      RecorderFunctionArn: props.recorder.functionArn,
      StateMachineTimeoutSeconds: props.stateMachineTimeoutSeconds ?? EXECUTION_TIMEOUT_SECONDS[type].default,
      TaskTimeoutSeconds: props.taskTimeoutSeconds ?? DEFAULTS.workflow.taskTimeoutSeconds,
    };
    if (type === "EXPRESS" && !props.failedExecutionsQueue) {
      throw new Error(
        `${this.node.path}: an EXPRESS workflow needs failedExecutionsQueue: Express workflows emit no status-change events, so it sends its failures there itself`,
      );
    }
    const definition = props.definition
      ? renderDefinition(
          props.definition.template,
          {
            ...Object.fromEntries(Object.entries(props.definition.functions).map(([placeholder, fn]) => [placeholder, fn.functionArn])),
            ...(props.definition.substitutions ?? {}),
          },
          `${this.node.path} definition`,
        )
      : renderWorkflowDefinition(type, {
          ...timeouts,
          ...(type === "EXPRESS" ? { FailedExecutionsQueueUrl: props.failedExecutionsQueue!.queueUrl } : {}),
        });
    if (type === "EXPRESS" && !props.definition) props.failedExecutionsQueue!.grantSendMessages(role);
    // One model of the definition, nested states included: invoke permission for exactly the functions its tasks
    // call (a Parallel branch or a Map iterator too), and nothing else.
    const model = WorkflowModel.of(definition);
    const known = props.definition ? Object.values(props.definition.functions) : [props.recorder];
    const invoked = known.filter((fn) => model.invokedFunctions.includes(fn.functionArn));
    for (const fn of invoked) fn.grantInvoke(role);
    const maxTimeout = EXECUTION_TIMEOUT_SECONDS[type].max;
    // The slowest function bounds every retried attempt; each Lambda task must outlive it.
    const lambdaTimeoutSeconds = Math.max(...invoked.map((fn) => fn.timeoutSeconds), 0);
    this.node.addValidation({
      validate: () => [
        ...model.callbackTaskProblems,
        ...model.taskTimeoutProblems(lambdaTimeoutSeconds),
        ...model.retryBudgetProblems(lambdaTimeoutSeconds),
        ...(timeouts.StateMachineTimeoutSeconds > maxTimeout
          ? [`stateMachineTimeoutSeconds must be at most ${maxTimeout} for ${type}. Received: ${timeouts.StateMachineTimeoutSeconds}`]
          : []),
      ],
    });
    role.addToPolicy({
      sid: "DeliverExecutionLogs",
      actions: [
        "logs:CreateLogDelivery",
        "logs:DeleteLogDelivery",
        "logs:DescribeLogGroups",
        "logs:DescribeResourcePolicies",
        "logs:GetLogDelivery",
        "logs:ListLogDeliveries",
        "logs:PutResourcePolicy",
        "logs:UpdateLogDelivery",
      ],
      // The log-delivery APIs take no resource ARN: AWS documents "*" as the only accepted resource.
      resources: ["*"],
    });

    const tracing = props.tracing ?? type === "STANDARD";
    if (tracing) {
      role.addToPolicy({
        sid: "WriteTraces",
        actions: ["xray:GetSamplingRules", "xray:GetSamplingTargets", "xray:PutTelemetryRecords", "xray:PutTraceSegments"],
        // X-Ray's APIs have no resource-level permissions: "*" is the only accepted resource.
        resources: ["*"],
      });
    }

    if (key) {
      // What Step Functions needs to encrypt the definition and the history of this state machine, and to hand
      // its logs to the log delivery service; each scoped by the encryption context it uses.
      // https://docs.aws.amazon.com/step-functions/latest/dg/encryption-at-rest.html
      key.grantEncryptDecrypt(role, "EncryptOwnExecutions", this.executionEncryptionContext());
      // The page's example compares this value with StringEquals, which takes its "*" as a literal character: it
      // matches only if the context holds that literal value (as the EventBridge logs page shows it does).
      // StringLike matches that value and any concrete log ARN of the account and region, so it holds either way.
      // https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_String
      key.grantEncryptDecrypt(
        role,
        "EncryptVendedLogs",
        {
          StringLike: { "kms:EncryptionContext:SourceArn": arnOf(this, "logs", "*") },
        },
        ["kms:GenerateDataKey"],
      );
      // The log delivery service decrypts what the state machine vends before CloudWatch Logs re-encrypts it for
      // the log group; only for deliveries of this account and region. The Step Functions page shows the statement
      // without a condition; the condition is the one EventBridge's page documents for the same service and
      // vended-logs context (StringLike). npm run verify's logs hop checks the delivery on the first deploy.
      // https://docs.aws.amazon.com/step-functions/latest/dg/encryption-at-rest.html (CloudWatch Logs with a customer managed key)
      // https://docs.aws.amazon.com/eventbridge/latest/userguide/encryption-bus-logs.html
      key.addToResourcePolicy({
        Sid: "LogDeliveryDecryptsVendedLogs",
        Effect: "Allow",
        Principal: { Service: "delivery.logs.amazonaws.com" },
        Action: "kms:Decrypt",
        Resource: "*",
        Condition: { StringLike: { "kms:EncryptionContext:SourceArn": arnOf(this, "logs", "*") } },
      });
    }

    const stateMachine = (this.resource = new SfnStateMachine(this, "state-machine", {
      name: props.stateMachineName,
      type,
      roleArn: role.roleArn,
      definition,
      loggingConfiguration: {
        level: props.logLevel ?? (type === "EXPRESS" ? "ERROR" : "ALL"),
        includeExecutionData: true,
        // The log group's arn attribute has the ":*" suffix stripped; the logging API requires it back.
        logDestination: `${logGroup.arn}:*`,
      },
      tracingConfiguration: { enabled: tracing },
      ...(key
        ? {
            encryptionConfiguration: {
              type: "CUSTOMER_MANAGED_KMS_KEY",
              kmsKeyId: key.keyArn,
              kmsDataKeyReusePeriodSeconds: KMS_DATA_KEY_REUSE_PERIOD_SECONDS,
            },
          }
        : {}),
      // Step Functions checks at create time that the role can invoke the function and deliver logs.
      dependsOn: [role.policy],
    }));
    this.stateMachineArn = stateMachine.arn;
    this.stateMachineName = stateMachine.name;
  }

  /** A metric of this state machine in AWS/States, e.g. "ExecutionsSucceeded". */
  public metric(metricName: string, options?: MetricOptions): Metric {
    return serviceMetric("AWS/States", metricName, { StateMachineArn: this.stateMachineArn }, "Sum", 60, options);
  }

  /** Executions that ended FAILED: a message not recorded. */
  public metricFailed(options?: MetricOptions): Metric {
    return this.metric("ExecutionsFailed", options);
  }

  /** Executions that hit the execution timeout. */
  public metricTimedOut(options?: MetricOptions): Metric {
    return this.metric("ExecutionsTimedOut", options);
  }

  /** Executions that were stopped. */
  public metricAborted(options?: MetricOptions): Metric {
    return this.metric("ExecutionsAborted", options);
  }

  /** Executions started. */
  public metricStarted(options?: MetricOptions): Metric {
    return this.metric("ExecutionsStarted", options);
  }

  /** Executions that succeeded: a message recorded (or a duplicate). */
  public metricSucceeded(options?: MetricOptions): Metric {
    return this.metric("ExecutionsSucceeded", options);
  }

  /**
   * Lets the role start executions of this state machine only. StartExecution needs no key permission: Step
   * Functions encrypts the input under its own grant ("StartExecution ... No KMS permission required").
   * https://docs.aws.amazon.com/step-functions/latest/dg/encryption-at-rest.html
   */
  public grantStartExecution(grantee: IGrantable): Grant {
    return grantStartExecutionOf(this.stateMachineArn, grantee);
  }

  /**
   * Lets the role answer task tokens. The Service Authorization Reference lists no resource type for
   * SendTaskSuccess/SendTaskFailure (wildcard only), so "*" is the only documented resource; the token itself
   * names the execution. No key permission: they need none ("SendTaskSuccess ... No KMS permission required").
   * https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsstepfunctions.html
   */
  public grantTaskResponse(grantee: IGrantable): Grant {
    return Grant.addToPrincipal(grantee, {
      sid: "AnswerTaskTokens",
      actions: ["states:SendTaskFailure", "states:SendTaskSuccess"],
      resources: ["*"],
    });
  }

  /**
   * What an operator needs to start executions again and see how they ended (npm run redrive, npm run verify):
   * StartExecution, or StartSyncExecution for EXPRESS; DescribeExecution of its executions and ListExecutions.
   * Reading an execution's input or output under a customer-managed key takes kms:Decrypt ("DescribeExecution,
   * StartSyncExecution: kms:Decrypt"), for this state machine's encryption context only.
   * https://docs.aws.amazon.com/step-functions/latest/dg/encryption-at-rest.html
   */
  public grantOperate(grantee: IGrantable): Grant {
    const express = this.workflowType === "EXPRESS";
    const grant = Grant.addToPrincipal(
      grantee,
      {
        sid: "RedriveExecutions",
        actions: [express ? "states:StartSyncExecution" : "states:StartExecution", ...(express ? [] : ["states:ListExecutions"])],
        resources: [this.stateMachineArn],
      },
      ...(express ? [] : [{ sid: "DescribeExecutions", actions: ["states:DescribeExecution"], resources: [this.executionArnPattern()] }]),
    );
    const keyGrant = this.encryptionKey?.grantEncryptDecrypt(grantee, "ReadExecutionData", this.executionEncryptionContext(), [
      "kms:Decrypt",
    ]);
    return keyGrant ? grant.combine(keyGrant) : grant;
  }

  /**
   * Lets the grantee read the execution logs (FilterLogEvents on this state machine's log group; the `:*` form
   * covers its streams). https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoncloudwatchlogs.html
   */
  public grantReadLogs(grantee: IGrantable): Grant {
    const grant = Grant.addToPrincipal(grantee, {
      sid: "ReadExecutionLogs",
      actions: ["logs:FilterLogEvents"],
      resources: [this.logGroupArn, `${this.logGroupArn}:*`],
    });
    const keyGrant = this.encryptionKey?.grantThroughCloudWatchLogs(grantee, "ReadLogsThroughCloudWatchLogs", "read");
    return keyGrant ? grant.combine(keyGrant) : grant;
  }

  /** `arn:...:execution:<name>:*`: every execution of this state machine. */
  private executionArnPattern(): string {
    return `${this.knownStateMachineArn.replace(":stateMachine:", ":execution:")}:*`;
  }

  private executionEncryptionContext() {
    return { StringEquals: { "kms:EncryptionContext:aws:states:stateMachineArn": this.knownStateMachineArn } };
  }
}
