import { Construct } from "constructs";
import { CloudwatchDashboard } from "@cdktf/provider-aws/lib/cloudwatch-dashboard";
import { Metric } from "./metric";

/** A row of the flow: one graph of a stage's metrics, as their owners describe them (`metricXxx()`). */
export interface DashboardGraph {
  readonly title: string;
  readonly metrics: readonly Metric[];
}

/** An alarm to show on a graph of its own metric. */
export interface DashboardAlarm {
  readonly title: string;
  readonly alarmArn: string;
  readonly metric: Metric;
}

export interface PipelineDashboardProps {
  readonly dashboardName: string;
  /** The region of the metrics (the stack's). */
  readonly region: string;
  /** The flow, left to right and top to bottom. */
  readonly graphs: readonly DashboardGraph[];
  /** Each alarm on a graph of its metric: a metric widget shows at most one alarm, and then only its metric. */
  readonly alarms: readonly DashboardAlarm[];
}

/** The metric as a dashboard widget takes it: namespace, name, each dimension's name and value, then its options. */
export function widgetMetric(metric: Metric): unknown[] {
  return [
    metric.namespace,
    metric.metricName,
    ...Object.entries(metric.dimensions).flat(),
    { stat: metric.statistic, period: metric.periodSeconds },
  ];
}

const WIDTH = 8;
const HEIGHT = 6;

/**
 * One CloudWatch dashboard of the pipeline: the flow's graphs, then one graph per alarm with the alarm drawn on
 * it. Every metric comes from its owner construct, never typed here.
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/CloudWatch-Dashboard-Body-Structure.html
 */
export class PipelineDashboard extends Construct {
  /** The underlying resource, for what this construct does not model. */
  public readonly resource: CloudwatchDashboard;
  public readonly dashboardName: string;

  constructor(scope: Construct, id: string, props: PipelineDashboardProps) {
    super(scope, id);
    const place = (i: number) => ({ x: (i % 3) * WIDTH, y: Math.floor(i / 3) * HEIGHT, width: WIDTH, height: HEIGHT });
    const flow = props.graphs.map((graph, i) => ({
      type: "metric",
      ...place(i),
      properties: {
        title: graph.title,
        region: props.region,
        view: "timeSeries",
        stacked: false,
        metrics: graph.metrics.map(widgetMetric),
      },
    }));
    const alarms = props.alarms.map((alarm, i) => ({
      type: "metric",
      ...place(props.graphs.length + i),
      properties: {
        title: alarm.title,
        region: props.region,
        view: "timeSeries",
        stacked: false,
        metrics: [widgetMetric(alarm.metric)],
        annotations: { alarms: [alarm.alarmArn] },
      },
    }));
    this.resource = new CloudwatchDashboard(this, "Default", {
      dashboardName: props.dashboardName,
      dashboardBody: JSON.stringify({ widgets: [...flow, ...alarms] }),
    });
    this.dashboardName = this.resource.dashboardName;
  }
}
