import { ConfigError, loadConfig } from "../stacks/config";
import { resourcesOf, synthPipeline, TerraformJson } from "./support/synth";

const context = {
  defaults: { region: "eu-west-1" },
  environments: { dev: {}, prod: { logRetentionInDays: 30, retryAttempts: 10 } },
};

/** Names scoped inside another resource (a stage of its API), not unique per account. */
const SCOPED_NAMES = ["aws_api_gateway_model", "aws_api_gateway_request_validator"];

/** Every `name`/`function_name` a resource is given, which AWS requires unique per account and region. */
function physicalNames(tf: TerraformJson): string[] {
  return Object.entries(tf.resource)
    .filter(([type]) => !SCOPED_NAMES.includes(type))
    .flatMap(([, byName]) => Object.values(byName))
    .flatMap((r) => [r.name, r.function_name].filter((v): v is string => typeof v === "string"));
}

describe("several environments", () => {
  const dev = synthPipeline({ context }, "dev");
  const prod = synthPipeline({ context }, "prod");

  test("every configured environment gets a pipeline stack", () => {
    expect(loadConfig({ context }).environments.map((e) => e.environment)).toEqual(["dev", "prod"]);
  });

  test("two environments share no resource name, IAM role names included", () => {
    const devNames = physicalNames(dev);
    const prodNames = physicalNames(prod);
    expect(devNames.length).toBeGreaterThanOrEqual(10);
    expect(devNames.filter((n) => prodNames.includes(n))).toEqual([]);
    const roleNames = (tf: TerraformJson) => Object.values(resourcesOf(tf, "aws_iam_role")).map((r) => r.name);
    expect(roleNames(prod).sort()).toEqual([
      "MessageRecorder-prod-role",
      "message-recorder-prod-messages-apigw-logs",
      "message-recorder-prod-messages-role",
      "recorder-prod-role",
      "sfnCommonEventProcessorRule-prod-target-role",
    ]);
  });

  test("each environment keeps its state under its own key", () => {
    expect(dev.terraform.backend!.s3.key).toBe("message-recorder/dev/terraform.tfstate");
    expect(prod.terraform.backend!.s3.key).toBe("message-recorder/prod/terraform.tfstate");
  });

  test("each environment has its own settings", () => {
    const retention = (tf: TerraformJson) => Object.values(resourcesOf(tf, "aws_cloudwatch_log_group")).map((g) => g.retention_in_days);
    expect(retention(dev)).toEqual([7, 7, 7]);
    expect(retention(prod)).toEqual([30, 30, 30]);
    const target = (tf: TerraformJson) =>
      Object.entries(resourcesOf(tf, "aws_cloudwatch_event_target")).find(([name]) =>
        name.startsWith("ingress_rule_message-recorder-workflow_"),
      )![1].retry_policy;
    expect(target(prod)).toEqual({ maximum_retry_attempts: 10, maximum_event_age_in_seconds: 3600 });
  });

  test("RECORDER_ENVIRONMENTS selects which environments to synthesize", () => {
    expect(loadConfig({ context, env: { RECORDER_ENVIRONMENTS: "prod" } }).environments.map((e) => e.environment)).toEqual(["prod"]);
  });

  test("rejects selecting an environment cdktf.json does not declare", () => {
    expect(() => loadConfig({ context, env: { RECORDER_ENVIRONMENTS: "prdo" } })).toThrow(
      /^RECORDER_ENVIRONMENTS: "prdo" is not allowed; expected one of the environments in cdktf.json: dev, prod$/,
    );
  });

  test("a misconfigured environment fails with one line naming it", () => {
    const bad = { environments: { dev: {}, prod: { logRetentionInDays: 8 } } };
    expect(() => loadConfig({ context: bad })).toThrow(ConfigError);
    expect(() => loadConfig({ context: bad })).toThrow(
      /^context\.recorder\.environments\.prod\.logRetentionInDays: 8 is not allowed; expected one of 0, 1, 3/,
    );
  });
});

describe("Terraform Cloud switch", () => {
  test("backend cloud writes a cloud block with the organization and a workspace per environment", () => {
    const tf = synthPipeline(
      { context, env: { RECORDER_BACKEND: "cloud", RECORDER_TFC_ORGANIZATION: "acme", RECORDER_TFC_WORKSPACE: "message-recorder" } },
      "prod",
    );
    expect(tf.terraform.cloud).toEqual({ organization: "acme", workspaces: { name: "message-recorder-prod" } });
    expect(tf.terraform.backend).toBeUndefined();
  });

  test("workspace tags select workspaces by tag, with the environment's tag added", () => {
    const tf = synthPipeline({
      env: { RECORDER_BACKEND: "cloud", RECORDER_TFC_ORGANIZATION: "acme", RECORDER_TFC_WORKSPACE_TAGS: "message-recorder" },
    });
    expect(tf.terraform.cloud).toEqual({ organization: "acme", workspaces: { tags: ["message-recorder", "environment:dev"] } });
  });

  test("rejects cloud without an organization, or with both a workspace name and tags", () => {
    expect(() => loadConfig({ env: { RECORDER_BACKEND: "cloud" } })).toThrow(/^tfcOrganization \(dev\): required when backend is "cloud"/);
    expect(() =>
      loadConfig({
        env: {
          RECORDER_BACKEND: "cloud",
          RECORDER_TFC_ORGANIZATION: "acme",
          RECORDER_TFC_WORKSPACE: "w",
          RECORDER_TFC_WORKSPACE_TAGS: "t",
        },
      }),
    ).toThrow(/^tfcWorkspace \/ tfcWorkspaceTags \(dev\): set exactly one of them/);
  });
});
