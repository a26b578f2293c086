/**
 * The API Gateway mapping templates (VTL) and request model of `POST /messages`. Kept apart from the construct
 * so the tests render them with velocityjs exactly as they are deployed.
 */

/** The detail-type every message sent through the API carries. */
export const API_DETAIL_TYPE = "message";

/**
 * Longest `message` accepted, in characters (code points, as the model's maxLength counts them): at most 131,072
 * UTF-8 bytes, since a character takes at most 4. The message travels once in the task payload and once in the
 * execution input, each under Step Functions' 256 KiB payload quota. Larger messages get 400 before anything is
 * published; a producer that needs more puts its events on the bus directly (docs/architecture.md: the largest message).
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
  if (!new RegExp(MESSAGE_REQUEST_MODEL.properties.message.pattern).test(message))
    return "must be a JSON object or array, as POST /messages accepts";
  // Characters as the model's maxLength counts them (code points), not UTF-16 units: an emoji is one.
  const characters = [...message].length;
  if (characters > MAX_MESSAGE_CHARACTERS)
    return `must be at most ${MAX_MESSAGE_CHARACTERS} characters, as POST /messages accepts; got ${characters}`;
  return undefined;
}

/**
 * A producer's idempotency key (header `Idempotency-Key`, `npm run send --idempotency-key`): 1 to 128 of the
 * characters A-Z a-z 0-9 _ . : -. The recorder stores one item per key, however often it was sent.
 */
export const IDEMPOTENCY_KEY = {
  header: "Idempotency-Key",
  pattern: "^[A-Za-z0-9_.:-]{1,128}$",
  rule: "1 to 128 characters of A-Z a-z 0-9 _ . : -",
} as const;

/** Why a key would be refused, or undefined when it is valid. */
export function idempotencyKeyRefusal(key: string): string | undefined {
  return new RegExp(IDEMPOTENCY_KEY.pattern).test(key)
    ? undefined
    : `must be ${IDEMPOTENCY_KEY.rule}; got ${JSON.stringify(key.length > 40 ? `${key.slice(0, 40)}...` : key)}`;
}

export interface PutEventsTarget {
  readonly eventBusName: string;
  readonly source: string;
}

/**
 * The request body, validated by the model, becomes the event's `detail` as it is: escapeJavaScript turns the
 * body into a JSON string value, and the replaceAll undoes its `\'`, which JSON does not allow (the pattern
 * AWS documents for PutEvents integrations). A valid `Idempotency-Key` header joins the detail as
 * `idempotencyKey` ($input.params reads a method request header). An invalid one sends no entry at all, which
 * PutEvents refuses (HTTP 400): the 4xx response then answers 400 naming the header; nothing is published.
 */
export function putEventsRequestTemplate(target: PutEventsTarget): string {
  return [
    `#set($key = $input.params('${IDEMPOTENCY_KEY.header}'))`,
    "#set($q = '\"')",
    `#if($key != "" && !$key.matches('${IDEMPOTENCY_KEY.pattern}'))`,
    '{"Entries": []}',
    "#else",
    '#if($key == "")',
    "#set($detail = $input.json('$'))",
    "#else",
    // $!{q}, not ${q}: Terraform would read `${` as its own interpolation.
    "#set($detail = \"{$!{q}message$!{q}:$input.json('$.message'),$!{q}idempotencyKey$!{q}:$!{q}$key$!{q}}\")",
    "#end",
    "{",
    '  "Entries": [',
    "    {",
    `      "EventBusName": ${JSON.stringify(target.eventBusName)},`,
    `      "Source": ${JSON.stringify(target.source)},`,
    `      "DetailType": ${JSON.stringify(API_DETAIL_TYPE)},`,
    '      "Detail": "$util.escapeJavaScript($detail).replaceAll("\\\\\'","\'")"',
    "    }",
    "  ]",
    "}",
    "#end",
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
  '#if($entry.ErrorCode == "ThrottlingException" || $entry.ErrorCode == "InternalFailure")',
  "#set($context.responseOverride.status = 503)",
  "#else",
  "#set($context.responseOverride.status = 502)",
  "#end",
  '{"accepted": false, "errorCode": "$util.escapeJavaScript($entry.ErrorCode)", "errorMessage": "$util.escapeJavaScript($entry.ErrorMessage)"}',
  "#else",
  '{"accepted": true, "eventId": "$result.Entries[0].EventId"}',
  "#end",
].join("\n");

/**
 * PutEvents refused the whole call (HTTP 4xx/5xx). Throttling is retryable (503); anything else means the API
 * cannot publish (its role or the bus), which the caller cannot fix (500). Nothing was published either way.
 */
export const PUT_EVENTS_ERROR_TEMPLATE = [
  // An invalid Idempotency-Key made the request template send no entry (see putEventsRequestTemplate).
  `#set($key = $input.params('${IDEMPOTENCY_KEY.header}'))`,
  `#if($key != "" && !$key.matches('${IDEMPOTENCY_KEY.pattern}'))`,
  "#set($context.responseOverride.status = 400)",
  `{"accepted": false, "errorCode": "BadIdempotencyKey", "errorMessage": "${IDEMPOTENCY_KEY.header}: must be ${IDEMPOTENCY_KEY.rule}"}`,
  "#else",
  // `__type` is not a valid VTL identifier, so it is read with a path.
  "#set($errorType = $input.path('$.__type'))",
  '#if($errorType == "ThrottlingException")',
  "#set($context.responseOverride.status = 503)",
  "#end",
  '{"accepted": false, "errorCode": "$util.escapeJavaScript($errorType)", "errorMessage": "$util.escapeJavaScript($input.path(\'$.message\'))"}',
  "#end",
].join("\n");

/**
 * The body of a 400 from the request validator names what is wrong with the body. Gateway response templates
 * are not VTL, only variable substitution, and `validationErrorString` is substituted as a quoted JSON string,
 * so it stands without quotes here
 * (https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-swagger-extensions-gateway-responses.responseTemplates.html).
 */
export const BAD_REQUEST_BODY_TEMPLATE =
  '{"accepted": false, "errorCode": "BadRequestBody", "errorMessage": $context.error.validationErrorString}';
