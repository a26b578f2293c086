/**
 * The API Gateway mapping templates (VTL) and request model of `POST /messages`. Kept apart from the construct
 * so the tests render them with velocityjs exactly as they are deployed.
 */

/** The detail-type every message sent through the API carries. */
export const API_DETAIL_TYPE = "message";

/**
 * Longest `message` accepted, in characters. The message travels twice in the task payload (parsed and raw) and
 * once in the execution input, all under Step Functions' 256 KiB payload quota; 32,768 characters keep even a
 * message of multi-byte characters well below it. Larger messages get 400 before anything is published.
 */
export const MAX_MESSAGE_CHARACTERS = 32_768;

/** JSON Schema draft 4, the dialect API Gateway models use. */
export const MESSAGE_REQUEST_MODEL = {
  $schema: "http://json-schema.org/draft-04/schema#",
  title: "Message",
  description: "A message to record: a JSON object or array, as a string.",
  type: "object",
  required: ["message"],
  additionalProperties: false,
  properties: {
    message: {
      type: "string",
      minLength: 2,
      maxLength: MAX_MESSAGE_CHARACTERS,
      // A schema cannot parse JSON; this admits a JSON object or array text and refuses plain words. A string
      // that only looks like JSON still starts an execution, which fails and is captured for redrive.
      pattern: "^\\s*[\\[{][\\s\\S]*[\\]}]\\s*$",
    },
  },
} as const;

/**
 * Why a message would be refused by POST /messages' model, or undefined when it is accepted: the same rule for
 * messages published another way (npm run send), so that none reaches the workflow in a shape the API keeps out.
 */
export function messageRefusal(message: string): string | undefined {
  try {
    JSON.parse(message);
  } catch {
    return `must be JSON, got ${JSON.stringify(message.length > 80 ? `${message.slice(0, 80)}...` : message)}`;
  }
  if (!new RegExp(MESSAGE_REQUEST_MODEL.properties.message.pattern).test(message)) return "must be a JSON object or array, as POST /messages accepts";
  if (message.length > MAX_MESSAGE_CHARACTERS) return `must be at most ${MAX_MESSAGE_CHARACTERS} characters, as POST /messages accepts; got ${message.length}`;
  return undefined;
}

export interface PutEventsTarget {
  readonly eventBusName: string;
  readonly source: string;
}

/**
 * The request body, validated by the model, becomes the event's `detail` as it is: escapeJavaScript turns the
 * body into a JSON string value, and the replaceAll undoes its `\'`, which JSON does not allow (the pattern
 * AWS documents for PutEvents integrations).
 */
export function putEventsRequestTemplate(target: PutEventsTarget): string {
  return [
    "{",
    "  \"Entries\": [",
    "    {",
    `      "EventBusName": ${JSON.stringify(target.eventBusName)},`,
    `      "Source": ${JSON.stringify(target.source)},`,
    `      "DetailType": ${JSON.stringify(API_DETAIL_TYPE)},`,
    "      \"Detail\": \"$util.escapeJavaScript($input.json('$')).replaceAll(\"\\\\'\",\"'\")\"",
    "    }",
    "  ]",
    "}",
  ].join("\n");
}

/**
 * PutEvents answers HTTP 200 even when it rejected the entry: the rejection is in FailedEntryCount and the
 * entry's ErrorCode (https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutEvents.html). Such an
 * answer must not reach the caller as 200: retryable codes (ThrottlingException, InternalFailure) become 503,
 * the others 502, with EventBridge's code in the body.
 */
export const PUT_EVENTS_RESPONSE_TEMPLATE = [
  "#set($result = $input.path('$'))",
  "#if($result.FailedEntryCount > 0)",
  "#set($entry = $result.Entries[0])",
  "#if($entry.ErrorCode == \"ThrottlingException\" || $entry.ErrorCode == \"InternalFailure\")",
  "#set($context.responseOverride.status = 503)",
  "#else",
  "#set($context.responseOverride.status = 502)",
  "#end",
  "{\"accepted\": false, \"errorCode\": \"$util.escapeJavaScript($entry.ErrorCode)\", \"errorMessage\": \"$util.escapeJavaScript($entry.ErrorMessage)\"}",
  "#else",
  "{\"accepted\": true, \"eventId\": \"$result.Entries[0].EventId\"}",
  "#end",
].join("\n");

/**
 * PutEvents refused the whole call (HTTP 4xx/5xx). Throttling is retryable (503); anything else means the API
 * cannot publish (its role or the bus), which the caller cannot fix (500). Nothing was published either way.
 */
export const PUT_EVENTS_ERROR_TEMPLATE = [
  // `__type` is not a valid VTL identifier, so it is read with a path.
  "#set($errorType = $input.path('$.__type'))",
  "#if($errorType == \"ThrottlingException\")",
  "#set($context.responseOverride.status = 503)",
  "#end",
  "{\"accepted\": false, \"errorCode\": \"$util.escapeJavaScript($errorType)\", \"errorMessage\": \"$util.escapeJavaScript($input.path('$.message'))\"}",
].join("\n");

/**
 * The body of a 400 from the request validator names what is wrong with the body. Gateway response templates
 * are not VTL, only variable substitution, and `validationErrorString` is substituted as a quoted JSON string,
 * so it stands without quotes here
 * (https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-swagger-extensions-gateway-responses.responseTemplates.html).
 */
export const BAD_REQUEST_BODY_TEMPLATE = "{\"accepted\": false, \"errorCode\": \"BadRequestBody\", \"errorMessage\": $context.error.validationErrorString}";
