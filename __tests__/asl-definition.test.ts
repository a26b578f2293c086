import { getLanguageService, TextDocument } from "amazon-states-language-service";
import { TRANSIENT_ERROR_NAME } from "../lambdas/recorder/faults";
import {
  AslRenderError,
  callbackTaskProblems,
  invokedFunctions,
  placeholdersOf,
  recordMessageTemplate,
  renderDefinition,
  renderRecordMessageDefinition,
  retryBudget,
} from "../stacks/asl";
import { onlyResource, synthPipeline } from "./support/synth";
// asl-validator ships no type declarations.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const aslValidator = require("asl-validator") as (
  definition: unknown,
  options?: { checkArn?: boolean; checkPaths?: boolean },
) => { isValid: boolean; errors: unknown[] };

const FUNCTION_ARN = "arn:aws:lambda:us-east-1:123456789012:function:recorder-dev";

/** The definition as the stack ships it, with the Terraform reference replaced by a concrete ARN. */
function synthesizedDefinition(): string {
  const machine = onlyResource(synthPipeline(), "aws_sfn_state_machine");
  return String(machine.body.definition).replace(/\$\{aws_lambda_function\.[^}]+\.arn\}/g, FUNCTION_ARN);
}

async function languageServiceDiagnostics(text: string) {
  const service = getLanguageService({});
  const document = TextDocument.create("file:///record-message.asl.json", "json", 1, text);
  return service.doValidation(document, service.parseJSONDocument(document));
}

describe("the workflow definition", () => {
  const definition = synthesizedDefinition();
  const parsed = JSON.parse(definition);
  const task = parsed.States["Record Message"];

  test("passes asl-validator with ARN and path checks", () => {
    expect(aslValidator(parsed, { checkArn: true, checkPaths: true })).toMatchObject({ isValid: true, errors: [] });
  });

  test("has zero diagnostics from amazon-states-language-service", async () => {
    expect(await languageServiceDiagnostics(definition)).toEqual([]);
  });

  test("the language service does report a broken definition (the check can fail)", async () => {
    const broken = { ...parsed, StartAt: "Nowhere" };
    expect((await languageServiceDiagnostics(JSON.stringify(broken))).length).toBeGreaterThan(0);
  });

  test("the task waits for the token and passes it with the record built from the event: its detail (the raw message once, and an idempotency key), parsed by the recorder", () => {
    expect(task.Resource).toBe("arn:aws:states:::lambda:invoke.waitForTaskToken");
    expect(task.Parameters).toEqual({
      FunctionName: FUNCTION_ARN,
      Payload: {
        "MyTaskToken.$": "$$.Task.Token",
        Record: { "messageId.$": "$.id", "createdAt.$": "$.time", "detail.$": "$.detail" },
      },
    });
    expect(task.ResultSelector).toEqual({ "Payload.$": "$", "StatusCode.$": "$.statusCode" });
    expect(task.ResultPath).toBe("$.recordResult");
  });

  test("one retrier covers the recorder's transient error, crashes and the Lambda service errors, with jittered capped backoff", () => {
    expect(task.Retry).toEqual([
      {
        ErrorEquals: [
          TRANSIENT_ERROR_NAME,
          "Lambda.Unknown",
          "Sandbox.Timedout",
          "Runtime.ExitError",
          "Runtime.OutOfMemory",
          "Lambda.ServiceException",
          "Lambda.AWSLambdaException",
          "Lambda.SdkClientException",
          "Lambda.ClientExecutionTimeoutException",
          "Lambda.TooManyRequestsException",
        ],
        IntervalSeconds: 1,
        MaxAttempts: 3,
        BackoffRate: 2,
        MaxDelaySeconds: 4,
        JitterStrategy: "FULL",
      },
    ]);
  });

  test("permanent failures (InvalidRecord, DynamoDBError) and timeouts are not retried", () => {
    const retried = task.Retry.flatMap((r: { ErrorEquals: string[] }) => r.ErrorEquals);
    for (const permanent of ["InvalidRecord", "DynamoDBError", "States.Timeout", "States.ALL", "States.TaskFailed"]) {
      expect(retried).not.toContain(permanent);
    }
  });

  test("every task error is caught into Job Failed with the error kept in the output", () => {
    expect(task.Catch).toEqual([{ ErrorEquals: ["States.ALL"], ResultPath: "$.error", Next: "Job Failed" }]);
  });

  test("Job Failed ends the execution with the real error and cause", () => {
    expect(parsed.States["Job Failed"]).toMatchObject({ Type: "Fail", ErrorPath: "$.error.Error", CausePath: "$.error.Cause" });
  });

  test("the Choice sends 200 to Job Succeed and 500 or anything else, kept as the error, to Job Failed", () => {
    const choice = parsed.States["Check Status?"];
    expect(choice.Choices).toEqual([
      { Variable: "$.recordResult.StatusCode", NumericEquals: 200, Next: "Job Succeed" },
      { Variable: "$.recordResult.StatusCode", NumericEquals: 500, Next: "Keep Answer As Error" },
    ]);
    expect(choice.Default).toBe("Keep Answer As Error");
    expect(parsed.States["Keep Answer As Error"]).toEqual(
      expect.objectContaining({
        Type: "Pass",
        Parameters: { Error: "RecordMessageFailed", "Cause.$": "States.JsonToString($.recordResult)" },
        ResultPath: "$.error",
        Next: "Job Failed",
      }),
    );
    expect(parsed.States["Job Succeed"].Type).toBe("Succeed");
  });

  test("the worst case of every retry fits inside the execution timeout", () => {
    expect(retryBudget(definition, { lambdaTimeoutSeconds: 5 })).toEqual({
      retriedAttemptsSeconds: 15,
      backoffSeconds: 7,
      finalAttemptsSeconds: 7,
      totalSeconds: 29,
    });
    expect(retryBudget(definition, { lambdaTimeoutSeconds: 5 }).totalSeconds).toBeLessThan(parsed.TimeoutSeconds);
  });

  test("the task timeout is below the machine timeout", () => {
    expect(task.TimeoutSeconds).toBeLessThan(parsed.TimeoutSeconds);
  });
});

describe("the retry budget", () => {
  const machine = (retry: unknown[], timeout = 10) =>
    JSON.stringify({ States: { T: { Type: "Task", TimeoutSeconds: timeout, Retry: retry }, E: { Type: "Succeed" } } });

  test("uses the States Language defaults: 3 attempts, 1 s interval, rate 2", () => {
    // 3 attempts x 4 s + (1 + 2 + 4) s of waits + 10 s for the last attempt
    expect(retryBudget(machine([{ ErrorEquals: ["X"] }]), { lambdaTimeoutSeconds: 4 }).totalSeconds).toBe(12 + 7 + 10);
  });

  test("caps each wait at MaxDelaySeconds", () => {
    // waits 3, 6 -> 5, 12 -> 5, 24 -> 5
    expect(
      retryBudget(machine([{ ErrorEquals: ["X"], IntervalSeconds: 3, MaxAttempts: 4, MaxDelaySeconds: 5 }]), { lambdaTimeoutSeconds: 1 })
        .backoffSeconds,
    ).toBe(18);
  });

  test("counts a retried timeout as a whole task timeout, and adds up separate retriers", () => {
    const budget = retryBudget(
      machine([
        { ErrorEquals: ["States.Timeout"], MaxAttempts: 1 },
        { ErrorEquals: ["Y"], MaxAttempts: 2, IntervalSeconds: 2, BackoffRate: 1 },
      ]),
      { lambdaTimeoutSeconds: 3 },
    );
    expect(budget).toEqual({ retriedAttemptsSeconds: 10 + 6, backoffSeconds: 1 + 4, finalAttemptsSeconds: 10, totalSeconds: 31 });
  });
});

describe("rendering asl/ templates", () => {
  test("the record-message template has exactly the placeholders its typed substitutions provide", () => {
    expect(placeholdersOf(recordMessageTemplate)).toEqual(["RecorderFunctionArn", "StateMachineTimeoutSeconds", "TaskTimeoutSeconds"]);
  });

  test("a whole-string placeholder takes the value with its type; an embedded one is interpolated", () => {
    const rendered = JSON.parse(renderDefinition({ a: "${N}", b: "x-${S}-y" }, { N: 5, S: "s" }));
    expect(rendered).toEqual({ a: 5, b: "x-s-y" });
  });

  test("throws when a placeholder has no value", () => {
    expect(() => renderDefinition({ a: "${Missing}" }, {}, "t.json")).toThrow(
      new AslRenderError("t.json: no value for placeholder(s) ${Missing}"),
    );
  });

  test("throws when a substitution matches no placeholder", () => {
    expect(() => renderDefinition({ a: "${A}" }, { A: 1, Extra: 2 }, "t.json")).toThrow(
      new AslRenderError("t.json: substitution(s) Extra match no placeholder"),
    );
  });

  test("the rendered definition keeps no placeholder", () => {
    const rendered = renderRecordMessageDefinition({
      RecorderFunctionArn: FUNCTION_ARN,
      StateMachineTimeoutSeconds: 30,
      TaskTimeoutSeconds: 20,
    });
    expect(rendered).not.toContain("${");
  });
});

describe("what a definition's tasks call", () => {
  const task = (resource: string, parameters: Record<string, unknown>) =>
    JSON.stringify({
      StartAt: "T",
      States: { T: { Type: "Task", Resource: resource, Parameters: parameters, End: true }, U: { Type: "Succeed" } },
    });

  test("the functions invoked are read from the Lambda tasks, so the workflow grants invoke on exactly those", () => {
    expect(invokedFunctions(synthesizedDefinition())).toEqual([FUNCTION_ARN]);
    expect(invokedFunctions(task("arn:aws:states:::lambda:invoke", { FunctionName: "arn:f" }))).toEqual(["arn:f"]);
    expect(invokedFunctions(task("arn:aws:states:::sqs:sendMessage", { QueueUrl: "q" }))).toEqual([]);
  });

  test("rejects a callback task that does not pass the task token", () => {
    expect(
      callbackTaskProblems(
        task("arn:aws:states:::lambda:invoke.waitForTaskToken", { FunctionName: "arn:f", Payload: { "token.$": "$.id" } }),
      ),
    ).toEqual(['Task "T" waits for a task token but its Parameters do not pass "$$.Task.Token": nothing could ever answer it']);
    expect(callbackTaskProblems(synthesizedDefinition())).toEqual([]);
  });
});
