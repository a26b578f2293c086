import * as path from "node:path";
import { synthAppToDisk } from "./support/synth";
import { initValidatePlan, prepareOfflineCopy, terraformTierEnabled } from "./support/terraform";

const enabled = terraformTierEnabled();
const describeTerraform = enabled ? describe : describe.skip;

describeTerraform("Terraform tier: a second environment", () => {
  test("a second environment's stack folder, moved elsewhere, validates and plans with its own names", () => {
    const prodOut = synthAppToDisk({ context: { environments: { dev: {}, prod: { logRetentionInDays: 30 } } } });
    const plan = initValidatePlan(prepareOfflineCopy(path.join(prodOut, "stacks", "message-recorder-prod")));
    expect(plan.outputs.messages_table_name.value).toBe("MessagesTable-prod");
    expect(plan.resources.filter((r) => r.type === "aws_cloudwatch_log_group").map((r) => r.values.retention_in_days)).toEqual([30, 30, 30]);
  });
});
