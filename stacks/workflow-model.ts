/**
 * One typed model of a Step Functions definition, read by everything that needs to know its tasks: the grants
 * (which functions it invokes), the synth-time validation (callback tasks without the token, the retry budget),
 * and the offline state machine. It walks every state once, those inside Parallel branches and Map iterators
 * included, as AWS CDK's StateGraph does: a task nested in a branch gets its invoke permission and counts in the
 * budget like a top-level one.
 */

/** The two workflow types; STANDARD is the callback design, EXPRESS the synchronous one. */
export type WorkflowType = "STANDARD" | "EXPRESS";
/** Execution logging levels of a state machine. */
export type ExecutionLogLevel = "ALL" | "ERROR" | "FATAL" | "OFF";
/** Application log levels of the recorder. */
export type RecorderLogLevel = "DEBUG" | "INFO" | "WARN" | "ERROR";

export interface Retrier {
  readonly ErrorEquals: readonly string[];
  readonly IntervalSeconds?: number;
  readonly MaxAttempts?: number;
  readonly BackoffRate?: number;
  readonly MaxDelaySeconds?: number;
}

/** A Task state, wherever it sits in the definition. */
export interface TaskModel {
  readonly name: string;
  /** The states that hold it, outermost first (`["Fan Out", "branch 1"]`); empty at the top level. */
  readonly within: readonly string[];
  readonly resource: string;
  readonly parameters: Readonly<Record<string, unknown>>;
  /** Parameters.FunctionName of a Lambda task. */
  readonly functionName?: string;
  /** The task's TimeoutSeconds (States Language default 60). */
  readonly timeoutSeconds: number;
  readonly retry: readonly Retrier[];
}

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

const LAMBDA_INVOKE = "arn:aws:states:::lambda:invoke";
/** Errors that only end an attempt after the task timeout, so a retry of them costs a whole task timeout. */
const TIMEOUT_ERRORS = ["States.ALL", "States.Timeout", "States.HeartbeatTimeout"];

interface StateJson {
  readonly Type: string;
  readonly Resource?: string;
  readonly Parameters?: Record<string, unknown>;
  readonly TimeoutSeconds?: number;
  readonly Retry?: Retrier[];
  readonly Branches?: ReadonlyArray<{ readonly States: Record<string, StateJson> }>;
  readonly Iterator?: { readonly States: Record<string, StateJson> };
  readonly ItemProcessor?: { readonly States: Record<string, StateJson> };
}

export class WorkflowModel {
  /** Every Task state, in document order, nested ones after the state that holds them. */
  readonly tasks: readonly TaskModel[];
  /** The execution's TimeoutSeconds, if the definition sets one. */
  readonly timeoutSeconds?: number;

  private constructor(definition: { readonly States: Record<string, StateJson>; readonly TimeoutSeconds?: number }) {
    this.tasks = collectTasks(definition.States, []);
    if (typeof definition.TimeoutSeconds === "number") this.timeoutSeconds = definition.TimeoutSeconds;
  }

  /** The model of a rendered definition (JSON text or parsed). */
  static of(definition: string | object): WorkflowModel {
    return new WorkflowModel(
      (typeof definition === "string" ? JSON.parse(definition) : definition) as { States: Record<string, StateJson> },
    );
  }

  /** The functions the Lambda tasks invoke (Parameters.FunctionName), each once. */
  get invokedFunctions(): string[] {
    return [
      ...new Set(
        this.tasks.filter((t) => t.resource.startsWith(LAMBDA_INVOKE) && t.functionName !== undefined).map((t) => t.functionName!),
      ),
    ];
  }

  /**
   * A callback task (`.waitForTaskToken`) whose parameters do not pass `$$.Task.Token` can never be answered: its
   * execution would wait until the task timeout. As the AWS CDK does for `LambdaInvoke`, refuse it at synth.
   */
  get callbackTaskProblems(): string[] {
    return this.tasks
      .filter((t) => t.resource.endsWith(".waitForTaskToken") && !JSON.stringify(t.parameters).includes('"$$.Task.Token"'))
      .map((t) => `Task "${label(t)}" waits for a task token but its Parameters do not pass "$$.Task.Token": nothing could ever answer it`);
  }

  /** Lambda tasks that would time out before the function that answers them. */
  taskTimeoutProblems(lambdaTimeoutSeconds: number): string[] {
    return this.tasks
      .filter((t) => t.resource.startsWith(LAMBDA_INVOKE) && t.timeoutSeconds <= lambdaTimeoutSeconds)
      .map(
        (t) =>
          `Task "${label(t)}" times out after ${t.timeoutSeconds} s, not after the function's ${lambdaTimeoutSeconds} s: a slow answer would be cut off`,
      );
  }

  /**
   * The longest an execution can run when every task exhausts its retries: each retried attempt lasts at most
   * the function timeout (a function error, a crash or a Lambda service error ends it), or the task timeout if
   * the retrier matches a timeout; each wait is the retrier's interval grown by its backoff rate and capped by
   * MaxDelaySeconds (defaults from the States Language: 1 s, 3 attempts, rate 2.0); the last attempt may run to
   * the task timeout. Tasks are summed as if they ran one after another: for Parallel branches, which run at
   * once, this is an upper bound; a Map iterator counts once (one item's worth).
   */
  retryBudget(lambdaTimeoutSeconds: number): RetryBudget {
    let retriedAttemptsSeconds = 0;
    let backoffSeconds = 0;
    let finalAttemptsSeconds = 0;
    for (const task of this.tasks) {
      finalAttemptsSeconds += task.timeoutSeconds;
      for (const retrier of task.retry) {
        const attempts = retrier.MaxAttempts ?? 3;
        const attemptSeconds = retrier.ErrorEquals.some((e) => TIMEOUT_ERRORS.includes(e)) ? task.timeoutSeconds : lambdaTimeoutSeconds;
        retriedAttemptsSeconds += attempts * attemptSeconds;
        for (let retry = 0; retry < attempts; retry++) {
          const wait = (retrier.IntervalSeconds ?? 1) * (retrier.BackoffRate ?? 2) ** retry;
          backoffSeconds += Math.min(wait, retrier.MaxDelaySeconds ?? Number.POSITIVE_INFINITY);
        }
      }
    }
    return {
      retriedAttemptsSeconds,
      backoffSeconds,
      finalAttemptsSeconds,
      totalSeconds: retriedAttemptsSeconds + backoffSeconds + finalAttemptsSeconds,
    };
  }

  /** The budget against the execution timeout: a problem when the worst case does not fit. */
  retryBudgetProblems(lambdaTimeoutSeconds: number): string[] {
    const budget = this.retryBudget(lambdaTimeoutSeconds);
    if (this.timeoutSeconds === undefined || budget.totalSeconds < this.timeoutSeconds) return [];
    return [`the worst case of the retries, ${budget.totalSeconds} s, does not fit the execution timeout of ${this.timeoutSeconds} s`];
  }
}

function collectTasks(states: Record<string, StateJson>, within: readonly string[]): TaskModel[] {
  return Object.entries(states).flatMap(([name, state]) => {
    const own: TaskModel[] =
      state.Type === "Task"
        ? [
            {
              name,
              within,
              resource: String(state.Resource ?? ""),
              parameters: state.Parameters ?? {},
              ...(typeof state.Parameters?.FunctionName === "string" ? { functionName: state.Parameters.FunctionName } : {}),
              timeoutSeconds: state.TimeoutSeconds ?? 60,
              retry: state.Retry ?? [],
            },
          ]
        : [];
    const branches = (state.Branches ?? []).flatMap((branch, i) => collectTasks(branch.States, [...within, name, `branch ${i + 1}`]));
    const iterator = state.ItemProcessor ?? state.Iterator;
    const items = iterator ? collectTasks(iterator.States, [...within, name, "iterator"]) : [];
    return [...own, ...branches, ...items];
  });
}

function label(task: TaskModel): string {
  return [...task.within, task.name].join(" / ");
}
