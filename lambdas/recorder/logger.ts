/**
 * One JSON line per log call, with the `timestamp` and `level` keys that Lambda's JSON log format keeps as they
 * are and filters on (application log level). Token and message body are never logged: they are secrets and customer data.
 */
export type LogFields = Readonly<Record<string, string | number | boolean | undefined>>;

export interface Logger {
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
}

const LEVELS = ["DEBUG", "INFO", "WARN", "ERROR", "FATAL"] as const;

/**
 * @param minimumLevel lines below it are dropped; Lambda sets AWS_LAMBDA_LOG_LEVEL from the function's
 * application log level, so the function's logging config is the one switch.
 */
export function createLogger(
  minimumLevel: string = process.env.AWS_LAMBDA_LOG_LEVEL ?? "INFO",
  write: (line: string) => void = (line) => process.stdout.write(line + "\n"),
): Logger {
  const threshold = Math.max(0, LEVELS.indexOf(minimumLevel.toUpperCase() as (typeof LEVELS)[number]));
  const log = (level: (typeof LEVELS)[number]) => (message: string, fields: LogFields = {}) => {
    if (LEVELS.indexOf(level) < threshold) return;
    write(JSON.stringify({ timestamp: new Date().toISOString(), level, message, service: "message-recorder", ...fields }));
  };
  return { info: log("INFO"), warn: log("WARN"), error: log("ERROR") };
}
