import { Construct } from "constructs";
import { CloudBackend, NamedCloudWorkspace, S3Backend, TaggedCloudWorkspaces, TerraformOutput, TerraformStack } from "cdktf";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { EnvironmentConfig } from "./config";
import { EventIngress } from "./constructs/event-ingress";
import { IngestionApi } from "./constructs/ingestion-api";
import { PipelineAlarms } from "./constructs/pipeline-alarms";
import { MessagesTable } from "./constructs/messages-table";
import { MessageWorkflow } from "./constructs/message-workflow";
import { LambdaArchive, RecorderFunction } from "./constructs/recorder-function";

export const PROJECT_TAG = "message-recorder";

export interface PipelineStackProps {
  readonly config: EnvironmentConfig;
  readonly recorderArchive: LambdaArchive;
}

/** The whole message recorder for one environment. The construct IDs below are Terraform addresses: keep them. */
export class PipelineStack extends TerraformStack {
  constructor(scope: Construct, id: string, props: PipelineStackProps) {
    super(scope, id);
    const { config } = props;

    new AwsProvider(this, "aws", {
      region: config.region,
      defaultTags: [{ tags: { ...config.tags, project: PROJECT_TAG, environment: config.environment, "managed-by": "cdktf" } }],
    });
    configureStateBackend(this, config);

    const table = new MessagesTable(this, "messages", { tableName: config.tableName });
    const recorder = new RecorderFunction(this, "recorder", {
      functionName: config.functionName,
      archive: props.recorderArchive,
      table,
      logRetentionInDays: config.logRetentionInDays,
      timeoutSeconds: config.lambdaTimeoutSeconds,
      memoryMb: config.lambdaMemoryMb,
      tracing: config.tracing,
    });
    const workflow = new MessageWorkflow(this, "workflow", {
      stateMachineName: config.stateMachineName,
      recorder,
      logRetentionInDays: config.logRetentionInDays,
      stateMachineTimeoutSeconds: config.stateMachineTimeoutSeconds,
      taskTimeoutSeconds: config.taskTimeoutSeconds,
      tracing: config.tracing,
    });
    workflow.grantTaskResponse(recorder.role);
    const ingress = new EventIngress(this, "ingress", {
      busName: config.busName,
      ruleName: config.ruleName,
      eventSource: config.eventSource,
      deadLetterQueueName: config.deadLetterQueueName,
      retryAttempts: config.retryAttempts,
      maxEventAgeInSeconds: config.maxEventAgeInSeconds,
      workflow,
    });

    const api = new IngestionApi(this, "api", {
      apiName: `${id}-messages`,
      ingress,
      eventSource: config.eventSource,
      api: config.api,
      logRetentionInDays: config.logRetentionInDays,
    });
    const alarms = new PipelineAlarms(this, "alarms", { namePrefix: id, ingress, workflow, recorder, alarmEmail: config.alarmEmail });

    const outputs: Record<string, string> = {
      event_bus_name: ingress.eventBusName,
      event_bus_arn: ingress.eventBusArn,
      event_source: config.eventSource,
      state_machine_arn: workflow.stateMachineArn,
      state_machine_log_group_name: workflow.logGroupName,
      messages_table_name: table.tableName,
      recorder_function_name: recorder.functionName,
      dead_letter_queue_url: ingress.deadLetterQueueUrl,
      messages_api_url: api.messagesUrl,
      alarm_topic_arn: alarms.topicArn,
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
