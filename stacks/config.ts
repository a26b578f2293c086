/**
 * The one place where configuration is read and validated.
 *
 * Values come from three layers, the later winning:
 *   1. the defaults below (the names of the original design),
 *   2. the `recorder` context in cdktf.json: `defaults` for every environment, then `environments.<name>`,
 *   3. `RECORDER_*` environment variables, which apply to every environment synthesized in that run.
 *
 * Every value is checked before any construct exists, and a bad one throws a ConfigError whose message is one
 * line naming the setting, the value received and what is allowed.
 */

import { EXECUTION_TIMEOUT_SECONDS, workflowRetryBudget } from "./asl";
import { DEFAULTS } from "./defaults";
import { WorkflowType } from "./workflow-model";

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConfigError";
  }
}

/** Where Terraform keeps the state of a pipeline stack. */
export type StateBackendConfig =
  | {
      readonly type: "s3";
      /** Unset: the backend block is partial and the bucket comes from `-backend-config` at init. */
      readonly bucket?: string;
      readonly key: string;
      readonly region: string;
    }
  | {
      readonly type: "cloud";
      readonly organization: string;
      /** Exactly one of workspace name or tags. */
      readonly workspaceName?: string;
      readonly workspaceTags?: readonly string[];
      readonly hostname?: string;
    };

/** The ingestion API: `POST /messages`, never open without authorization. */
export interface ApiConfig {
  readonly authorization: { readonly type: "iam" };
  /** Set API Gateway's account-level CloudWatch Logs role, which access logs need. @default true */
  readonly manageAccountLogRole: boolean;
  /** @default 50 */
  readonly throttlingRateLimit: number;
  /** @default 100 */
  readonly throttlingBurstLimit: number;
}

export interface EnvironmentConfig {
  /** Name of the environment; part of every resource name, so two environments never collide in one account. */
  readonly environment: string;
  readonly region: string;
  /** @default "commonbus" (suffixed with the environment) */
  readonly busName: string;
  /** @default "sfnCommonEventProcessorRule" (suffixed) */
  readonly ruleName: string;
  /** The event `source` the rule matches. @default "com.devpost.commonevent" */
  readonly eventSource: string;
  /** @default "MessagesTable" (suffixed) */
  readonly tableName: string;
  /** @default "recorder" (suffixed) */
  readonly functionName: string;
  /** @default "MessageRecorder" (suffixed) */
  readonly stateMachineName: string;
  /** @default "sfnCommonEventProcessorDLQ" (suffixed) */
  readonly deadLetterQueueName: string;
  /** Retention of every log group. One of CloudWatch's allowed values. @default 7 */
  readonly logRetentionInDays: number;
  /** Days the bus archive keeps each matching event; 0 for ever. */
  readonly archiveRetentionDays: number;
  /** Delivery attempts EventBridge makes before the DLQ. Minimum 0, maximum 185. @default 3 */
  readonly retryAttempts: number;
  /** How long EventBridge keeps retrying an event. Minimum 60, maximum 86400. @default 3600 */
  readonly maxEventAgeInSeconds: number;
  /** Whole execution. @default 30 for STANDARD, 60 for EXPRESS (at most 300) */
  readonly stateMachineTimeoutSeconds: number;
  /** The "Record Message" task, callback included; its retries must fit the machine timeout. @default 7 */
  readonly taskTimeoutSeconds: number;
  /** The recorder function; must be below the task timeout. @default 5 */
  readonly lambdaTimeoutSeconds: number;
  /** STANDARD (callback, exactly-once, 90-day history) or EXPRESS (synchronous invoke, far cheaper). @default "STANDARD" */
  readonly workflowType: WorkflowType;
  /** Execution log level; unset: ALL for STANDARD, ERROR for EXPRESS. */
  readonly logLevel?: "ALL" | "ERROR" | "FATAL" | "OFF";
  /** Deletion protection and prevent_destroy on the table. @default true */
  readonly tableProtection: boolean;
  /** Minimum 128, maximum 10240. @default 256 */
  readonly lambdaMemoryMb: number;
  /** X-Ray on the state machine and the Lambda. @default true for STANDARD, false for EXPRESS */
  readonly tracing: boolean;
  /** The recorder's application log level (Lambda's advanced logging controls). @default "INFO" for STANDARD, "WARN" for EXPRESS */
  readonly lambdaLogLevel: LambdaLogLevel;
  /** Subscribed to the alarm topic when set. */
  readonly alarmEmail?: string;
  readonly api: ApiConfig;
  readonly backend: StateBackendConfig;
  /** Added to the provider's default tags. */
  readonly tags: Readonly<Record<string, string>>;
  /**
   * `customer-managed`: one KMS key of the environment encrypts the table, the queue, the topic, every log group,
   * the state machine and the Lambda environment. `aws-managed`: AWS owned and AWS-managed keys, no key to pay for.
   * @default "customer-managed"
   */
  readonly encryption: EncryptionMode;
  /** Days a scheduled deletion of the key can be cancelled. Minimum 7, maximum 30. @default 30 */
  readonly keyDeletionWindowInDays: number;
}

export const LAMBDA_LOG_LEVELS = ["DEBUG", "INFO", "WARN", "ERROR"] as const;
export type LambdaLogLevel = (typeof LAMBDA_LOG_LEVELS)[number];

export const ENCRYPTION_MODES = ["customer-managed", "aws-managed"] as const;
export type EncryptionMode = (typeof ENCRYPTION_MODES)[number];

export interface AppConfig {
  readonly environments: readonly EnvironmentConfig[];
  /** Region of the state bucket and of the bootstrap stack. */
  readonly stateRegion: string;
  /** Unset: the bootstrap stack names the bucket itself. */
  readonly stateBucket?: string;
}

/** Regions of the `aws` partition (the ASL and IAM ARNs assume it). */
export const AWS_REGIONS = [
  "af-south-1",
  "ap-east-1",
  "ap-northeast-1",
  "ap-northeast-2",
  "ap-northeast-3",
  "ap-south-1",
  "ap-south-2",
  "ap-southeast-1",
  "ap-southeast-2",
  "ap-southeast-3",
  "ap-southeast-4",
  "ap-southeast-5",
  "ap-southeast-7",
  "ca-central-1",
  "ca-west-1",
  "eu-central-1",
  "eu-central-2",
  "eu-north-1",
  "eu-south-1",
  "eu-south-2",
  "eu-west-1",
  "eu-west-2",
  "eu-west-3",
  "il-central-1",
  "me-central-1",
  "me-south-1",
  "mx-central-1",
  "sa-east-1",
  "us-east-1",
  "us-east-2",
  "us-west-1",
  "us-west-2",
] as const;

/** The values CloudWatch Logs accepts for retention_in_days (0 = never expire). */
export const LOG_RETENTION_DAYS = [
  0, 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

/** Raw settings before validation: what cdktf.json or the environment may hold. */
type RawSettings = Record<string, unknown>;

interface Setting<T> {
  /** One line for README's configuration table. */
  readonly doc: string;
  readonly env: string;
  readonly defaultValue: T;
  readonly parse: (name: string, value: unknown) => T;
}

// ---- parsers: each names the setting and the allowed values when it refuses ----

function fail(name: string, value: unknown, allowed: string): never {
  throw new ConfigError(`${name}: ${JSON.stringify(value)} is not allowed; expected ${allowed}`);
}

function integer(min: number, max: number) {
  return (name: string, value: unknown): number => {
    const n = typeof value === "string" && /^-?\d+$/.test(value.trim()) ? Number(value) : value;
    if (typeof n !== "number" || !Number.isInteger(n) || n < min || n > max) {
      fail(name, value, `an integer from ${min} to ${max}`);
    }
    return n;
  };
}

function oneOf<T extends string | number>(allowed: readonly T[]) {
  return (name: string, value: unknown): T => {
    const candidate = typeof allowed[0] === "number" && typeof value === "string" ? Number(value) : value;
    if (!allowed.includes(candidate as T)) fail(name, value, `one of ${allowed.join(", ")}`);
    return candidate as T;
  };
}

function matching(pattern: RegExp, description: string) {
  return (name: string, value: unknown): string => {
    if (typeof value !== "string" || !pattern.test(value)) fail(name, value, description);
    return value;
  };
}

function boolean(name: string, value: unknown): boolean {
  if (value === true || value === "true") return true;
  if (value === false || value === "false") return false;
  return fail(name, value, "true or false");
}

function stringMap(name: string, value: unknown): Record<string, string> {
  const parsed = typeof value === "string" ? parseJson(name, value) : value;
  if (
    typeof parsed !== "object" ||
    parsed === null ||
    Array.isArray(parsed) ||
    !Object.values(parsed).every((v) => typeof v === "string")
  ) {
    fail(name, value, 'an object of string values, e.g. {"team":"payments"}');
  }
  return parsed as Record<string, string>;
}

function parseJson(name: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return fail(name, text, "valid JSON");
  }
}

const ENVIRONMENT_NAME = /^[a-z][a-z0-9-]{0,15}$/;
const ENVIRONMENT_NAME_RULE = "lower-case letters, digits and '-', starting with a letter, at most 16 characters";
const BUCKET_NAME = /^(?!xn--)(?!.*\.\.)[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const BUCKET_NAME_RULE = "an S3 bucket name: 3-63 lower-case letters, digits, '.' and '-'";

/**
 * The per-environment settings. A name here is also the cdktf.json key; `env` is the variable that overrides it.
 * Names are validated after the environment suffix is added (see `withSuffix`), since that is what AWS sees.
 */
const SETTINGS = {
  region: {
    doc: "AWS region of the stack (aws partition).",
    env: "RECORDER_REGION",
    defaultValue: "us-east-1",
    parse: oneOf(AWS_REGIONS),
  },
  busName: {
    doc: "Custom event bus; the environment is appended.",
    env: "RECORDER_BUS_NAME",
    defaultValue: "commonbus",
    parse: matching(/^[A-Za-z0-9._-]{1,200}$/, "1-200 characters of letters, digits, '.', '_' and '-'"),
  },
  ruleName: {
    doc: "Rule on the bus; the environment is appended. The target role is named after it.",
    env: "RECORDER_RULE_NAME",
    defaultValue: "sfnCommonEventProcessorRule",
    parse: matching(/^[A-Za-z0-9._-]{1,47}$/, "1-47 characters of letters, digits, '.', '_' and '-'"),
  },
  eventSource: {
    doc: "The event `source` the rule matches.",
    env: "RECORDER_EVENT_SOURCE",
    defaultValue: "com.devpost.commonevent",
    parse: matching(
      /^(?!aws\.)[A-Za-z0-9._/-]{1,256}$/,
      "1-256 characters of letters, digits, '.', '_', '/' and '-', not starting with 'aws.'",
    ),
  },
  tableName: {
    doc: "DynamoDB table of recorded messages; the environment is appended.",
    env: "RECORDER_TABLE_NAME",
    defaultValue: "MessagesTable",
    parse: matching(/^[A-Za-z0-9._-]{3,200}$/, "3-200 characters of letters, digits, '.', '_' and '-'"),
  },
  functionName: {
    doc: "Recorder Lambda; the environment is appended.",
    env: "RECORDER_FUNCTION_NAME",
    defaultValue: "recorder",
    parse: matching(/^[A-Za-z0-9_-]{1,40}$/, "1-40 characters of letters, digits, '_' and '-'"),
  },
  stateMachineName: {
    doc: "State machine; the environment is appended.",
    env: "RECORDER_STATE_MACHINE_NAME",
    defaultValue: "MessageRecorder",
    parse: matching(/^[A-Za-z0-9_-]{1,50}$/, "1-50 characters of letters, digits, '_' and '-'"),
  },
  deadLetterQueueName: {
    doc: "SQS dead-letter queue of the rule target; the environment is appended.",
    env: "RECORDER_DLQ_NAME",
    defaultValue: "sfnCommonEventProcessorDLQ",
    parse: matching(/^[A-Za-z0-9_-]{1,60}$/, "1-60 characters of letters, digits, '_' and '-'"),
  },
  logRetentionInDays: {
    doc: "Retention of every log group; a value CloudWatch Logs allows (0 = never expire).",
    env: "RECORDER_LOG_RETENTION_DAYS",
    defaultValue: DEFAULTS.logRetentionInDays,
    parse: oneOf(LOG_RETENTION_DAYS),
  },
  retryAttempts: {
    doc: "EventBridge delivery retries before the DLQ, 0-185.",
    env: "RECORDER_RETRY_ATTEMPTS",
    defaultValue: 3,
    parse: integer(0, 185),
  },
  maxEventAgeInSeconds: {
    doc: "How long EventBridge retries an event, 60-86400.",
    env: "RECORDER_MAX_EVENT_AGE_SECONDS",
    defaultValue: 3600,
    parse: integer(60, 86400),
  },
  stateMachineTimeoutSeconds: {
    doc: "Timeout of a whole execution; 60 for an EXPRESS workflow unless given (at most 300 there).",
    env: "RECORDER_STATE_MACHINE_TIMEOUT_SECONDS",
    defaultValue: EXECUTION_TIMEOUT_SECONDS.STANDARD.default,
    parse: integer(3, 31536000),
  },
  taskTimeoutSeconds: {
    doc: "Timeout of one attempt of the Record Message task, callback included; with the retries it must fit the machine timeout.",
    env: "RECORDER_TASK_TIMEOUT_SECONDS",
    defaultValue: DEFAULTS.workflow.taskTimeoutSeconds,
    parse: integer(2, 31535999),
  },
  lambdaTimeoutSeconds: {
    doc: "Timeout of the recorder; below the task timeout. Each retried attempt lasts at most this long.",
    env: "RECORDER_LAMBDA_TIMEOUT_SECONDS",
    defaultValue: DEFAULTS.recorder.timeoutSeconds,
    parse: integer(1, 900),
  },
  workflowType: {
    doc: "`standard` (callback task, exactly-once, 90-day history) or `express` (synchronous invoke, at-least-once, logs only, far cheaper); see Choosing STANDARD or EXPRESS.",
    env: "RECORDER_WORKFLOW_TYPE",
    defaultValue: "standard",
    parse: oneOf<"standard" | "express">(["standard", "express"]),
  },
  logLevel: {
    doc: "Execution log level, with execution data: `ALL`, `ERROR`, `FATAL` or `OFF`; empty means ALL for standard, ERROR for express.",
    env: "RECORDER_LOG_LEVEL",
    defaultValue: "",
    parse: (n: string, v: unknown) => (v === "" ? "" : oneOf(["ALL", "ERROR", "FATAL", "OFF"] as const)(n, v)),
  },
  archiveRetentionDays: {
    doc: "Days the bus archive keeps every event the rule matches, an independent copy for replaying and reconciling; 0 keeps them for ever.",
    env: "RECORDER_ARCHIVE_RETENTION_DAYS",
    defaultValue: DEFAULTS.archiveRetentionDays,
    parse: integer(0, 2147483647),
  },
  tableProtection: {
    doc: "Deletion protection and `prevent_destroy` on the table; `false` only for throwaway environments.",
    env: "RECORDER_TABLE_PROTECTION",
    defaultValue: true,
    parse: boolean,
  },
  lambdaMemoryMb: {
    doc: "Memory of the recorder, 128-10240.",
    env: "RECORDER_LAMBDA_MEMORY_MB",
    defaultValue: DEFAULTS.recorder.memoryMb,
    parse: integer(128, 10240),
  },
  // X-Ray's default sampling records every event below one a second: $5.50 per million, more than the rest of an
  // EXPRESS pipeline together, so EXPRESS leaves it off unless asked.
  tracing: {
    doc: "X-Ray tracing of the state machine and the Lambda (`true` or `false`); empty means true for standard, false for express (X-Ray would cost more than the rest of an EXPRESS pipeline).",
    env: "RECORDER_TRACING",
    defaultValue: "",
    parse: (n: string, v: unknown) => (v === "" ? "" : boolean(n, v)),
  },
  lambdaLogLevel: {
    doc: "The recorder's application log level: `DEBUG`, `INFO`, `WARN` or `ERROR`; empty means INFO for standard, WARN for express (its one line per message would be most of EXPRESS's log cost).",
    env: "RECORDER_LAMBDA_LOG_LEVEL",
    defaultValue: "",
    parse: (n: string, v: unknown) => (v === "" ? "" : oneOf(LAMBDA_LOG_LEVELS)(n, v)),
  },
  alarmEmail: {
    doc: "E-mail address subscribed to the alarm topic; empty subscribes nobody.",
    env: "RECORDER_ALARM_EMAIL",
    defaultValue: "",
    parse: matching(/^$|^[^@\s]+@[^@\s]+\.[^@\s]+$/, "an e-mail address"),
  },
  apiAuthorization: {
    doc: "Authorization of `POST /messages`: `iam` (SigV4 with `execute-api:Invoke`).",
    env: "RECORDER_API_AUTHORIZATION",
    defaultValue: "iam",
    parse: oneOf<"iam">(["iam"]),
  },
  apiAccountLogRole: {
    doc: "Set API Gateway's account-level CloudWatch Logs role (needed for access logs; one per account and region: `false` in all environments of an account but one).",
    env: "RECORDER_API_ACCOUNT_LOG_ROLE",
    defaultValue: true,
    parse: boolean,
  },
  apiThrottlingRateLimit: {
    doc: "Steady requests per second the API accepts, 1-10000.",
    env: "RECORDER_API_RATE_LIMIT",
    defaultValue: DEFAULTS.api.throttlingRateLimit,
    parse: integer(1, 10000),
  },
  apiThrottlingBurstLimit: {
    doc: "Burst of requests the API accepts, 1-5000.",
    env: "RECORDER_API_BURST_LIMIT",
    defaultValue: DEFAULTS.api.throttlingBurstLimit,
    parse: integer(1, 5000),
  },
  encryption: {
    doc: "`customer-managed`: one KMS key per environment encrypts all data at rest; `aws-managed`: AWS's keys, no key to pay for.",
    env: "RECORDER_ENCRYPTION",
    defaultValue: "customer-managed",
    parse: oneOf<EncryptionMode>(ENCRYPTION_MODES),
  },
  keyDeletionWindowInDays: {
    doc: "Days a scheduled deletion of the key can still be cancelled, 7-30.",
    env: "RECORDER_KEY_DELETION_WINDOW_DAYS",
    defaultValue: DEFAULTS.keyDeletionWindowInDays,
    parse: integer(7, 30),
  },
  tags: {
    doc: "Extra default tags, a JSON object of strings.",
    env: "RECORDER_TAGS",
    defaultValue: {},
    parse: stringMap,
  },
  backend: {
    doc: "Where state lives: `s3` or `cloud` (Terraform Cloud).",
    env: "RECORDER_BACKEND",
    defaultValue: "s3",
    parse: oneOf<"s3" | "cloud">(["s3", "cloud"]),
  },
  stateBucket: {
    doc: "S3 bucket of the state, made by the bootstrap stack, which then keeps its own state in it too; empty: the bootstrap names it `message-recorder-tfstate-<account>-<region>`, and `npm run deploy` needs `--state-bucket`.",
    env: "RECORDER_STATE_BUCKET",
    defaultValue: "",
    parse: (n: string, v: unknown) => (v === "" ? "" : matching(BUCKET_NAME, BUCKET_NAME_RULE)(n, v)),
  },
  stateRegion: {
    doc: "Region of the state bucket; empty means `region`.",
    env: "RECORDER_STATE_REGION",
    defaultValue: "",
    parse: (n: string, v: unknown) => (v === "" ? "" : oneOf(AWS_REGIONS)(n, v)),
  },
  tfcOrganization: {
    doc: "Terraform Cloud organization (backend `cloud`).",
    env: "RECORDER_TFC_ORGANIZATION",
    defaultValue: "",
    parse: matching(/^$|^[A-Za-z0-9_-]{1,40}$/, "a Terraform Cloud organization name"),
  },
  tfcWorkspace: {
    doc: "Terraform Cloud workspace name; `-<environment>` is appended.",
    env: "RECORDER_TFC_WORKSPACE",
    defaultValue: "",
    parse: matching(
      /^$|^[A-Za-z0-9_-]{1,90}$/,
      "a workspace name (letters, digits, '_' and '-'); '{env}' is not needed, the environment is appended",
    ),
  },
  tfcWorkspaceTags: {
    doc: "Terraform Cloud workspace tags, comma-separated (instead of a name).",
    env: "RECORDER_TFC_WORKSPACE_TAGS",
    defaultValue: "",
    parse: matching(/^$|^[A-Za-z0-9:_-]+(,[A-Za-z0-9:_-]+)*$/, "a comma-separated list of workspace tags"),
  },
  tfcHostname: {
    doc: "Terraform Cloud / Enterprise host; empty means app.terraform.io.",
    env: "RECORDER_TFC_HOSTNAME",
    defaultValue: "",
    parse: matching(/^$|^[a-z0-9.-]+$/, "a host name such as app.terraform.io"),
  },
} satisfies Record<string, Setting<unknown>>;

export type SettingName = keyof typeof SETTINGS;
type Settings = { [K in SettingName]: ReturnType<(typeof SETTINGS)[K]["parse"]> };

/** The documented settings: name, environment variable and default, for README and error messages. */
export const SETTING_DOCS: ReadonlyArray<{ name: SettingName; env: string; defaultValue: unknown; doc: string }> = (
  Object.keys(SETTINGS) as SettingName[]
).map((name) => ({ name, env: SETTINGS[name].env, defaultValue: SETTINGS[name].defaultValue, doc: SETTINGS[name].doc }));

export interface ConfigSources {
  /** The `recorder` object of cdktf.json's context, or undefined. */
  readonly context?: unknown;
  /** Environment variables; only `RECORDER_*` are read. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Told, one line each, of what still works but is going away (a flat setting name with a sectioned one). @default ignored */
  readonly warn?: (line: string) => void;
}

/**
 * Reads and validates the whole configuration. Throws ConfigError on the first bad value.
 */
export function loadConfig(sources: ConfigSources = {}): AppConfig {
  const env = sources.env ?? {};
  const context = asObject("context.recorder", sources.context ?? {});
  const knownTopLevel = ["defaults", "environments"];
  for (const key of Object.keys(context)) {
    if (!knownTopLevel.includes(key)) fail(`context.recorder.${key}`, context[key], `one of the keys ${knownTopLevel.join(", ")}`);
  }
  const warn = sources.warn ?? (() => undefined);
  const defaults = normalizeLayer("context.recorder.defaults", asObject("context.recorder.defaults", context.defaults ?? {}), warn);
  const declared = asObject("context.recorder.environments", context.environments ?? { dev: {} });

  const selected = env.RECORDER_ENVIRONMENTS?.trim()
    ? env.RECORDER_ENVIRONMENTS.split(",").map((name) => name.trim())
    : Object.keys(declared);
  if (selected.length === 0) fail("context.recorder.environments", declared, 'at least one environment, e.g. {"dev": {}}');
  for (const name of selected) {
    if (!ENVIRONMENT_NAME.test(name)) fail("RECORDER_ENVIRONMENTS", name, `environment names of ${ENVIRONMENT_NAME_RULE}`);
    // A typo must not quietly create a new environment with default settings.
    if (!(name in declared))
      fail("RECORDER_ENVIRONMENTS", name, `one of the environments in cdktf.json: ${Object.keys(declared).join(", ")}`);
  }
  if (new Set(selected).size !== selected.length) fail("RECORDER_ENVIRONMENTS", selected.join(","), "each environment once");

  checkKnownVariables(env);
  const environments = selected.map((name) => {
    const where = `context.recorder.environments.${name}`;
    const own = normalizeLayer(where, asObject(where, declared[name] ?? {}), warn);
    for (const key of APP_WIDE_SETTINGS.filter((setting) => setting in own)) {
      fail(
        pathOf(own, where, key),
        own[key],
        `no per-environment value: the state bucket serves every environment, so set it in context.recorder.defaults`,
      );
    }
    return resolveEnvironment(name, defaults, own, env);
  });

  const shared = resolveSettings("context.recorder.defaults", defaults, env);
  const stateRegion = shared.stateRegion || shared.region;
  return {
    environments,
    stateRegion,
    ...(shared.stateBucket ? { stateBucket: shared.stateBucket } : {}),
  };
}

function resolveSettings(
  where: string,
  layer: RawSettings,
  env: Readonly<Record<string, string | undefined>>,
  base: RawSettings = {},
): Settings {
  const result: Record<string, unknown> = {};
  for (const name of Object.keys(SETTINGS) as SettingName[]) {
    const setting: Setting<unknown> = SETTINGS[name];
    const fromEnv = env[setting.env];
    if (fromEnv !== undefined && fromEnv !== "") {
      result[name] = setting.parse(setting.env, fromEnv);
    } else if (name in layer) {
      result[name] = setting.parse(pathOf(layer, where, name), layer[name]);
    } else if (name in base) {
      result[name] = setting.parse(pathOf(base, "context.recorder.defaults", name), base[name]);
    } else {
      result[name] = setting.defaultValue;
    }
  }
  return result as Settings;
}

function resolveEnvironment(
  environment: string,
  defaults: RawSettings,
  own: RawSettings,
  env: Readonly<Record<string, string | undefined>>,
): EnvironmentConfig {
  const where = `context.recorder.environments.${environment}`;
  const resolved = resolveSettings(where, own, env, defaults);
  const express = resolved.workflowType === "express";
  // An EXPRESS execution also sends its failures to the queue itself, a step whose retries need time too: its
  // default execution timeout is 60 s (Express allows 5 minutes), unless one is given.
  const timeoutGiven =
    Boolean(env.RECORDER_STATE_MACHINE_TIMEOUT_SECONDS) || "stateMachineTimeoutSeconds" in own || "stateMachineTimeoutSeconds" in defaults;
  const s = {
    ...resolved,
    stateMachineTimeoutSeconds: express && !timeoutGiven ? EXECUTION_TIMEOUT_SECONDS.EXPRESS.default : resolved.stateMachineTimeoutSeconds,
  };
  if (express && s.stateMachineTimeoutSeconds > EXECUTION_TIMEOUT_SECONDS.EXPRESS.max) {
    throw new ConfigError(
      `stateMachineTimeoutSeconds (${environment}): ${s.stateMachineTimeoutSeconds} is not allowed for workflowType express; expected at most ${EXECUTION_TIMEOUT_SECONDS.EXPRESS.max}, since an EXPRESS execution stops at 5 minutes, unseen`,
    );
  }
  const suffixed = (setting: SettingName, value: string) => withSuffix(where, setting, value, environment);

  if (s.taskTimeoutSeconds >= s.stateMachineTimeoutSeconds) {
    throw new ConfigError(
      `taskTimeoutSeconds (${environment}): ${s.taskTimeoutSeconds} must be below stateMachineTimeoutSeconds (${s.stateMachineTimeoutSeconds}), so a task that never calls back fails the execution instead of hanging it`,
    );
  }
  if (s.lambdaTimeoutSeconds >= s.taskTimeoutSeconds) {
    throw new ConfigError(
      `lambdaTimeoutSeconds (${environment}): ${s.lambdaTimeoutSeconds} must be below taskTimeoutSeconds (${s.taskTimeoutSeconds}), so the task outlives the function that answers it`,
    );
  }
  // Retries must never push an execution past its timeout: a message whose retries are cut short by it is
  // failed while a retry could still have recorded it.
  const budget = workflowRetryBudget(express ? "EXPRESS" : "STANDARD", {
    stateMachineTimeoutSeconds: s.stateMachineTimeoutSeconds,
    taskTimeoutSeconds: s.taskTimeoutSeconds,
    lambdaTimeoutSeconds: s.lambdaTimeoutSeconds,
  });
  if (budget.totalSeconds >= s.stateMachineTimeoutSeconds) {
    throw new ConfigError(
      `stateMachineTimeoutSeconds (${environment}): ${s.stateMachineTimeoutSeconds} must exceed the worst case of the task's retries, ${budget.totalSeconds} s (${budget.retriedAttemptsSeconds} s of retried attempts at lambdaTimeoutSeconds ${s.lambdaTimeoutSeconds}, ${budget.backoffSeconds} s of backoff, ${budget.finalAttemptsSeconds} s for the last attempt at taskTimeoutSeconds); raise it or lower the other two`,
    );
  }

  return {
    environment,
    region: s.region,
    busName: suffixed("busName", s.busName),
    ruleName: suffixed("ruleName", s.ruleName),
    eventSource: s.eventSource,
    tableName: suffixed("tableName", s.tableName),
    functionName: suffixed("functionName", s.functionName),
    stateMachineName: suffixed("stateMachineName", s.stateMachineName),
    deadLetterQueueName: suffixed("deadLetterQueueName", s.deadLetterQueueName),
    logRetentionInDays: s.logRetentionInDays,
    archiveRetentionDays: s.archiveRetentionDays,
    retryAttempts: s.retryAttempts,
    maxEventAgeInSeconds: s.maxEventAgeInSeconds,
    stateMachineTimeoutSeconds: s.stateMachineTimeoutSeconds,
    taskTimeoutSeconds: s.taskTimeoutSeconds,
    lambdaTimeoutSeconds: s.lambdaTimeoutSeconds,
    lambdaMemoryMb: s.lambdaMemoryMb,
    tableProtection: s.tableProtection,
    workflowType: express ? "EXPRESS" : "STANDARD",
    ...(s.logLevel ? { logLevel: s.logLevel } : {}),
    tracing: s.tracing === "" ? !express : s.tracing,
    lambdaLogLevel: s.lambdaLogLevel === "" ? (express ? "WARN" : "INFO") : s.lambdaLogLevel,
    ...(s.alarmEmail ? { alarmEmail: s.alarmEmail } : {}),
    api: apiFor(s),
    backend: backendFor(environment, s),
    tags: s.tags,
    encryption: s.encryption,
    keyDeletionWindowInDays: s.keyDeletionWindowInDays,
  };
}

function apiFor(s: Settings): ApiConfig {
  return {
    authorization: { type: s.apiAuthorization },
    manageAccountLogRole: s.apiAccountLogRole,
    throttlingRateLimit: s.apiThrottlingRateLimit,
    throttlingBurstLimit: s.apiThrottlingBurstLimit,
  };
}

function backendFor(environment: string, s: Settings): StateBackendConfig {
  if (s.backend === "cloud") {
    if (!s.tfcOrganization) {
      throw new ConfigError(
        `tfcOrganization (${environment}): required when backend is "cloud"; set RECORDER_TFC_ORGANIZATION or context.recorder.defaults.tfcOrganization`,
      );
    }
    if (Boolean(s.tfcWorkspace) === Boolean(s.tfcWorkspaceTags)) {
      throw new ConfigError(`tfcWorkspace / tfcWorkspaceTags (${environment}): set exactly one of them when backend is "cloud"`);
    }
    return {
      type: "cloud",
      organization: s.tfcOrganization,
      ...(s.tfcWorkspace ? { workspaceName: `${s.tfcWorkspace}-${environment}` } : {}),
      ...(s.tfcWorkspaceTags ? { workspaceTags: [...s.tfcWorkspaceTags.split(","), `environment:${environment}`] } : {}),
      ...(s.tfcHostname ? { hostname: s.tfcHostname } : {}),
    };
  }
  return {
    type: "s3",
    ...(s.stateBucket ? { bucket: s.stateBucket } : {}),
    key: `message-recorder/${environment}/terraform.tfstate`,
    region: s.stateRegion || s.region,
  };
}

/** Appends `-<environment>` and checks the result against the same rule as the base name. */
function withSuffix(where: string, setting: SettingName, base: string, environment: string): string {
  const name = `${base}-${environment}`;
  (SETTINGS[setting] as Setting<unknown>).parse(`${where}.${setting} (with the "-${environment}" suffix)`, name);
  return name;
}

function asObject(name: string, value: unknown): RawSettings {
  if (typeof value !== "object" || value === null || Array.isArray(value)) fail(name, value, "an object");
  return value as RawSettings;
}

/** Settings of the app as a whole (the one state bucket), refused under a single environment. */
const APP_WIDE_SETTINGS: readonly SettingName[] = ["stateBucket", "stateRegion"];

/** A RECORDER_* variable that is no setting is a typo that would otherwise be ignored, as an unknown key is refused. */
function checkKnownVariables(env: Readonly<Record<string, string | undefined>>): void {
  const known = ["RECORDER_ENVIRONMENTS", ...Object.values(SETTINGS).map((s) => s.env)];
  for (const name of Object.keys(env)
    .filter((n) => n.startsWith("RECORDER_"))
    .sort()) {
    if (!known.includes(name)) fail(name, env[name], `a known variable: ${known.join(", ")}`);
  }
}

/**
 * Sections of a layer in cdktf.json, each shaped like the props of the construct it configures; a setting may be
 * given flat (its name in the table above) or in its section under the construct's prop name, e.g.
 * `"recorder": { "timeoutSeconds": 5 }` for `lambdaTimeoutSeconds`.
 */
export const SECTIONS: Readonly<Record<string, Readonly<Record<string, SettingName>>>> = {
  bus: { eventBusName: "busName" },
  rule: { ruleName: "ruleName", eventSource: "eventSource", retryAttempts: "retryAttempts", maxEventAgeInSeconds: "maxEventAgeInSeconds" },
  deadLetterQueue: { queueName: "deadLetterQueueName" },
  table: { tableName: "tableName", protectFromDeletion: "tableProtection" },
  recorder: {
    functionName: "functionName",
    timeoutSeconds: "lambdaTimeoutSeconds",
    memoryMb: "lambdaMemoryMb",
    logLevel: "lambdaLogLevel",
  },
  workflow: {
    stateMachineName: "stateMachineName",
    workflowType: "workflowType",
    logLevel: "logLevel",
    stateMachineTimeoutSeconds: "stateMachineTimeoutSeconds",
    taskTimeoutSeconds: "taskTimeoutSeconds",
  },
  logs: { retentionInDays: "logRetentionInDays" },
  archive: { retentionDays: "archiveRetentionDays" },
  alarms: { email: "alarmEmail" },
  api: {
    authorization: "apiAuthorization",
    accountLogRole: "apiAccountLogRole",
    throttlingRateLimit: "apiThrottlingRateLimit",
    throttlingBurstLimit: "apiThrottlingBurstLimit",
  },
  key: { encryption: "encryption", deletionWindowInDays: "keyDeletionWindowInDays" },
  state: {
    backend: "backend",
    bucket: "stateBucket",
    region: "stateRegion",
    tfcOrganization: "tfcOrganization",
    tfcWorkspace: "tfcWorkspace",
    tfcWorkspaceTags: "tfcWorkspaceTags",
    tfcHostname: "tfcHostname",
  },
};

/** `section.key` of a setting in cdktf.json's sections, or undefined for the settings that have none (region, tracing, tags). */
export function sectionedName(setting: SettingName): string | undefined {
  for (const [section, keys] of Object.entries(SECTIONS)) {
    const key = Object.entries(keys).find(([, name]) => name === setting)?.[0];
    if (key) return `${section}.${key}`;
  }
  return undefined;
}

/** Where in cdktf.json each setting of a layer was given, for messages that name it as the user wrote it. */
const GIVEN_AT = new WeakMap<RawSettings, Record<string, string>>();

function pathOf(layer: RawSettings, where: string, name: string): string {
  return GIVEN_AT.get(layer)?.[name] ?? `${where}.${name}`;
}

/** Flattens the sections of a layer into setting names, refusing unknown keys and a setting given twice. */
function normalizeLayer(where: string, raw: RawSettings, warn: (line: string) => void): RawSettings {
  const flat: RawSettings = {};
  const givenAt: Record<string, string> = {};
  const put = (name: string, value: unknown, at: string) => {
    if (name in flat) fail(at, value, `one value: ${givenAt[name]} already sets it`);
    flat[name] = value;
    givenAt[name] = at;
  };
  for (const [key, value] of Object.entries(raw)) {
    const section = SECTIONS[key];
    if (section && !(key in SETTINGS)) {
      for (const [prop, item] of Object.entries(asObject(`${where}.${key}`, value))) {
        if (!(prop in section)) fail(`${where}.${key}.${prop}`, item, `a key of ${key}: ${Object.keys(section).join(", ")}`);
        put(section[prop], item, `${where}.${key}.${prop}`);
      }
    } else {
      if (!(key in SETTINGS))
        fail(`${where}.${key}`, value, `a known setting or section: ${[...Object.keys(SETTINGS), ...Object.keys(SECTIONS)].join(", ")}`);
      // The flat names of earlier releases still work for one more release; the sectioned name is the documented one.
      const sectioned = sectionedName(key as SettingName);
      if (sectioned) warn(`${where}.${key} is deprecated and goes in the next release; use ${where}.${sectioned}`);
      put(key, value, `${where}.${key}`);
    }
  }
  GIVEN_AT.set(flat, givenAt);
  return flat;
}
