import { Construct } from "constructs";
import { CloudwatchMetricAlarm } from "@cdktf/provider-aws/lib/cloudwatch-metric-alarm";
import { SnsTopic } from "@cdktf/provider-aws/lib/sns-topic";
import { SnsTopicPolicy } from "@cdktf/provider-aws/lib/sns-topic-policy";
import { SnsTopicSubscription } from "@cdktf/provider-aws/lib/sns-topic-subscription";
import { accountContext, arnOf } from "./account";
import { EncryptionKey } from "./encryption-key";
import { EVENT_QUEUE_RETENTION_SECONDS } from "./event-queue";
import { Grant, IGrantable } from "./grants";
import { Metric } from "./metric";
import { denyInsecureTransport } from "./secure-transport";

/** An alarm on a metric that its owner construct describes (`workflow.metricFailed()`). */
export interface AlarmDefinition {
  /** Part of the alarm name and of its Terraform address: choose it once. */
  readonly id: string;
  readonly description: string;
  readonly metric: Metric;
  /** The alarm fires above it. @default 0: the first occurrence */
  readonly threshold?: number;
}

export interface PipelineAlarmsProps {
  /** Prefix of the topic and alarm names, e.g. `message-recorder-dev`. */
  readonly namePrefix: string;
  /** @default none; more with addAlarm */
  readonly alarms?: readonly AlarmDefinition[];
  /** Subscribed to the topic when set (the address must confirm the subscription). */
  readonly alarmEmail?: string;
  /** Encrypts the topic with this key. @default unencrypted (see the comment on the topic) */
  readonly encryptionKey?: EncryptionKey;
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
  /** Every alarm added, with its ARN and the metric it watches (for the dashboard). */
  public readonly alarms: Array<{ readonly id: string; readonly alarmArn: string; readonly metric: Metric; readonly threshold: number }> =
    [];
  private readonly namePrefix: string;

  constructor(scope: Construct, id: string, props: PipelineAlarmsProps) {
    super(scope, id);
    this.namePrefix = props.namePrefix;
    // Never under the AWS-managed SNS key: CloudWatch cannot publish to a topic under aws/sns, whose key policy
    // cannot grant it. Without a customer-managed key the topic stays unencrypted.
    const key = props.encryptionKey;
    const alarmNames = `${props.namePrefix}-*`;
    // CloudWatch publishes alarm notifications to an encrypted topic as its service principal; only for this
    // stack's alarms. https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services
    // https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Notify_Users_Alarm_Changes.html (encrypted topics, confused deputy)
    key?.addToResourcePolicy({
      Sid: "CloudWatchAlarmsPublishToEncryptedTopics",
      Effect: "Allow",
      Principal: { Service: "cloudwatch.amazonaws.com" },
      Action: ["kms:Decrypt", "kms:GenerateDataKey*"],
      Resource: "*",
      Condition: {
        StringEquals: { "aws:SourceAccount": key.account.accountId },
        ArnLike: { "aws:SourceArn": [arnOf(this, "cloudwatch", `alarm:${alarmNames}`)] },
      },
    });
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

    for (const alarm of props.alarms ?? []) this.addAlarm(alarm);
  }

  /**
   * Lets the grantee read the state of this stack's alarms (DescribeAlarms on `alarm:<prefix>-*`; the action takes
   * the alarm resource type). https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoncloudwatch.html
   */
  public grantReadAlarms(grantee: IGrantable): Grant {
    return Grant.addToPrincipal(grantee, {
      sid: "ReadAlarmStates",
      actions: ["cloudwatch:DescribeAlarms"],
      resources: [arnOf(this, "cloudwatch", `alarm:${this.namePrefix}-*`)],
    });
  }

  /** One alarm on a construct's metric, named `<prefix>-<id>`, notifying the topic when it fires and clears. */
  public addAlarm(spec: AlarmDefinition): void {
    const alarm = new CloudwatchMetricAlarm(this, spec.id, {
      alarmName: `${this.namePrefix}-${spec.id}`,
      alarmDescription: spec.description,
      namespace: spec.metric.namespace,
      metricName: spec.metric.metricName,
      statistic: spec.metric.statistic,
      dimensions: { ...spec.metric.dimensions },
      period: spec.metric.periodSeconds,
      evaluationPeriods: 1,
      threshold: spec.threshold ?? 0,
      comparisonOperator: "GreaterThanThreshold",
      treatMissingData: "notBreaching",
      alarmActions: [this.topicArn],
      okActions: [this.topicArn],
    });
    this.alarmNames.push(alarm.alarmName);
    this.alarms.push({ id: spec.id, alarmArn: alarm.arn, metric: spec.metric, threshold: spec.threshold ?? 0 });
  }
}
