/**
 * A CloudWatch metric as its owner describes it (`queue.metricOldestMessageAge()`), so alarms are built from
 * the construct that knows its namespace and dimensions instead of hand-typed strings elsewhere.
 */
export interface Metric {
  readonly namespace: string;
  readonly metricName: string;
  readonly dimensions: Readonly<Record<string, string>>;
  readonly statistic: "Sum" | "Maximum" | "Average" | "Minimum" | "SampleCount";
  /** How often the service publishes it: 60 for most, 300 for SQS. */
  readonly periodSeconds: number;
}

/** A metric of an AWS service: counted (Sum) per minute unless said otherwise. */
export function serviceMetric(namespace: string, metricName: string, dimensions: Readonly<Record<string, string>>, statistic: Metric["statistic"] = "Sum", periodSeconds = 60): Metric {
  return { namespace, metricName, dimensions, statistic, periodSeconds };
}

/** The metric with another statistic or period. */
export function withMetric(metric: Metric, change: Partial<Pick<Metric, "statistic" | "periodSeconds">>): Metric {
  return { ...metric, ...change };
}
