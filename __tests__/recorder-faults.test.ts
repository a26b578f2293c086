import {
  ConditionalCheckFailedException,
  InternalServerError,
  ProvisionedThroughputExceededException,
  ResourceNotFoundException,
} from "@aws-sdk/client-dynamodb";
import { TaskTimedOut } from "@aws-sdk/client-sfn";
import { classifyFailure, RecorderTransientError, TRANSIENT_ERROR_NAME } from "../lambdas/recorder/faults";

const serviceError = (name: string, httpStatusCode?: number) =>
  Object.assign(new Error(`injected ${name}`), { name, $metadata: httpStatusCode === undefined ? {} : { httpStatusCode } });

describe("transient or permanent", () => {
  test.each([
    [
      "ProvisionedThroughputExceededException",
      new ProvisionedThroughputExceededException({ message: "slow down", $metadata: { httpStatusCode: 400 } }),
    ],
    ["ThrottlingException", serviceError("ThrottlingException", 400)],
    ["RequestLimitExceeded", serviceError("RequestLimitExceeded", 400)],
    ["InternalServerError", new InternalServerError({ message: "boom", $metadata: { httpStatusCode: 500 } })],
    ["an unnamed 503", serviceError("UnknownError", 503)],
    ["a 429", serviceError("TooMany", 429)],
    ["a socket reset", Object.assign(new Error("socket hang up"), { code: "ECONNRESET" })],
    ["a request timeout", serviceError("TimeoutError")],
    ["an SDK error with no HTTP answer", serviceError("SomethingNetworky")],
  ])("%s is transient", (_name, error) => {
    expect(classifyFailure(error)).toBe("transient");
  });

  test.each([
    ["ResourceNotFoundException", new ResourceNotFoundException({ message: "no table", $metadata: { httpStatusCode: 400 } })],
    ["ValidationException (item too large)", serviceError("ValidationException", 400)],
    ["AccessDeniedException", serviceError("AccessDeniedException", 400)],
    ["ConditionalCheckFailedException", new ConditionalCheckFailedException({ message: "exists", $metadata: { httpStatusCode: 400 } })],
    ["TaskTimedOut", new TaskTimedOut({ message: "Task Timed Out", $metadata: { httpStatusCode: 400 } })],
    ["a bug in our own code", new TypeError("cannot read properties of undefined")],
    ["a thrown string", "oops"],
  ])("%s is permanent", (_name, error) => {
    expect(classifyFailure(error)).toBe("permanent");
  });

  test("the transient error carries the name the state machine retries and says what failed", () => {
    const error = new RecorderTransientError("PutItem", "ThrottlingException: slow down");
    expect(error.name).toBe(TRANSIENT_ERROR_NAME);
    expect(error.message).toBe("PutItem failed transiently: ThrottlingException: slow down");
  });
});
