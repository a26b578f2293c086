import recordMessageExpressTemplate from "../asl/record-message-express.asl.json";
import recordMessageTemplate from "../asl/record-message.asl.json";

/**
 * Renders the workflow definitions kept as JSON in `asl/`.
 *
 * A placeholder is `${Name}`. A string that is only a placeholder takes the substituted value with its type (so
 * `"TimeoutSeconds": "${TaskTimeoutSeconds}"` becomes a number); a placeholder inside a longer string is
 * interpolated. Rendering refuses a placeholder with no value and a value with no placeholder, so the file and
 * the code cannot drift apart silently.
 */

/** The values the "Record Message" workflow needs at synth. */
export interface RecordMessageSubstitutions {
  /** The recorder function the task invokes (unqualified ARN). */
  readonly RecorderFunctionArn: string;
  readonly StateMachineTimeoutSeconds: number;
  readonly TaskTimeoutSeconds: number;
}

export type Substitutions = Readonly<Record<string, string | number>>;

const PLACEHOLDER = /\$\{([A-Za-z][A-Za-z0-9_]*)\}/g;
const WHOLE_PLACEHOLDER = /^\$\{([A-Za-z][A-Za-z0-9_]*)\}$/;

export class AslRenderError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "AslRenderError";
  }
}

/** Every placeholder name in a template, sorted. */
export function placeholdersOf(template: unknown): string[] {
  const found = new Set<string>();
  walkStrings(template, (text) => {
    for (const match of text.matchAll(PLACEHOLDER)) found.add(match[1]);
    return text;
  });
  return [...found].sort();
}

/** Substitutes every placeholder and returns the definition as compact JSON. */
export function renderDefinition(template: unknown, substitutions: Substitutions, templateName = "definition"): string {
  const expected = placeholdersOf(template);
  const given = Object.keys(substitutions).sort();
  const missing = expected.filter((name) => !given.includes(name));
  const unused = given.filter((name) => !expected.includes(name));
  if (missing.length > 0) {
    throw new AslRenderError(`${templateName}: no value for placeholder(s) ${missing.map((m) => "${" + m + "}").join(", ")}`);
  }
  if (unused.length > 0) {
    throw new AslRenderError(`${templateName}: substitution(s) ${unused.join(", ")} match no placeholder`);
  }
  const rendered = walkStrings(template, (text) => {
    const whole = WHOLE_PLACEHOLDER.exec(text);
    if (whole) return substitutions[whole[1]];
    return text.replace(PLACEHOLDER, (_match, name: string) => String(substitutions[name]));
  });
  return JSON.stringify(rendered);
}

export function renderRecordMessageDefinition(substitutions: RecordMessageSubstitutions): string {
  return renderDefinition(recordMessageTemplate, { ...substitutions }, "asl/record-message.asl.json");
}

/** The values the EXPRESS variant needs: the same, and the queue it sends every failure to. */
export interface RecordMessageExpressSubstitutions extends RecordMessageSubstitutions {
  readonly FailedExecutionsQueueUrl: string;
}

export function renderRecordMessageExpressDefinition(substitutions: RecordMessageExpressSubstitutions): string {
  return renderDefinition(recordMessageExpressTemplate, { ...substitutions }, "asl/record-message-express.asl.json");
}

/**
 * The "Record Message" definition of a workflow type: the one place that knows which template serves which type.
 * EXPRESS needs the queue it sends its failures to; STANDARD takes none.
 */
export function renderWorkflowDefinition(type: "STANDARD" | "EXPRESS", substitutions: RecordMessageSubstitutions & { readonly FailedExecutionsQueueUrl?: string }): string {
  const { FailedExecutionsQueueUrl, ...common } = substitutions;
  if (type === "STANDARD") return renderRecordMessageDefinition(common);
  if (FailedExecutionsQueueUrl === undefined) throw new AslRenderError("asl/record-message-express.asl.json: no value for placeholder(s) ${FailedExecutionsQueueUrl}");
  return renderRecordMessageExpressDefinition({ ...common, FailedExecutionsQueueUrl });
}

export { recordMessageExpressTemplate, recordMessageTemplate };

function walkStrings(value: unknown, visit: (text: string) => unknown): unknown {
  if (typeof value === "string") return visit(value);
  if (Array.isArray(value)) return value.map((item) => walkStrings(item, visit));
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, walkStrings(item, visit)]));
  }
  return value;
}

/**
 * Execution timeouts by workflow type: the default (EXPRESS also sends its failures to a queue itself, a step whose
 * retries need time) and the most the service runs an execution (an EXPRESS execution stops at 5 minutes).
 * https://docs.aws.amazon.com/step-functions/latest/dg/concepts-standard-vs-express.html
 */
export const EXECUTION_TIMEOUT_SECONDS = {
  STANDARD: { default: 30, max: 31_536_000 },
  EXPRESS: { default: 60, max: 300 },
} as const;

/** How the worst case of an execution adds up, in seconds. */
export interface RetryBudget {
  /** Attempts that end in a retried error, each lasting at most the function timeout. */
  readonly retriedAttemptsSeconds: number;
  /** The longest waits the retriers can choose between attempts (jitter only shortens them). */
  readonly backoffSeconds: number;
  /** The final attempt of each task, bounded by the task timeout. */
  readonly finalAttemptsSeconds: number;
  readonly totalSeconds: number;
}

interface Retrier {
  readonly ErrorEquals: readonly string[];
  readonly IntervalSeconds?: number;
  readonly MaxAttempts?: number;
  readonly BackoffRate?: number;
  readonly MaxDelaySeconds?: number;
}

/** Errors that only end an attempt after the task timeout, so a retry of them costs a whole task timeout. */
const TIMEOUT_ERRORS = ["States.ALL", "States.Timeout", "States.HeartbeatTimeout"];

/**
 * The longest an execution of a rendered definition can run when every task exhausts its retries: each retried
 * attempt lasts at most the function timeout (a function error, a crash or a Lambda service error ends it), or
 * the task timeout if the retrier matches a timeout; each wait is the retrier's interval grown by its backoff
 * rate and capped by MaxDelaySeconds (defaults from the States Language: 1 s, 3 attempts, rate 2.0); the last
 * attempt may run to the task timeout.
 */
export function retryBudget(definition: string, timeouts: { readonly lambdaTimeoutSeconds: number }): RetryBudget {
  const states = Object.values((JSON.parse(definition) as { States: Record<string, { Type: string; TimeoutSeconds?: number; Retry?: Retrier[] }> }).States);
  let retriedAttemptsSeconds = 0;
  let backoffSeconds = 0;
  let finalAttemptsSeconds = 0;
  for (const state of states.filter((s) => s.Type === "Task")) {
    const taskTimeout = state.TimeoutSeconds ?? 60;
    finalAttemptsSeconds += taskTimeout;
    for (const retrier of state.Retry ?? []) {
      const attempts = retrier.MaxAttempts ?? 3;
      const attemptSeconds = retrier.ErrorEquals.some((e) => TIMEOUT_ERRORS.includes(e)) ? taskTimeout : timeouts.lambdaTimeoutSeconds;
      retriedAttemptsSeconds += attempts * attemptSeconds;
      for (let retry = 0; retry < attempts; retry++) {
        const wait = (retrier.IntervalSeconds ?? 1) * (retrier.BackoffRate ?? 2) ** retry;
        backoffSeconds += Math.min(wait, retrier.MaxDelaySeconds ?? Number.POSITIVE_INFINITY);
      }
    }
  }
  return { retriedAttemptsSeconds, backoffSeconds, finalAttemptsSeconds, totalSeconds: retriedAttemptsSeconds + backoffSeconds + finalAttemptsSeconds };
}

interface TaskState {
  readonly Type: string;
  readonly Resource?: string;
  readonly Parameters?: Record<string, unknown>;
}

function taskStates(definition: string): Array<[string, TaskState]> {
  const states = (JSON.parse(definition) as { States: Record<string, TaskState> }).States;
  return Object.entries(states).filter(([, state]) => state.Type === "Task");
}

/** The functions a rendered definition invokes (Parameters.FunctionName of its Lambda tasks). */
export function invokedFunctions(definition: string): string[] {
  return [...new Set(taskStates(definition)
    .filter(([, state]) => String(state.Resource).startsWith("arn:aws:states:::lambda:invoke"))
    .map(([, state]) => String(state.Parameters?.FunctionName)))];
}

/**
 * A callback task (`.waitForTaskToken`) whose parameters do not pass `$$.Task.Token` can never be answered: its
 * execution would wait until the task timeout. As the AWS CDK does for `LambdaInvoke`, refuse it at synth.
 */
export function callbackTaskProblems(definition: string): string[] {
  return taskStates(definition)
    .filter(([, state]) => String(state.Resource).endsWith(".waitForTaskToken"))
    .filter(([, state]) => !JSON.stringify(state.Parameters ?? {}).includes("\"$$.Task.Token\""))
    .map(([name]) => `Task "${name}" waits for a task token but its Parameters do not pass "$$.Task.Token": nothing could ever answer it`);
}
