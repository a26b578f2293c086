import * as path from "node:path";
import { synthAppToDisk } from "./support/synth";
import { initValidatePlan, PlanResult, prepareOfflineCopy, terraformTierEnabled } from "./support/terraform";

const enabled = terraformTierEnabled();
const describeTerraform = enabled ? describe : describe.skip;

describeTerraform("Terraform tier: a second environment, with AWS-managed encryption and an EXPRESS workflow", () => {
  // One plan proves both: a second environment's own names, and the `aws-managed` encryption setting.
  let plan: PlanResult;
  beforeAll(() => {
    const prodOut = synthAppToDisk({
      context: { environments: { dev: {}, prod: { logRetentionInDays: 30, encryption: "aws-managed", workflowType: "express" } } },
    });
    plan = initValidatePlan(prepareOfflineCopy(path.join(prodOut, "stacks", "message-recorder-prod")));
  });

  test("a second environment's stack folder, moved elsewhere, validates and plans with its own names", () => {
    expect(plan.outputs.messages_table_name.value).toBe("MessagesTable-prod");
    expect(plan.resources.filter((r) => r.type === "aws_cloudwatch_log_group").map((r) => r.values.retention_in_days)).toEqual([
      30, 30, 30,
    ]);
  });

  test("an EXPRESS environment plans: an EXPRESS state machine logging ERROR, and no status-change rule (the rule and the reconciliation rule only)", () => {
    const machine = plan.resources.find((r) => r.type === "aws_sfn_state_machine")!.values;
    expect(machine).toMatchObject({
      type: "EXPRESS",
      logging_configuration: [expect.objectContaining({ level: "ERROR", include_execution_data: true })],
    });
    expect(
      plan.resources
        .filter((r) => r.type === "aws_cloudwatch_event_rule")
        .map((r) => r.values.name)
        .sort(),
    ).toEqual(["sfnCommonEventProcessorRule-prod", "sfnCommonEventProcessorRule-prod-reconcile"]);
    expect(plan.outputs.workflow_type.value).toBe("EXPRESS");
  });

  test("with aws-managed encryption the plan has no key and keeps SQS-managed encryption of the queue", () => {
    expect(plan.resources.filter((r) => r.type.startsWith("aws_kms_"))).toEqual([]);
    expect(plan.resources.find((r) => r.type === "aws_sqs_queue")!.values).toMatchObject({
      sqs_managed_sse_enabled: true,
      kms_master_key_id: null,
    });
  });
});
