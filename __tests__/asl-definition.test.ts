import { getLanguageService, TextDocument } from "amazon-states-language-service";
import { AslRenderError, placeholdersOf, recordMessageTemplate, renderDefinition, renderRecordMessageDefinition } from "../stacks/asl";
import { onlyResource, synthPipeline } from "./support/synth";
// asl-validator ships no type declarations.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const aslValidator = require("asl-validator") as (definition: unknown, options?: { checkArn?: boolean; checkPaths?: boolean }) => { isValid: boolean; errors: unknown[] };

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

  test("the task waits for the token and passes it with the record built from the event", () => {
    expect(task.Resource).toBe("arn:aws:states:::lambda:invoke.waitForTaskToken");
    expect(task.Parameters).toEqual({
      FunctionName: FUNCTION_ARN,
      Payload: {
        "MyTaskToken.$": "$$.Task.Token",
        Record: { "messageId.$": "$.id", "createdAt.$": "$.time", "event.$": "States.StringToJson($.detail.message)" },
      },
    });
    expect(task.ResultSelector).toEqual({ "Payload.$": "$", "StatusCode.$": "$.statusCode" });
    expect(task.ResultPath).toBe("$.recordResult");
  });

  test("the task retries transient Lambda service errors with backoff", () => {
    expect(task.Retry).toEqual([expect.objectContaining({
      ErrorEquals: ["Lambda.ServiceException", "Lambda.AWSLambdaException", "Lambda.SdkClientException", "Lambda.TooManyRequestsException"],
      BackoffRate: 2,
    })]);
  });

  test("every task error is caught into Job Failed with the error kept in the output", () => {
    expect(task.Catch).toEqual([{ ErrorEquals: ["States.ALL"], ResultPath: "$.error", Next: "Job Failed" }]);
    expect(parsed.States["Job Failed"].Type).toBe("Fail");
  });

  test("the Choice sends 200 to Job Succeed and 500 or anything else to Job Failed", () => {
    const choice = parsed.States["Check Status?"];
    expect(choice.Choices).toEqual([
      { Variable: "$.recordResult.StatusCode", NumericEquals: 200, Next: "Job Succeed" },
      { Variable: "$.recordResult.StatusCode", NumericEquals: 500, Next: "Job Failed" },
    ]);
    expect(choice.Default).toBe("Job Failed");
    expect(parsed.States["Job Succeed"].Type).toBe("Succeed");
  });

  test("the task timeout is below the machine timeout", () => {
    expect(task.TimeoutSeconds).toBeLessThan(parsed.TimeoutSeconds);
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
    expect(() => renderDefinition({ a: "${Missing}" }, {}, "t.json")).toThrow(new AslRenderError("t.json: no value for placeholder(s) ${Missing}"));
  });

  test("throws when a substitution matches no placeholder", () => {
    expect(() => renderDefinition({ a: "${A}" }, { A: 1, Extra: 2 }, "t.json")).toThrow(new AslRenderError("t.json: substitution(s) Extra match no placeholder"));
  });

  test("the rendered definition keeps no placeholder", () => {
    const rendered = renderRecordMessageDefinition({ RecorderFunctionArn: FUNCTION_ARN, StateMachineTimeoutSeconds: 30, TaskTimeoutSeconds: 20 });
    expect(rendered).not.toContain("${");
  });
});
