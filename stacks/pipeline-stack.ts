import { Construct } from "constructs";
import { CloudBackend, NamedCloudWorkspace, S3Backend, TaggedCloudWorkspaces, TerraformOutput, TerraformStack } from "cdktf";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { EnvironmentConfig } from "./config";
import { PROJECT_TAG, STATE_KEY_ALIAS_NAME } from "./names";
import { EncryptionKey } from "./constructs/encryption-key";
import { EventQueue } from "./constructs/event-queue";
import { EventArchive } from "./constructs/event-archive";
import { EventBus, Rule } from "./constructs/events";
import { FailedExecutionCapture } from "./constructs/failed-executions";
import { IngestionApi } from "./constructs/ingestion-api";
import { OLDEST_MESSAGE_AGE_THRESHOLD_SECONDS, PipelineAlarms } from "./constructs/pipeline-alarms";
import { MessagesTable } from "./constructs/messages-table";
import { MessageWorkflow } from "./constructs/message-workflow";
import { OperatorPolicy } from "./constructs/operator-policy";
import { PipelineDashboard } from "./constructs/dashboard";
import { LambdaArchive, RecorderFunction } from "./constructs/recorder-function";
import { ServiceRole } from "./constructs/service-role";
import { SqsQueueTarget, StateMachineTarget } from "./constructs/targets";

export { PROJECT_TAG } from "./names";

export interface PipelineStackProps {
  readonly config: EnvironmentConfig;
  /** A prebuilt recorder archive. @default built at synth by the recorder function */
  readonly recorderArchive?: LambdaArchive;
}

/** The whole message recorder for one environment. The construct IDs below are Terraform addresses: keep them. */
export class PipelineStack extends TerraformStack {
  /** The parts, for compositions that extend the pipeline (see examples/two-sources). */
  public readonly encryptionKey?: EncryptionKey;
  public readonly table: MessagesTable;
  public readonly recorder: RecorderFunction;
  public readonly workflow: MessageWorkflow;
  public readonly bus: EventBus;
  public readonly rule: Rule;
  public readonly archive: EventArchive;
  public readonly reconciliationQueue: EventQueue;
  public readonly reconciliationRule: Rule;
  public readonly deadLetterQueue: EventQueue;
  public readonly failedExecutions: FailedExecutionCapture;
  public readonly alarms: PipelineAlarms;
  /** What operators attach to run send, redrive and verify on this environment. */
  public readonly operatorPolicy: OperatorPolicy;

  constructor(scope: Construct, id: string, props: PipelineStackProps) {
    super(scope, id);
    const { config } = props;

    new AwsProvider(this, "aws", {
      region: config.region,
      defaultTags: [{ tags: { ...config.tags, project: PROJECT_TAG, environment: config.environment, "managed-by": "cdktf" } }],
    });
    configureStateBackend(this, config);

    const encryptionKey = (this.encryptionKey =
      config.key.encryption === "customer-managed"
        ? new EncryptionKey(this, "key", {
            aliasName: id,
            description: `Encrypts the data of ${id} at rest`,
            deletionWindowInDays: config.key.deletionWindowInDays,
          })
        : undefined);
    // Each section of the configuration has its construct's prop names: it is handed over as it is.
    const table = (this.table = new MessagesTable(this, "messages", { ...config.table, encryptionKey }));
    const recorder = (this.recorder = new RecorderFunction(this, "recorder", {
      ...config.recorder,
      ...(props.recorderArchive ? { archive: props.recorderArchive } : {}),
      table,
      logRetentionInDays: config.logs.retentionInDays,
      tracing: config.tracing,
      encryptionKey,
    }));
    const failedExecutions = (this.failedExecutions = new FailedExecutionCapture(this, "failed-executions", {
      queueName: `${config.workflow.stateMachineName}-failed-executions`,
      encryptionKey,
    }));
    const workflow = (this.workflow = new MessageWorkflow(this, "workflow", {
      ...config.workflow,
      recorder,
      logRetentionInDays: config.logs.retentionInDays,
      tracing: config.tracing,
      encryptionKey,
      failedExecutionsQueue: failedExecutions.queue,
    }));
    if (config.workflow.workflowType === "STANDARD") {
      // The callback: only a STANDARD workflow's recorder answers task tokens.
      workflow.grantTaskResponse(recorder.role);
    }

    // Ingress: the bus, the rule on `source`, and its target with retries and a dead-letter queue. The "ingress"
    // scope keeps the Terraform addresses these resources had before they were constructs of their own.
    const ingress = new Construct(this, "ingress");
    const bus = (this.bus = new EventBus(ingress, "bus", config.bus));
    const rule = (this.rule = new Rule(ingress, "rule", {
      ruleName: config.rule.ruleName,
      eventBus: bus,
      eventPattern: { source: [config.rule.eventSource] },
      description: `Starts the message recorder workflow for events from ${config.rule.eventSource}`,
    }));
    // Every event the rule matches is also archived: the independent copy npm run reconcile replays against the table.
    this.archive = new EventArchive(ingress, "archive", {
      ...config.archive,
      archiveName: `${config.bus.eventBusName}-archive`,
      eventBus: bus,
      eventPattern: { source: [config.rule.eventSource] },
      description: `Every event of ${config.rule.eventSource}, for reconciling the table`,
    });
    const deadLetterQueue = (this.deadLetterQueue = new EventQueue(ingress, "dead-letter-queue", {
      ...config.deadLetterQueue,
      encryptionKey,
    }));
    const targetRole = new ServiceRole(ingress, "target-role", {
      roleName: `${config.rule.ruleName}-target-role`,
      assumedBy: "events.amazonaws.com",
      description: "Lets the event rule start the message recorder workflow",
      // EventBridge assumes a target's role on behalf of the rule.
      // https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-identity-based.html (confused deputy)
      sourceArn: rule.ruleArn,
    });
    const target = rule.addTarget(
      new StateMachineTarget(workflow, {
        targetId: "message-recorder-workflow",
        retryAttempts: config.rule.retryAttempts,
        maxEventAgeInSeconds: config.rule.maxEventAgeInSeconds,
        deadLetterQueue,
        role: targetRole,
      }),
    );
    // Where these two lived before the event constructs existed: moved, not replaced, for a deployed stack.
    target.moveFromId("aws_cloudwatch_event_target.ingress_target_F16B49E0");
    deadLetterQueue.policy.moveFromId("aws_sqs_queue_policy.ingress_dead-letter-queue-policy_5B4C8EEA");
    if (config.workflow.workflowType === "STANDARD") {
      // Express status changes do not exist. What EventBridge cannot write to the failed-executions queue goes to
      // the dead-letter queue, which redrive reads with the same rules.
      failedExecutions.captureStatusChangesOf(workflow.stateMachineArn, `${config.workflow.stateMachineName}-failed`, deadLetterQueue);
    }
    // Reconciliation: replays of the archive reach this rule only (StartReplay's FilterArns), and it matches only
    // replayed events, so a replay never starts an execution by itself; npm run reconcile reads the queue.
    const reconciliationQueue = (this.reconciliationQueue = new EventQueue(ingress, "reconciliation-queue", {
      queueName: `${config.bus.eventBusName}-reconcile`,
      encryptionKey,
    }));
    const reconciliationRule = (this.reconciliationRule = new Rule(ingress, "reconciliation-rule", {
      ruleName: `${config.rule.ruleName}-reconcile`,
      eventBus: bus,
      eventPattern: { source: [config.rule.eventSource], "replay-name": [{ exists: true }] },
      description: "Sends replays of the archive to the reconciliation queue, for npm run reconcile",
    }));
    reconciliationRule.addTarget(
      new SqsQueueTarget(reconciliationQueue, { targetId: "reconciliation-queue", policySid: "AcceptReplayedEvents", deadLetterQueue }),
    );

    const api = new IngestionApi(this, "api", {
      apiName: `${id}-messages`,
      region: config.region,
      tracing: config.tracing,
      eventBus: bus,
      eventSource: config.rule.eventSource,
      manageAccountLogRole: config.api.manageAccountLogRole,
      throttlingRateLimit: config.api.throttlingRateLimit,
      throttlingBurstLimit: config.api.throttlingBurstLimit,
      logRetentionInDays: config.logs.retentionInDays,
      encryptionKey,
    });
    const alarms = (this.alarms = new PipelineAlarms(this, "alarms", { namePrefix: id, alarmEmail: config.alarms.email, encryptionKey }));
    const oldestMessageAge = { threshold: OLDEST_MESSAGE_AGE_THRESHOLD_SECONDS };
    const failedQueue = failedExecutions.queue;
    [
      {
        id: "dlq-messages-visible",
        description: "Events that EventBridge could not deliver wait in the dead-letter queue: redrive them",
        metric: deadLetterQueue.metricMessagesVisible(),
      },
      {
        id: "dlq-oldest-message-age",
        description: "A dead-lettered event is 10 days old and expires in 4: redrive it now",
        metric: deadLetterQueue.metricOldestMessageAge(),
        ...oldestMessageAge,
      },
      {
        id: "failed-executions-visible",
        description: "Executions that did not record their message wait in the failed-executions queue: fix the cause, then redrive them",
        metric: failedQueue.metricMessagesVisible(),
      },
      {
        id: "failed-executions-oldest-message-age",
        description: "A captured failed execution is 10 days old and expires in 4: redrive it now",
        metric: failedQueue.metricOldestMessageAge(),
        ...oldestMessageAge,
      },
      {
        id: "api-rejected-requests",
        description: "POST /messages answered 5xx: EventBridge refused or throttled the event, and the caller was told to retry",
        metric: api.metricServerErrors(),
      },
      {
        id: "executions-failed",
        description: "Executions ended in Job Failed or another failure: a message was not recorded",
        metric: workflow.metricFailed(),
      },
      { id: "executions-timed-out", description: "Executions hit the state machine timeout", metric: workflow.metricTimedOut() },
      { id: "executions-aborted", description: "Executions were stopped by hand or by a redeploy", metric: workflow.metricAborted() },
      {
        id: "recorder-errors",
        description: "The recorder failed an invocation: a transient fault, retried by the workflow",
        metric: recorder.metricErrors(),
      },
      {
        id: "recorder-throttles",
        description: "The recorder was throttled; Step Functions retries, but check concurrency",
        metric: recorder.metricThrottles(),
      },
      {
        id: "rule-failed-invocations",
        description: "The rule could not start the state machine (after retries the event goes to the DLQ)",
        metric: rule.metricFailedInvocations(),
      },
      {
        id: "rule-dlq-failures",
        description: "Events could not even be written to the dead-letter queue: they are lost",
        metric: rule.metricInvocationsFailedToBeSentToDlq(),
      },
      ...(failedExecutions.rule
        ? [
            {
              id: "capture-failed-invocations",
              description:
                "A failed execution could not be written to the failed-executions queue; after retries it goes to the dead-letter queue",
              metric: failedExecutions.rule.metricFailedInvocations(),
            },
            {
              id: "capture-dlq-failures",
              description:
                "A failed execution could not be written to either queue: only the execution history keeps it (redrive --source executions)",
              metric: failedExecutions.rule.metricInvocationsFailedToBeSentToDlq(),
            },
          ]
        : []),
    ].forEach((alarm) => alarms.addAlarm(alarm));

    // The flow left to right, every metric from the construct that owns it, and every alarm on a graph of its own.
    const dashboard = new PipelineDashboard(this, "dashboard", {
      dashboardName: id,
      region: config.region,
      graphs: [
        { title: "POST /messages: requests, 4xx, 5xx", metrics: [api.metricCount(), api.metricClientErrors(), api.metricServerErrors()] },
        {
          title: "Rule: events matched, failed invocations, not dead-lettered",
          metrics: [rule.metricMatchedEvents(), rule.metricFailedInvocations(), rule.metricInvocationsFailedToBeSentToDlq()],
        },
        {
          title: "Executions: started, succeeded, failed, timed out",
          metrics: [workflow.metricStarted(), workflow.metricSucceeded(), workflow.metricFailed(), workflow.metricTimedOut()],
        },
        {
          title: "Recorder duration p50 and p99 (ms)",
          metrics: [recorder.metricDuration({ statistic: "p50" }), recorder.metricDuration({ statistic: "p99" })],
        },
        { title: "Recorder errors and throttles", metrics: [recorder.metricErrors(), recorder.metricThrottles()] },
        { title: "DynamoDB writes and throttles", metrics: [table.metricConsumedWriteCapacityUnits(), table.metricWriteThrottleEvents()] },
        {
          title: "Kept for redrive: messages waiting",
          metrics: [deadLetterQueue.metricMessagesVisible(), failedQueue.metricMessagesVisible()],
        },
        {
          title: "Kept for redrive: oldest message age (s)",
          metrics: [deadLetterQueue.metricOldestMessageAge(), failedQueue.metricOldestMessageAge()],
        },
      ],
      alarms: alarms.alarms.map((alarm) => ({ title: `Alarm ${alarm.id}`, alarmArn: alarm.alarmArn, metric: alarm.metric })),
    });

    // What `npm run send`, `redrive` and `verify` call, on this environment's resources only: attach it to operators.
    const operator = (this.operatorPolicy = new OperatorPolicy(this, "operator-policy", {
      policyName: `${id}-operator`,
      description: `Lets an operator send to, redrive and verify the message recorder ${id}`,
    }));
    bus.grantPutEvents(operator);
    api.grantInvokePostMessages(operator);
    workflow.grantOperate(operator);
    workflow.grantReadLogs(operator);
    table.grantReadItems(operator);
    deadLetterQueue.grantConsumeMessages(operator);
    failedQueue.grantConsumeMessages(operator);
    reconciliationQueue.grantConsumeMessages(operator);
    this.archive.grantReplay(operator);
    alarms.grantReadAlarms(operator);

    const outputs: Record<string, string> = {
      event_bus_name: bus.eventBusName,
      event_bus_arn: bus.eventBusArn,
      event_archive_name: this.archive.archiveName,
      event_archive_arn: this.archive.archiveArn,
      reconciliation_rule_arn: reconciliationRule.ruleArn,
      reconciliation_queue_url: reconciliationQueue.queueUrl,
      event_source: config.rule.eventSource,
      state_machine_arn: workflow.stateMachineArn,
      workflow_type: workflow.workflowType,
      state_machine_log_group_name: workflow.logGroupName,
      messages_table_name: table.tableName,
      recorder_function_name: recorder.functionName,
      dead_letter_queue_url: deadLetterQueue.queueUrl,
      failed_executions_queue_url: failedQueue.queueUrl,
      messages_api_url: api.messagesUrl,
      alarm_topic_arn: alarms.topicArn,
      dashboard_name: dashboard.dashboardName,
      alarm_name_prefix: `${id}-`,
      operator_policy_arn: operator.policyArn,
    };
    for (const [name, value] of Object.entries(outputs)) new TerraformOutput(this, name, { value });
  }
}

function configureStateBackend(stack: TerraformStack, config: EnvironmentConfig): void {
  const backend = config.backend;
  if (backend.type === "cloud") {
    new CloudBackend(stack, {
      organization: backend.organization,
      ...(backend.hostname ? { hostname: backend.hostname } : {}),
      workspaces: backend.workspaceName
        ? new NamedCloudWorkspace(backend.workspaceName)
        : new TaggedCloudWorkspaces([...(backend.workspaceTags ?? [])]),
    });
    return;
  }
  new S3Backend(stack, {
    bucket: backend.bucket ?? "",
    key: backend.key,
    region: backend.region,
    encrypt: true,
    // Under the state key, not SSE-S3: see STATE_KEY_ALIAS_NAME.
    kmsKeyId: `alias/${STATE_KEY_ALIAS_NAME}`,
  });
  // S3-native locking (Terraform 1.10+); cdktf 0.21's S3Backend has no property for it.
  stack.addOverride("terraform.backend.s3.use_lockfile", true);
  if (!backend.bucket) {
    // A partial backend: `terraform init -backend-config=bucket=...` supplies the bucket. Terraform would prompt for
    // it otherwise, so `npm run diff/deploy` (scripts/cdktf.ts) refuses this stack unless --state-bucket or
    // --backend-config is given.
    stack.addOverride("terraform.backend.s3.bucket", undefined);
  }
}
