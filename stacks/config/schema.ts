/**
 * What can be configured: the typed configuration the stacks read, every setting with its documentation,
 * environment variable, default and parser, and the sections of cdktf.json that mirror the constructs' props.
 */

import { EXECUTION_TIMEOUT_SECONDS } from "../asl";
import { DEFAULTS } from "../defaults";
import { WorkflowType } from "../workflow-model";
import { boolean, integer, matching, oneOf, Setting, stringMap } from "./parsers";

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

/**
 * One environment's configuration, nested as cdktf.json's sections are: each section has the names of the props
 * of the construct it configures, so the stack hands a section to its construct as it is.
 */
export interface EnvironmentConfig {
  /** Name of the environment; part of every resource name, so two environments never collide in one account. */
  readonly environment: string;
  readonly region: string;
  /** X-Ray on the state machine, the Lambda and the API stage. @default true for STANDARD, false for EXPRESS */
  readonly tracing: boolean;
  /** Added to the provider's default tags. */
  readonly tags: Readonly<Record<string, string>>;
  readonly bus: {
    /** @default "commonbus" (suffixed with the environment) */
    readonly eventBusName: string;
  };
  readonly rule: {
    /** @default "sfnCommonEventProcessorRule" (suffixed) */
    readonly ruleName: string;
    /** The event `source` the rule matches. @default "com.devpost.commonevent" */
    readonly eventSource: string;
    /** Delivery attempts EventBridge makes before the DLQ. Minimum 0, maximum 185. @default 3 */
    readonly retryAttempts: number;
    /** How long EventBridge keeps retrying an event. Minimum 60, maximum 86400. @default 3600 */
    readonly maxEventAgeInSeconds: number;
  };
  readonly deadLetterQueue: {
    /** @default "sfnCommonEventProcessorDLQ" (suffixed) */
    readonly queueName: string;
  };
  readonly table: {
    /** @default "MessagesTable" (suffixed) */
    readonly tableName: string;
    /** Deletion protection and prevent_destroy on the table. @default true */
    readonly protectFromDeletion: boolean;
  };
  readonly recorder: {
    /** @default "recorder" (suffixed) */
    readonly functionName: string;
    /** Must be below the task timeout. @default 5 */
    readonly timeoutSeconds: number;
    /** Minimum 128, maximum 10240. @default 256 */
    readonly memoryMb: number;
    /** The recorder's application log level (Lambda's advanced logging controls). @default "INFO" for STANDARD, "WARN" for EXPRESS */
    readonly logLevel: LambdaLogLevel;
  };
  readonly workflow: {
    /** @default "MessageRecorder" (suffixed) */
    readonly stateMachineName: string;
    /** STANDARD (callback, exactly-once, 90-day history) or EXPRESS (synchronous invoke, far cheaper). @default "STANDARD" */
    readonly workflowType: WorkflowType;
    /** Execution log level; unset: ALL for STANDARD, ERROR for EXPRESS. */
    readonly logLevel?: "ALL" | "ERROR" | "FATAL" | "OFF";
    /** Whole execution. @default 30 for STANDARD, 60 for EXPRESS (at most 300) */
    readonly stateMachineTimeoutSeconds: number;
    /** The "Record Message" task, callback included; its retries must fit the machine timeout. @default 7 */
    readonly taskTimeoutSeconds: number;
  };
  readonly logs: {
    /** Retention of every log group. One of CloudWatch's allowed values. @default 7 */
    readonly retentionInDays: number;
  };
  readonly archive: {
    /** Days the bus archive keeps each matching event; 0 for ever. @default 7 */
    readonly retentionDays: number;
  };
  readonly alarms: {
    /** Subscribed to the alarm topic when set. */
    readonly email?: string;
  };
  readonly api: ApiConfig;
  readonly key: {
    /**
     * `customer-managed`: one KMS key of the environment encrypts the table, the queue, the topic, every log group,
     * the state machine and the Lambda environment. `aws-managed`: AWS owned and AWS-managed keys, no key to pay for.
     * @default "customer-managed"
     */
    readonly encryption: EncryptionMode;
    /** Days a scheduled deletion of the key can be cancelled. Minimum 7, maximum 30. @default 30 */
    readonly deletionWindowInDays: number;
  };
  readonly backend: StateBackendConfig;
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

export const ENVIRONMENT_NAME = /^[a-z][a-z0-9-]{0,15}$/;
export const ENVIRONMENT_NAME_RULE = "lower-case letters, digits and '-', starting with a letter, at most 16 characters";
export const BUCKET_NAME = /^(?!xn--)(?!.*\.\.)[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
export const BUCKET_NAME_RULE = "an S3 bucket name: 3-63 lower-case letters, digits, '.' and '-'";

/**
 * The per-environment settings. A name here is also the cdktf.json key; `env` is the variable that overrides it.
 * Names are validated after the environment suffix is added (see `withSuffix`), since that is what AWS sees.
 */
export const SETTINGS = {
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
export type Settings = { [K in SettingName]: ReturnType<(typeof SETTINGS)[K]["parse"]> };

/** The documented settings: name, environment variable and default, for README and error messages. */
export const SETTING_DOCS: ReadonlyArray<{ name: SettingName; env: string; defaultValue: unknown; doc: string }> = (
  Object.keys(SETTINGS) as SettingName[]
).map((name) => ({ name, env: SETTINGS[name].env, defaultValue: SETTINGS[name].defaultValue, doc: SETTINGS[name].doc }));

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
