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

export function createLogger(write: (line: string) => void = (line) => process.stdout.write(line + "\n")): Logger {
  const log = (level: string) => (message: string, fields: LogFields = {}) =>
    write(JSON.stringify({ timestamp: new Date().toISOString(), level, message, service: "message-recorder", ...fields }));
  return { info: log("INFO"), warn: log("WARN"), error: log("ERROR") };
}
