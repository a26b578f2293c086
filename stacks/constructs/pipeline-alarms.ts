import { Construct } from "constructs";
import { CloudwatchMetricAlarm } from "@cdktf/provider-aws/lib/cloudwatch-metric-alarm";
import { SnsTopic } from "@cdktf/provider-aws/lib/sns-topic";
import { SnsTopicPolicy } from "@cdktf/provider-aws/lib/sns-topic-policy";
import { SnsTopicSubscription } from "@cdktf/provider-aws/lib/sns-topic-subscription";
import { accountContext, arnOf } from "./account";
import { EncryptionKey } from "./encryption-key";
import { EVENT_QUEUE_RETENTION_SECONDS } from "./event-queue";
import { EventIngress } from "./event-ingress";
import { FailedExecutionCapture } from "./failed-executions";
import { IngestionApi } from "./ingestion-api";
import { MessageWorkflow } from "./message-workflow";
import { RecorderFunction } from "./recorder-function";
import { denyInsecureTransport } from "./secure-transport";

export interface PipelineAlarmsProps {
  /** Prefix of the topic and alarm names, e.g. `message-recorder-dev`. */
  readonly namePrefix: string;
  readonly ingress: EventIngress;
  readonly workflow: MessageWorkflow;
  readonly recorder: RecorderFunction;
  readonly failedExecutions: FailedExecutionCapture;
  readonly api: IngestionApi;
  /** Subscribed to the topic when set (the address must confirm the subscription). */
  readonly alarmEmail?: string;
  /** Encrypts the topic with this key. @default unencrypted (see the comment on the topic) */
  readonly encryptionKey?: EncryptionKey;
}

interface AlarmSpec {
  readonly id: string;
  readonly description: string;
  readonly namespace: string;
  readonly metricName: string;
  readonly statistic: "Sum" | "Maximum";
  readonly dimensions: Record<string, string>;
  /** SQS publishes every 5 minutes; the others every minute. */
  readonly periodSeconds: number;
  /** The alarm fires above it. @default 0 */
  readonly threshold?: number;
}

/**
 * Four days before a kept message would expire: long enough to notice that nobody redrove it, early enough to
 * act before SQS deletes it.
 */
export const OLDEST_MESSAGE_AGE_THRESHOLD_SECONDS = EVENT_QUEUE_RETENTION_SECONDS - 4 * 86_400;

/**
 * One alarm per way a message can be lost or stuck, all to one SNS topic. Each fires on the first occurrence
 * (> 0 in one period) and treats missing data as fine, since these metrics are only published when something
 * happens.
 */
export class PipelineAlarms extends Construct {
  public readonly topicArn: string;
  public readonly alarmNames: string[] = [];

  constructor(scope: Construct, id: string, props: PipelineAlarmsProps) {
    super(scope, id);
    // Never under the AWS-managed SNS key: CloudWatch cannot publish to a topic under aws/sns, whose key policy
    // cannot grant it. Without a customer-managed key the topic stays unencrypted.
    const key = props.encryptionKey;
    const alarmNames = `${props.namePrefix}-*`;
    key?.allowCloudWatchAlarmsToTopic(alarmNames);
    const topic = new SnsTopic(this, "topic", {
      name: `${props.namePrefix}-alarms`,
      ...(key ? { kmsMasterKeyId: key.keyArn } : {}),
    });
    this.topicArn = topic.arn;
    new SnsTopicPolicy(this, "topic-policy", {
      arn: topic.arn,
      policy: JSON.stringify({
        Version: "2012-10-17",
        Statement: [
          {
            // Only this account's alarms of this stack may publish (confused-deputy guard).
            // https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Notify_Users_Alarm_Changes.html
            Sid: "AlarmsOfThisStackPublish",
            Effect: "Allow",
            Principal: { Service: "cloudwatch.amazonaws.com" },
            Action: "sns:Publish",
            Resource: topic.arn,
            Condition: {
              StringEquals: { "aws:SourceAccount": accountContext(this).accountId },
              ArnLike: { "aws:SourceArn": arnOf(this, "cloudwatch", `alarm:${alarmNames}`) },
            },
          },
          denyInsecureTransport("sns:Publish", topic.arn),
        ],
      }),
    });
    if (props.alarmEmail) {
      new SnsTopicSubscription(this, "email", { topicArn: topic.arn, protocol: "email", endpoint: props.alarmEmail });
    }

    const stateMachine = { StateMachineArn: props.workflow.stateMachineArn };
    const fn = { FunctionName: props.recorder.functionName };
    const rule = { EventBusName: props.ingress.eventBusName, RuleName: props.ingress.ruleName };
    const deadLetterQueue = { QueueName: props.ingress.deadLetterQueueName };
    const failedQueue = { QueueName: props.failedExecutions.queueName };
    const api = { ApiName: props.api.apiName, Stage: props.api.stageName };
    const specs: AlarmSpec[] = [
      { id: "dlq-messages-visible", description: "Events that EventBridge could not deliver wait in the dead-letter queue: redrive them", namespace: "AWS/SQS", metricName: "ApproximateNumberOfMessagesVisible", statistic: "Maximum", dimensions: deadLetterQueue, periodSeconds: 300 },
      { id: "dlq-oldest-message-age", description: "A dead-lettered event is 10 days old and expires in 4: redrive it now", namespace: "AWS/SQS", metricName: "ApproximateAgeOfOldestMessage", statistic: "Maximum", dimensions: deadLetterQueue, periodSeconds: 300, threshold: OLDEST_MESSAGE_AGE_THRESHOLD_SECONDS },
      { id: "failed-executions-visible", description: "Executions that did not record their message wait in the failed-executions queue: fix the cause, then redrive them", namespace: "AWS/SQS", metricName: "ApproximateNumberOfMessagesVisible", statistic: "Maximum", dimensions: failedQueue, periodSeconds: 300 },
      { id: "failed-executions-oldest-message-age", description: "A captured failed execution is 10 days old and expires in 4: redrive it now", namespace: "AWS/SQS", metricName: "ApproximateAgeOfOldestMessage", statistic: "Maximum", dimensions: failedQueue, periodSeconds: 300, threshold: OLDEST_MESSAGE_AGE_THRESHOLD_SECONDS },
      { id: "api-rejected-requests", description: "POST /messages answered 5xx: EventBridge refused or throttled the event, and the caller was told to retry", namespace: "AWS/ApiGateway", metricName: "5XXError", statistic: "Sum", dimensions: api, periodSeconds: 60 },
      { id: "executions-failed", description: "Executions ended in Job Failed or another failure: a message was not recorded", namespace: "AWS/States", metricName: "ExecutionsFailed", statistic: "Sum", dimensions: stateMachine, periodSeconds: 60 },
      { id: "executions-timed-out", description: "Executions hit the state machine timeout", namespace: "AWS/States", metricName: "ExecutionsTimedOut", statistic: "Sum", dimensions: stateMachine, periodSeconds: 60 },
      { id: "executions-aborted", description: "Executions were stopped by hand or by a redeploy", namespace: "AWS/States", metricName: "ExecutionsAborted", statistic: "Sum", dimensions: stateMachine, periodSeconds: 60 },
      { id: "recorder-errors", description: "The recorder threw (e.g. an input without a task token)", namespace: "AWS/Lambda", metricName: "Errors", statistic: "Sum", dimensions: fn, periodSeconds: 60 },
      { id: "recorder-throttles", description: "The recorder was throttled; Step Functions retries, but check concurrency", namespace: "AWS/Lambda", metricName: "Throttles", statistic: "Sum", dimensions: fn, periodSeconds: 60 },
      { id: "rule-failed-invocations", description: "The rule could not start the state machine (after retries the event goes to the DLQ)", namespace: "AWS/Events", metricName: "FailedInvocations", statistic: "Sum", dimensions: rule, periodSeconds: 60 },
      { id: "rule-dlq-failures", description: "Events could not even be written to the dead-letter queue: they are lost", namespace: "AWS/Events", metricName: "InvocationsFailedToBeSentToDLQ", statistic: "Sum", dimensions: rule, periodSeconds: 60 },
    ];
    for (const spec of specs) {
      const alarm = new CloudwatchMetricAlarm(this, spec.id, {
        alarmName: `${props.namePrefix}-${spec.id}`,
        alarmDescription: spec.description,
        namespace: spec.namespace,
        metricName: spec.metricName,
        statistic: spec.statistic,
        dimensions: spec.dimensions,
        period: spec.periodSeconds,
        evaluationPeriods: 1,
        threshold: spec.threshold ?? 0,
        comparisonOperator: "GreaterThanThreshold",
        treatMissingData: "notBreaching",
        alarmActions: [topic.arn],
        okActions: [topic.arn],
      });
      this.alarmNames.push(alarm.alarmName);
    }
  }
}
