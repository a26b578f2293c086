/**
 * The one place where configuration is read and validated.
 *
 * Values come from three layers, the later winning:
 *   1. the defaults of each setting (schema.ts),
 *   2. the `recorder` context in cdktf.json: `defaults` for every environment, then `environments.<name>`,
 *   3. `RECORDER_*` environment variables, which apply to every environment synthesized in that run.
 *
 * Every value is checked before any construct exists, and a bad one throws a ConfigError whose message is one
 * line naming the setting, the value received and what is allowed.
 */

import { EXECUTION_TIMEOUT_SECONDS, workflowRetryBudget } from "../asl";
import { ConfigError, fail, RawSettings, Setting } from "./parsers";
import {
  ApiConfig,
  AppConfig,
  ENVIRONMENT_NAME,
  ENVIRONMENT_NAME_RULE,
  EnvironmentConfig,
  sectionedName,
  SECTIONS,
  SettingName,
  Settings,
  SETTINGS,
  StateBackendConfig,
} from "./schema";

export { ConfigError } from "./parsers";
export * from "./schema";

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
    tracing: s.tracing === "" ? !express : s.tracing,
    tags: s.tags,
    bus: { eventBusName: suffixed("busName", s.busName) },
    rule: {
      ruleName: suffixed("ruleName", s.ruleName),
      eventSource: s.eventSource,
      retryAttempts: s.retryAttempts,
      maxEventAgeInSeconds: s.maxEventAgeInSeconds,
    },
    deadLetterQueue: { queueName: suffixed("deadLetterQueueName", s.deadLetterQueueName) },
    table: { tableName: suffixed("tableName", s.tableName), protectFromDeletion: s.tableProtection },
    recorder: {
      functionName: suffixed("functionName", s.functionName),
      timeoutSeconds: s.lambdaTimeoutSeconds,
      memoryMb: s.lambdaMemoryMb,
      logLevel: s.lambdaLogLevel === "" ? (express ? "WARN" : "INFO") : s.lambdaLogLevel,
    },
    workflow: {
      stateMachineName: suffixed("stateMachineName", s.stateMachineName),
      workflowType: express ? "EXPRESS" : "STANDARD",
      ...(s.logLevel ? { logLevel: s.logLevel } : {}),
      stateMachineTimeoutSeconds: s.stateMachineTimeoutSeconds,
      taskTimeoutSeconds: s.taskTimeoutSeconds,
    },
    logs: { retentionInDays: s.logRetentionInDays },
    archive: { retentionDays: s.archiveRetentionDays },
    alarms: s.alarmEmail ? { email: s.alarmEmail } : {},
    api: apiFor(s),
    key: { encryption: s.encryption, deletionWindowInDays: s.keyDeletionWindowInDays },
    backend: backendFor(environment, s),
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
