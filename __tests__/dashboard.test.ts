import { ref, resourcesOf, synthPipeline } from "./support/synth";

/**
 * The dashboard: the flow from the constructs' own metrics, every alarm on a graph of its own metric, and a body
 * in the shape CloudWatch's PutDashboard accepts.
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/CloudWatch-Dashboard-Body-Structure.html
 */
const tf = synthPipeline();
const [dashboard] = Object.values(resourcesOf(tf, "aws_cloudwatch_dashboard"));
interface Widget {
  type: string;
  x: number;
  y: number;
  width: number;
  height: number;
  properties: { title: string; region: string; metrics: unknown[][]; annotations?: { alarms: string[] } };
}
const body = JSON.parse(String(dashboard.dashboard_body)) as { widgets: Widget[] };
const STATISTICS = /^(SampleCount|Average|Sum|Minimum|Maximum|p\d{1,2}(\.\d+)?)$/;

describe("the dashboard", () => {
  test("one per environment, named after the stack, in the outputs", () => {
    expect(dashboard.dashboard_name).toBe("message-recorder-dev");
    expect(tf.output.dashboard_name.value).toMatch(/^\$\{aws_cloudwatch_dashboard\./);
  });

  test("every alarm's metric is on the dashboard, with the alarm drawn on it", () => {
    const alarms = Object.entries(resourcesOf(tf, "aws_cloudwatch_metric_alarm"));
    expect(alarms.length).toBeGreaterThan(10);
    for (const [name, alarm] of alarms) {
      const widget = body.widgets.find((w) => w.properties.annotations?.alarms.includes(ref("aws_cloudwatch_metric_alarm", name, "arn")));
      expect(widget).toBeDefined();
      const dims = Object.entries(alarm.dimensions as Record<string, string>).flat();
      expect(widget!.properties.metrics).toEqual([
        [alarm.namespace, alarm.metric_name, ...dims, { stat: alarm.statistic, period: alarm.period }],
      ]);
    }
  });

  test("the flow shows each stage: API, rule, executions, recorder duration p50/p99, errors and throttles, DynamoDB, both queues", () => {
    const names = body.widgets
      .filter((w) => !w.properties.annotations)
      .flatMap((w) =>
        w.properties.metrics.map(
          (m) =>
            `${String(m[0])} ${String(m[1])}${(m.at(-1) as { stat: string }).stat.startsWith("p") ? ` ${(m.at(-1) as { stat: string }).stat}` : ""}`,
        ),
      );
    expect(names).toEqual([
      "AWS/ApiGateway Count",
      "AWS/ApiGateway 4XXError",
      "AWS/ApiGateway 5XXError",
      "AWS/Events MatchedEvents",
      "AWS/Events FailedInvocations",
      "AWS/Events InvocationsFailedToBeSentToDLQ",
      "AWS/States ExecutionsStarted",
      "AWS/States ExecutionsSucceeded",
      "AWS/States ExecutionsFailed",
      "AWS/States ExecutionsTimedOut",
      "AWS/Lambda Duration p50",
      "AWS/Lambda Duration p99",
      "AWS/Lambda Errors",
      "AWS/Lambda Throttles",
      "AWS/DynamoDB ConsumedWriteCapacityUnits",
      "AWS/DynamoDB WriteThrottleEvents",
      "AWS/SQS ApproximateNumberOfMessagesVisible",
      "AWS/SQS ApproximateNumberOfMessagesVisible",
      "AWS/SQS ApproximateAgeOfOldestMessage",
      "AWS/SQS ApproximateAgeOfOldestMessage",
    ]);
  });

  test("the body has the shape PutDashboard accepts: metric widgets on the 24-column grid, metric arrays of strings and one options object, at most one alarm per widget", () => {
    expect(Object.keys(body)).toEqual(["widgets"]);
    expect(body.widgets.length).toBeLessThanOrEqual(500);
    for (const widget of body.widgets) {
      expect(widget.type).toBe("metric");
      for (const n of [widget.x, widget.y, widget.width, widget.height]) expect(Number.isInteger(n) && n >= 0).toBe(true);
      expect(widget.width).toBeGreaterThanOrEqual(1);
      expect(widget.x + widget.width).toBeLessThanOrEqual(24);
      expect(widget.height).toBeGreaterThanOrEqual(1);
      expect(widget.height).toBeLessThanOrEqual(1000);
      expect(widget.properties.region).toBe("us-east-1");
      for (const metric of widget.properties.metrics) {
        const options = metric.at(-1) as { stat: string; period: number };
        const names = metric.slice(0, -1);
        expect(names.every((part) => typeof part === "string")).toBe(true);
        expect(names.length % 2).toBe(0);
        expect(Object.keys(options).sort()).toEqual(["period", "stat"]);
        expect(options.stat).toMatch(STATISTICS);
        expect(options.period % 60).toBe(0);
      }
      if (widget.properties.annotations) {
        expect(widget.properties.annotations.alarms).toHaveLength(1);
        expect(widget.properties.metrics).toHaveLength(1);
      }
    }
  });
});
