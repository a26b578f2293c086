/**
 * The defaults the constructs apply when a prop is left out, and the configuration documents and uses when a
 * setting is left out: one place, read by both. A light module (no provider bindings), so the configuration
 * and the scripts that read it load nothing else.
 */
export const DEFAULTS = {
  /** Retention of every log group, days. */
  logRetentionInDays: 7,
  /** Days the bus archive keeps each matching event. */
  archiveRetentionDays: 7,
  recorder: {
    /** The recorder's timeout, seconds; below the task timeout. */
    timeoutSeconds: 5,
    memoryMb: 256,
  },
  workflow: {
    /** One attempt of the Record Message task, callback included, seconds. */
    taskTimeoutSeconds: 7,
  },
  /** Days a scheduled deletion of a key can still be cancelled: the longest KMS allows. */
  keyDeletionWindowInDays: 30,
  api: {
    /** POST /messages requests per second, and the burst, of the stage. */
    throttlingRateLimit: 50,
    throttlingBurstLimit: 100,
  },
} as const;
