/**
 * A CloudWatch metric as its owner describes it (`queue.metricOldestMessageAge()`), so alarms are built from
 * the construct that knows its namespace and dimensions instead of hand-typed strings elsewhere.
 */
export interface Metric {
  readonly namespace: string;
  readonly metricName: string;
  readonly dimensions: Readonly<Record<string, string>>;
  /** A statistic, or a percentile such as "p99" (dashboards only: the alarms here use the plain statistics). */
  readonly statistic: "Sum" | "Maximum" | "Average" | "Minimum" | "SampleCount" | `p${number}`;
  /** How often the service publishes it: 60 for most, 300 for SQS. */
  readonly periodSeconds: number;
}

/** What a caller of `metricXxx(options)` may change, as AWS CDK's MetricOptions: the statistic and the period. */
export interface MetricOptions {
  /** @default "Sum" for counts, "Maximum" for SQS gauges */
  readonly statistic?: Metric["statistic"];
  /** Seconds; at least the service's own publishing period (60, or 300 for SQS). @default that period */
  readonly periodSeconds?: number;
}

/** A metric of an AWS service: counted (Sum) per minute unless its owner or the caller says otherwise. */
export function serviceMetric(
  namespace: string,
  metricName: string,
  dimensions: Readonly<Record<string, string>>,
  statistic: Metric["statistic"] = "Sum",
  periodSeconds = 60,
  options: MetricOptions = {},
): Metric {
  return {
    namespace,
    metricName,
    dimensions,
    statistic: options.statistic ?? statistic,
    periodSeconds: options.periodSeconds ?? periodSeconds,
  };
}
