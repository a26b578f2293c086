import recordMessageExpressTemplate from "../asl/record-message-express.asl.json";
import recordMessageTemplate from "../asl/record-message.asl.json";
import { RetryBudget, WorkflowModel, WorkflowType } from "./workflow-model";

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
export function renderWorkflowDefinition(
  type: WorkflowType,
  substitutions: RecordMessageSubstitutions & { readonly FailedExecutionsQueueUrl?: string },
): string {
  const { FailedExecutionsQueueUrl, ...common } = substitutions;
  if (type === "STANDARD") return renderRecordMessageDefinition(common);
  if (FailedExecutionsQueueUrl === undefined)
    throw new AslRenderError("asl/record-message-express.asl.json: no value for placeholder(s) ${FailedExecutionsQueueUrl}");
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

export type { RetryBudget } from "./workflow-model";

/** The worst case of a rendered definition's retries (see WorkflowModel.retryBudget). */
export function retryBudget(definition: string, timeouts: { readonly lambdaTimeoutSeconds: number }): RetryBudget {
  return WorkflowModel.of(definition).retryBudget(timeouts.lambdaTimeoutSeconds);
}

/**
 * The worst case of the retries of a workflow type's definition for these timeouts, straight from its template:
 * the budget depends on the shape and the timeouts only, not on the function or queue it names.
 */
export function workflowRetryBudget(
  type: WorkflowType,
  timeouts: { readonly stateMachineTimeoutSeconds: number; readonly taskTimeoutSeconds: number; readonly lambdaTimeoutSeconds: number },
): RetryBudget {
  const template = type === "STANDARD" ? recordMessageTemplate : recordMessageExpressTemplate;
  const shape = walkStrings(template, (text) => {
    const whole = WHOLE_PLACEHOLDER.exec(text);
    if (whole?.[1] === "StateMachineTimeoutSeconds") return timeouts.stateMachineTimeoutSeconds;
    if (whole?.[1] === "TaskTimeoutSeconds") return timeouts.taskTimeoutSeconds;
    return text;
  });
  return WorkflowModel.of(shape as object).retryBudget(timeouts.lambdaTimeoutSeconds);
}

/** The functions a rendered definition invokes (Parameters.FunctionName of its Lambda tasks, at any depth). */
export function invokedFunctions(definition: string): string[] {
  return WorkflowModel.of(definition).invokedFunctions;
}

/**
 * The payload the workflow of a type hands the recorder for an event: the "Record Message" task's
 * Parameters.Payload, its `$.` paths read from the event (a missing path stays undefined; context paths such as
 * the task token are left out). Redrive and reconcile validate it with the recorder's own parseRecord, so an event
 * the recorder would refuse is kept rather than started again.
 */
export function recorderPayloadOf(type: WorkflowType, event: unknown): unknown {
  return resolvePaths(recorderPayloadTemplate(type), event);
}

/** The Record Message task's Parameters.Payload of each type, found once: redrive and reconcile read it per event. */
const payloadTemplates = new Map<WorkflowType, unknown>();

function recorderPayloadTemplate(type: WorkflowType): unknown {
  if (!payloadTemplates.has(type)) {
    const template = type === "STANDARD" ? recordMessageTemplate : recordMessageExpressTemplate;
    const task = WorkflowModel.of(template).tasks.find((t) => t.functionName === "${RecorderFunctionArn}");
    if (!task) throw new AslRenderError(`the ${type} definition has no task that invokes \${RecorderFunctionArn}`);
    payloadTemplates.set(type, task.parameters.Payload);
  }
  return payloadTemplates.get(type);
}

function resolvePaths(template: unknown, input: unknown): unknown {
  if (Array.isArray(template)) return template.map((item) => resolvePaths(item, input));
  if (template === null || typeof template !== "object") return template;
  const resolved: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(template)) {
    if (!key.endsWith(".$")) resolved[key] = resolvePaths(value, input);
    else if (typeof value === "string" && (value === "$" || value.startsWith("$."))) resolved[key.slice(0, -2)] = readPath(input, value);
  }
  return resolved;
}

/** A plain reference path (`$.detail.message`); nothing else appears in the recorder's payload. */
function readPath(input: unknown, path: string): unknown {
  return path
    .split(".")
    .slice(1)
    .reduce<unknown>(
      (value, field) => (value !== null && typeof value === "object" ? (value as Record<string, unknown>)[field] : undefined),
      input,
    );
}

/** Callback tasks, at any depth, that do not pass the token (see WorkflowModel.callbackTaskProblems). */
export function callbackTaskProblems(definition: string): string[] {
  return WorkflowModel.of(definition).callbackTaskProblems;
}
