import { ConfigError, loadConfig, SECTIONS, SETTING_DOCS } from "../stacks/config";
import { DEFAULTS } from "../stacks/defaults";

/** The single line a bad value produces. */
function errorOf(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    expect(error.message).not.toContain("\n");
    return error.message;
  }
  throw new Error("expected a ConfigError");
}

describe("configuration", () => {
  test("with no configuration at all there is one dev environment with the design's names", () => {
    const config = loadConfig();
    expect(config.environments).toHaveLength(1);
    expect(config.environments[0]).toMatchObject({
      environment: "dev",
      region: "us-east-1",
      bus: { eventBusName: "commonbus-dev" },
      rule: { ruleName: "sfnCommonEventProcessorRule-dev", eventSource: "com.devpost.commonevent", retryAttempts: 3 },
      table: { tableName: "MessagesTable-dev", protectFromDeletion: true },
      logs: { retentionInDays: 7 },
      workflow: { stateMachineTimeoutSeconds: 30 },
      backend: { type: "s3", key: "message-recorder/dev/terraform.tfstate", region: "us-east-1" },
    });
    expect(config.environments[0].backend).not.toHaveProperty("bucket");
  });

  test("environment variables override cdktf.json, which overrides the defaults", () => {
    const config = loadConfig({
      context: { defaults: { logRetentionInDays: 14, retryAttempts: 5 }, environments: { dev: { retryAttempts: 7 } } },
      env: { RECORDER_RETRY_ATTEMPTS: "9" },
    });
    expect(config.environments[0].logs.retentionInDays).toBe(14);
    expect(config.environments[0].rule.retryAttempts).toBe(9);
    expect(loadConfig({ context: { environments: { dev: { retryAttempts: 7 } } } }).environments[0].rule.retryAttempts).toBe(7);
  });

  test("encryption defaults to one customer-managed key with a 30-day deletion window; aws-managed is the other choice", () => {
    expect(loadConfig().environments[0]).toMatchObject({ key: { encryption: "customer-managed", deletionWindowInDays: 30 } });
    expect(
      loadConfig({ context: { environments: { dev: { encryption: "aws-managed", keyDeletionWindowInDays: 7 } } } }).environments[0],
    ).toMatchObject({ key: { encryption: "aws-managed", deletionWindowInDays: 7 } });
  });

  test.each([
    [{ RECORDER_ENCRYPTION: "sse-s3" }, 'RECORDER_ENCRYPTION: "sse-s3" is not allowed; expected one of customer-managed, aws-managed'],
    [{ RECORDER_KEY_DELETION_WINDOW_DAYS: "6" }, 'RECORDER_KEY_DELETION_WINDOW_DAYS: "6" is not allowed; expected an integer from 7 to 30'],
    [
      { RECORDER_KEY_DELETION_WINDOW_DAYS: "31" },
      'RECORDER_KEY_DELETION_WINDOW_DAYS: "31" is not allowed; expected an integer from 7 to 30',
    ],
  ])("rejects an encryption setting KMS does not allow: %j", (env, message) => {
    expect(errorOf(() => loadConfig({ env }))).toBe(message);
  });

  test("rejects an unknown region, naming the setting and the allowed values", () => {
    const message = errorOf(() => loadConfig({ env: { RECORDER_REGION: "mars-north-1" } }));
    expect(message).toMatch(/^RECORDER_REGION: "mars-north-1" is not allowed; expected one of .*eu-west-1.*us-east-1/);
  });

  test("rejects an illegal resource name", () => {
    expect(errorOf(() => loadConfig({ env: { RECORDER_BUS_NAME: "bad name!" } }))).toMatch(
      /^RECORDER_BUS_NAME: "bad name!" is not allowed; expected 1-200 characters of letters, digits/,
    );
    expect(errorOf(() => loadConfig({ context: { environments: { dev: { tableName: "ab" } } } }))).toMatch(
      /^context\.recorder\.environments\.dev\.tableName: "ab" is not allowed/,
    );
  });

  test("rejects a name that only becomes too long with the environment suffix", () => {
    const base = "r".repeat(38);
    expect(errorOf(() => loadConfig({ env: { RECORDER_FUNCTION_NAME: base } }))).toMatch(
      /functionName \(with the "-dev" suffix\): "r{38}-dev" is not allowed; expected 1-40 characters/,
    );
  });

  test("the bus archive keeps 7 days by default, its retention set in the archive section or by RECORDER_ARCHIVE_RETENTION_DAYS (0: for ever)", () => {
    expect(loadConfig().environments[0].archive.retentionDays).toBe(7);
    expect(loadConfig({ context: { defaults: { archive: { retentionDays: 0 } } } }).environments[0].archive.retentionDays).toBe(0);
    expect(errorOf(() => loadConfig({ env: { RECORDER_ARCHIVE_RETENTION_DAYS: "-3" } }))).toMatch(
      /^RECORDER_ARCHIVE_RETENTION_DAYS: "-3" is not allowed; expected/,
    );
  });

  test("rejects a retention CloudWatch does not allow", () => {
    expect(errorOf(() => loadConfig({ env: { RECORDER_LOG_RETENTION_DAYS: "10" } }))).toBe(
      'RECORDER_LOG_RETENTION_DAYS: "10" is not allowed; expected one of 0, 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653',
    );
  });

  test.each(["-1", "186", "3.5", "three"])("rejects retry attempts %s outside 0..185", (value) => {
    expect(errorOf(() => loadConfig({ env: { RECORDER_RETRY_ATTEMPTS: value } }))).toBe(
      `RECORDER_RETRY_ATTEMPTS: "${value}" is not allowed; expected an integer from 0 to 185`,
    );
  });

  test("accepts retry attempts at both bounds", () => {
    expect(loadConfig({ env: { RECORDER_RETRY_ATTEMPTS: "0" } }).environments[0].rule.retryAttempts).toBe(0);
    expect(loadConfig({ env: { RECORDER_RETRY_ATTEMPTS: "185" } }).environments[0].rule.retryAttempts).toBe(185);
  });

  test("rejects a task timeout that is not below the state machine timeout", () => {
    expect(errorOf(() => loadConfig({ env: { RECORDER_TASK_TIMEOUT_SECONDS: "30" } }))).toMatch(
      /^taskTimeoutSeconds \(dev\): 30 must be below stateMachineTimeoutSeconds \(30\)/,
    );
  });

  test("rejects a Lambda timeout that is not below the task timeout", () => {
    expect(errorOf(() => loadConfig({ env: { RECORDER_LAMBDA_TIMEOUT_SECONDS: "7" } }))).toMatch(
      /^lambdaTimeoutSeconds \(dev\): 7 must be below taskTimeoutSeconds \(7\)/,
    );
  });

  test("rejects timeouts whose retries could outlast the execution, naming how the worst case adds up", () => {
    expect(errorOf(() => loadConfig({ env: { RECORDER_LAMBDA_TIMEOUT_SECONDS: "6" } }))).toBe(
      "stateMachineTimeoutSeconds (dev): 30 must exceed the worst case of the task's retries, 32 s (18 s of retried attempts at lambdaTimeoutSeconds 6, 7 s of backoff, 7 s for the last attempt at taskTimeoutSeconds); raise it or lower the other two",
    );
    expect(
      loadConfig({ env: { RECORDER_LAMBDA_TIMEOUT_SECONDS: "6", RECORDER_STATE_MACHINE_TIMEOUT_SECONDS: "33" } }).environments[0].recorder
        .timeoutSeconds,
    ).toBe(6);
  });

  test("the defaults leave the retries inside the execution timeout", () => {
    const [dev] = loadConfig().environments;
    expect(dev).toMatchObject({ workflow: { stateMachineTimeoutSeconds: 30, taskTimeoutSeconds: 7 }, recorder: { timeoutSeconds: 5 } });
  });

  test("rejects an unknown setting in cdktf.json", () => {
    expect(errorOf(() => loadConfig({ context: { environments: { dev: { retries: 3 } } } }))).toMatch(
      /^context\.recorder\.environments\.dev\.retries: 3 is not allowed; expected a known setting or section: region, busName/,
    );
  });

  test("rejects an illegal environment name", () => {
    expect(errorOf(() => loadConfig({ env: { RECORDER_ENVIRONMENTS: "Prod" } }))).toMatch(
      /^RECORDER_ENVIRONMENTS: "Prod" is not allowed; expected environment names of lower-case letters/,
    );
  });

  test("rejects an illegal state bucket name", () => {
    expect(errorOf(() => loadConfig({ env: { RECORDER_STATE_BUCKET: "My_Bucket" } }))).toMatch(
      /^RECORDER_STATE_BUCKET: "My_Bucket" is not allowed; expected an S3 bucket name/,
    );
  });

  test("rejects tags that are not a JSON object of strings", () => {
    expect(errorOf(() => loadConfig({ env: { RECORDER_TAGS: "team=payments" } }))).toMatch(
      /^RECORDER_TAGS: "team=payments" is not allowed; expected valid JSON/,
    );
    expect(errorOf(() => loadConfig({ env: { RECORDER_TAGS: '{"cost":5}' } }))).toMatch(
      /^RECORDER_TAGS: .* expected an object of string values/,
    );
  });
});

describe("configuration sources", () => {
  test("rejects an unknown RECORDER_* variable, as it rejects an unknown cdktf.json key", () => {
    expect(() => loadConfig({ env: { RECORDER_RETRIES: "3" } })).toThrow(
      /^RECORDER_RETRIES: "3" is not allowed; expected a known variable: RECORDER_ENVIRONMENTS, RECORDER_REGION, /,
    );
  });

  test("rejects an app-wide setting given for one environment", () => {
    expect(() => loadConfig({ context: { environments: { dev: { stateBucket: "acme-state" } } } })).toThrow(
      'context.recorder.environments.dev.stateBucket: "acme-state" is not allowed; expected no per-environment value: the state bucket serves every environment, so set it in context.recorder.defaults',
    );
    expect(loadConfig({ context: { defaults: { stateBucket: "acme-state" }, environments: { dev: {} } } }).stateBucket).toBe("acme-state");
  });
});

describe("sections shaped like the constructs' props", () => {
  test("a setting in its section is the same as the flat setting", () => {
    const nested = loadConfig({
      context: {
        environments: {
          dev: { recorder: { timeoutSeconds: 4, memoryMb: 512 }, rule: { retryAttempts: 10 }, table: { protectFromDeletion: false } },
        },
      },
    });
    const flat = loadConfig({
      context: { environments: { dev: { lambdaTimeoutSeconds: 4, lambdaMemoryMb: 512, retryAttempts: 10, tableProtection: false } } },
    });
    expect(nested).toEqual(flat);
    // The typed configuration is nested as the sections are: each one is the props of its construct.
    expect(nested.environments[0]).toMatchObject({
      recorder: { timeoutSeconds: 4, memoryMb: 512 },
      rule: { retryAttempts: 10 },
      table: { protectFromDeletion: false },
    });
  });

  test("every section key names a setting, and every section is named like a construct's props", () => {
    for (const [section, keys] of Object.entries(SECTIONS)) {
      for (const setting of Object.values(keys))
        expect({ section, setting, known: SETTING_DOCS.some((d) => d.name === setting) }).toEqual({ section, setting, known: true });
    }
  });

  test("a bad value in a section is named by its path there", () => {
    expect(() => loadConfig({ context: { environments: { dev: { recorder: { memoryMb: 64 } } } } })).toThrow(
      "context.recorder.environments.dev.recorder.memoryMb: 64 is not allowed; expected an integer from 128 to 10240",
    );
  });

  test("rejects an unknown key of a section, listing the allowed ones", () => {
    expect(() => loadConfig({ context: { defaults: { recorder: { memory: 512 } } } })).toThrow(
      "context.recorder.defaults.recorder.memory: 512 is not allowed; expected a key of recorder: functionName, timeoutSeconds, memoryMb",
    );
  });

  test("rejects a setting given both flat and in its section", () => {
    expect(() => loadConfig({ context: { environments: { dev: { lambdaMemoryMb: 256, recorder: { memoryMb: 512 } } } } })).toThrow(
      "context.recorder.environments.dev.recorder.memoryMb: 512 is not allowed; expected one value: context.recorder.environments.dev.lambdaMemoryMb already sets it",
    );
  });

  test("the state bucket is app-wide in its section too", () => {
    expect(() => loadConfig({ context: { environments: { dev: { state: { bucket: "acme-state" } } } } })).toThrow(
      /^context\.recorder\.environments\.dev\.state\.bucket: "acme-state" is not allowed; expected no per-environment value/,
    );
  });
});

describe("workflow type", () => {
  test("an EXPRESS workflow's execution timeout defaults to 60 s; one given is kept", () => {
    expect(loadConfig({ env: { RECORDER_WORKFLOW_TYPE: "express" } }).environments[0]).toMatchObject({
      workflow: { workflowType: "EXPRESS", stateMachineTimeoutSeconds: 60 },
    });
    expect(
      loadConfig({ env: { RECORDER_WORKFLOW_TYPE: "express", RECORDER_STATE_MACHINE_TIMEOUT_SECONDS: "90" } }).environments[0].workflow
        .stateMachineTimeoutSeconds,
    ).toBe(90);
    expect(
      loadConfig({ context: { environments: { dev: { workflow: { workflowType: "express", stateMachineTimeoutSeconds: 55 } } } } })
        .environments[0].workflow.stateMachineTimeoutSeconds,
    ).toBe(55);
    expect(loadConfig().environments[0]).toMatchObject({ workflow: { workflowType: "STANDARD", stateMachineTimeoutSeconds: 30 } });
  });

  test("rejects an EXPRESS execution timeout over 5 minutes, which the service would cut short unseen", () => {
    expect(() => loadConfig({ env: { RECORDER_WORKFLOW_TYPE: "express", RECORDER_STATE_MACHINE_TIMEOUT_SECONDS: "3600" } })).toThrow(
      "stateMachineTimeoutSeconds (dev): 3600 is not allowed for workflowType express; expected at most 300, since an EXPRESS execution stops at 5 minutes, unseen",
    );
  });

  test("rejects an EXPRESS execution timeout too short for its retries, both capture steps included", () => {
    expect(() => loadConfig({ env: { RECORDER_WORKFLOW_TYPE: "express", RECORDER_STATE_MACHINE_TIMEOUT_SECONDS: "47" } })).toThrow(
      /^stateMachineTimeoutSeconds \(dev\): 47 must exceed the worst case of the task's retries, 47 s/,
    );
  });
});

describe("one documented name per setting", () => {
  test("a flat name of an earlier release still works, with one warning that names its sectioned replacement", () => {
    const warnings: string[] = [];
    const config = loadConfig({
      context: { environments: { dev: { tableProtection: false, region: "eu-west-1" } } },
      warn: (line) => warnings.push(line),
    });
    expect(config.environments[0].table.protectFromDeletion).toBe(false);
    expect(warnings).toEqual([
      "context.recorder.environments.dev.tableProtection is deprecated and goes in the next release; use context.recorder.environments.dev.table.protectFromDeletion",
    ]);
  });

  test("the sectioned names, and the stack-wide settings that have no section, warn of nothing", () => {
    const warnings: string[] = [];
    loadConfig({
      context: { defaults: { region: "eu-west-1", tags: { team: "a" } }, environments: { dev: { table: { protectFromDeletion: false } } } },
      warn: (line) => warnings.push(line),
    });
    expect(warnings).toEqual([]);
  });

  test("the defaults the configuration documents are the ones the constructs apply (stacks/defaults.ts)", () => {
    const defaults = Object.fromEntries(SETTING_DOCS.map((s) => [s.name, s.defaultValue]));
    expect(defaults).toMatchObject({
      logRetentionInDays: DEFAULTS.logRetentionInDays,
      archiveRetentionDays: DEFAULTS.archiveRetentionDays,
      lambdaTimeoutSeconds: DEFAULTS.recorder.timeoutSeconds,
      lambdaMemoryMb: DEFAULTS.recorder.memoryMb,
      taskTimeoutSeconds: DEFAULTS.workflow.taskTimeoutSeconds,
      apiThrottlingRateLimit: DEFAULTS.api.throttlingRateLimit,
      apiThrottlingBurstLimit: DEFAULTS.api.throttlingBurstLimit,
      keyDeletionWindowInDays: DEFAULTS.keyDeletionWindowInDays,
    });
  });
});
