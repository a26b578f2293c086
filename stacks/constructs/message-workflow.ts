import { Construct } from "constructs";
import { SfnStateMachine } from "@cdktf/provider-aws/lib/sfn-state-machine";
import { callbackTaskProblems, EXECUTION_TIMEOUT_SECONDS, invokedFunctions, renderWorkflowDefinition, retryBudget } from "../asl";
import { EventQueue } from "./event-queue";
import { arnOf } from "./account";
import { EncryptionKey } from "./encryption-key";
import { RecorderFunction } from "./recorder-function";
import { Grant, IGrantable } from "./grants";
import { createLogGroup } from "./log-group";
import { Metric, serviceMetric } from "./metric";
import { ServiceRole } from "./service-role";

export interface MessageWorkflowProps {
  readonly stateMachineName: string;
  readonly recorder: RecorderFunction;
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
  readonly workflowType?: "STANDARD" | "EXPRESS";
  /** Where an EXPRESS workflow sends every failure, with the original event. Required for EXPRESS. */
  readonly failedExecutionsQueue?: EventQueue;
  /** Execution logging, with execution data. @default "ALL" for STANDARD, "ERROR" for EXPRESS (its logs are its only history) */
  readonly logLevel?: "ALL" | "ERROR" | "FATAL" | "OFF";
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
export class MessageWorkflow extends Construct {
  public readonly stateMachineArn: string;
  public readonly stateMachineName: string;
  public readonly logGroupName: string;
  public readonly workflowType: "STANDARD" | "EXPRESS";
  private readonly encryptionKey?: EncryptionKey;
  /**
   * The state machine's ARN built from its name, for conditions that would otherwise make a cycle (the
   * trust policy of its own role, the encryption context of its key).
   */
  private readonly knownStateMachineArn: string;

  constructor(scope: Construct, id: string, props: MessageWorkflowProps) {
    super(scope, id);
    const key = props.encryptionKey;
    this.encryptionKey = key;
    this.knownStateMachineArn = arnOf(this, "states", `stateMachine:${props.stateMachineName}`);

    // Under /aws/vendedlogs/ CloudWatch Logs does not add a resource-policy statement per log group, whose
    // 5 KB limit otherwise breaks deployments once an account has a few dozen state machines.
    const logGroup = createLogGroup(this, "log-group", {
      name: `/aws/vendedlogs/states/${props.stateMachineName}`,
      retentionInDays: props.logRetentionInDays ?? 7,
      ...(key ? { encryptionKey: key } : {}),
    });
    this.logGroupName = logGroup.name;

    const role = props.role ?? new ServiceRole(this, "role", {
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
      TaskTimeoutSeconds: props.taskTimeoutSeconds ?? 7,
    };
    if (type === "EXPRESS" && !props.failedExecutionsQueue) {
      throw new Error(`${this.node.path}: an EXPRESS workflow needs failedExecutionsQueue: Express workflows emit no status-change events, so it sends its failures there itself`);
    }
    const definition = renderWorkflowDefinition(type, { ...timeouts, ...(type === "EXPRESS" ? { FailedExecutionsQueueUrl: props.failedExecutionsQueue!.queueUrl } : {}) });
    if (type === "EXPRESS") props.failedExecutionsQueue!.grantSendMessages(role);
    // Invoke permission for exactly the functions the definition's tasks call, and nothing else.
    const invoked = invokedFunctions(definition);
    for (const fn of [props.recorder].filter((f) => invoked.includes(f.functionArn))) fn.grantInvoke(role);
    const maxTimeout = EXECUTION_TIMEOUT_SECONDS[type].max;
    this.node.addValidation({
      validate: () => [
        ...callbackTaskProblems(definition),
        ...retryBudgetProblems(definition, props.recorder.timeoutSeconds),
        ...(timeouts.StateMachineTimeoutSeconds > maxTimeout ? [`stateMachineTimeoutSeconds must be at most ${maxTimeout} for ${type}. Received: ${timeouts.StateMachineTimeoutSeconds}`] : []),
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
      key.grantEncryptDecrypt(role, "EncryptVendedLogs", {
        StringEquals: { "kms:EncryptionContext:SourceArn": arnOf(this, "logs", "*") },
      }, ["kms:GenerateDataKey"]);
      key.allowLogDelivery();
    }

    const stateMachine = new SfnStateMachine(this, "state-machine", {
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
        ? { encryptionConfiguration: { type: "CUSTOMER_MANAGED_KMS_KEY", kmsKeyId: key.keyArn, kmsDataKeyReusePeriodSeconds: KMS_DATA_KEY_REUSE_PERIOD_SECONDS } }
        : {}),
      // Step Functions checks at create time that the role can invoke the function and deliver logs.
      dependsOn: [role.policy],
    });
    this.stateMachineArn = stateMachine.arn;
    this.stateMachineName = stateMachine.name;
  }

  /** A metric of this state machine in AWS/States, e.g. "ExecutionsSucceeded". */
  public metric(metricName: string): Metric {
    return serviceMetric("AWS/States", metricName, { StateMachineArn: this.stateMachineArn });
  }

  // Executions that ended FAILED (a message not recorded), hit the execution timeout, or were stopped.
  public metricFailed = (): Metric => this.metric("ExecutionsFailed");
  public metricTimedOut = (): Metric => this.metric("ExecutionsTimedOut");
  public metricAborted = (): Metric => this.metric("ExecutionsAborted");

  /** Lets the role start executions of this state machine only. */
  public grantStartExecution(grantee: IGrantable): Grant {
    return Grant.addToPrincipal(grantee, { sid: "StartRecorderWorkflow", actions: ["states:StartExecution"], resources: [this.stateMachineArn] })
      .combine(this.grantKeyForExecutions(grantee, "EncryptStartedExecutions"));
  }

  /**
   * Lets the role answer this state machine's task tokens. The service authorization reference lists no
   * resource type for these actions, but Step Functions authorizes them against the state machine the token
   * belongs to (its AccessDenied names that ARN), which is also how AWS CDK's grantTaskResponse scopes them.
   */
  public grantTaskResponse(grantee: IGrantable): Grant {
    return Grant.addToPrincipal(grantee, {
      sid: "AnswerTaskTokens",
      actions: ["states:SendTaskFailure", "states:SendTaskSuccess"],
      resources: [this.stateMachineArn],
    }).combine(this.grantKeyForExecutions(grantee, "EncryptTaskResponses"));
  }

  /**
   * With a customer-managed key, a caller's input or output is encrypted under the caller's own key permission:
   * this key, for this state machine's encryption context only.
   * https://docs.aws.amazon.com/step-functions/latest/dg/encryption-at-rest.html
   */
  private grantKeyForExecutions(grantee: IGrantable, sid: string): Grant {
    return this.encryptionKey?.grantEncryptDecrypt(grantee, sid, this.executionEncryptionContext()) ?? Grant.none(grantee);
  }

  private executionEncryptionContext() {
    return { StringEquals: { "kms:EncryptionContext:aws:states:stateMachineArn": this.knownStateMachineArn } };
  }
}

/**
 * Retries must never push an execution past its timeout, and a task must outlive the function that answers it.
 * The configuration checks the same for its settings; this holds for any composition of the constructs.
 */
function retryBudgetProblems(definition: string, lambdaTimeoutSeconds: number): string[] {
  const parsed = JSON.parse(definition) as { TimeoutSeconds?: number; States: Record<string, { Type: string; Resource?: string; TimeoutSeconds?: number }> };
  const problems = Object.entries(parsed.States)
    .filter(([, state]) => state.Type === "Task" && String(state.Resource).startsWith("arn:aws:states:::lambda:invoke"))
    .filter(([, state]) => (state.TimeoutSeconds ?? 60) <= lambdaTimeoutSeconds)
    .map(([name, state]) => `Task "${name}" times out after ${state.TimeoutSeconds ?? 60} s, not after the function's ${lambdaTimeoutSeconds} s: a slow answer would be cut off`);
  const budget = retryBudget(definition, { lambdaTimeoutSeconds });
  if (parsed.TimeoutSeconds !== undefined && budget.totalSeconds >= parsed.TimeoutSeconds) {
    problems.push(`the worst case of the retries, ${budget.totalSeconds} s, does not fit the execution timeout of ${parsed.TimeoutSeconds} s`);
  }
  return problems;
}
