import { Construct } from "constructs";
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { SfnStateMachine } from "@cdktf/provider-aws/lib/sfn-state-machine";
import { renderRecordMessageDefinition } from "../asl";
import { RecorderFunction } from "./recorder-function";
import { ServiceRole } from "./service-role";

export interface MessageWorkflowProps {
  readonly stateMachineName: string;
  readonly recorder: RecorderFunction;
  readonly logRetentionInDays: number;
  readonly stateMachineTimeoutSeconds: number;
  /** Must stay below the state machine timeout (checked by the configuration). */
  readonly taskTimeoutSeconds: number;
  /** X-Ray tracing of executions. @default false */
  readonly tracing?: boolean;
}

/**
 * The STANDARD state machine rendered from asl/record-message.asl.json, its role and its log group.
 */
export class MessageWorkflow extends Construct {
  public readonly stateMachineArn: string;
  public readonly stateMachineName: string;
  public readonly logGroupName: string;

  constructor(scope: Construct, id: string, props: MessageWorkflowProps) {
    super(scope, id);

    // Under /aws/vendedlogs/ CloudWatch Logs does not add a resource-policy statement per log group, whose
    // 5 KB limit otherwise breaks deployments once an account has a few dozen state machines.
    const logGroup = new CloudwatchLogGroup(this, "log-group", {
      name: `/aws/vendedlogs/states/${props.stateMachineName}`,
      retentionInDays: props.logRetentionInDays,
    });
    this.logGroupName = logGroup.name;

    const role = new ServiceRole(this, "role", {
      roleName: `${props.stateMachineName}-role`,
      assumedBy: "states.amazonaws.com",
      description: "Runs the message recorder workflow",
    });
    props.recorder.grantInvoke(role);
    role.addToPolicy({
      sid: "DeliverExecutionLogs",
      actions: [
        "logs:CreateLogDelivery",
        "logs:DeleteLogDelivery",
        "logs:DescribeLogGroups",
        "logs:DescribeResourcePolicies",
        "logs:GetLogDelivery",
        "logs:ListLogDeliveries",
        "logs:PutResourcePolicy",
        "logs:UpdateLogDelivery",
      ],
      // The log-delivery APIs take no resource ARN: AWS documents "*" as the only accepted resource.
      resources: ["*"],
    });

    if (props.tracing) {
      role.addToPolicy({
        sid: "WriteTraces",
        actions: ["xray:GetSamplingRules", "xray:GetSamplingTargets", "xray:PutTelemetryRecords", "xray:PutTraceSegments"],
        // X-Ray's APIs have no resource-level permissions: "*" is the only accepted resource.
        resources: ["*"],
      });
    }

    const stateMachine = new SfnStateMachine(this, "state-machine", {
      name: props.stateMachineName,
      type: "STANDARD",
      roleArn: role.roleArn,
      definition: renderRecordMessageDefinition({
        RecorderFunctionArn: props.recorder.functionArn,
        StateMachineTimeoutSeconds: props.stateMachineTimeoutSeconds,
        TaskTimeoutSeconds: props.taskTimeoutSeconds,
      }),
      loggingConfiguration: {
        level: "ALL",
        includeExecutionData: true,
        // The log group's arn attribute has the ":*" suffix stripped; the logging API requires it back.
        logDestination: `${logGroup.arn}:*`,
      },
      tracingConfiguration: { enabled: Boolean(props.tracing) },
      // Step Functions checks at create time that the role can invoke the function and deliver logs.
      dependsOn: [role.policy],
    });
    this.stateMachineArn = stateMachine.arn;
    this.stateMachineName = stateMachine.name;
  }

  /** Lets the role start executions of this state machine only. */
  public grantStartExecution(grantee: ServiceRole): void {
    grantee.addToPolicy({ sid: "StartRecorderWorkflow", actions: ["states:StartExecution"], resources: [this.stateMachineArn] });
  }

  /**
   * Lets the role answer this state machine's task tokens. The service authorization reference lists no
   * resource type for these actions, but Step Functions authorizes them against the state machine the token
   * belongs to (its AccessDenied names that ARN), which is also how AWS CDK's grantTaskResponse scopes them.
   */
  public grantTaskResponse(grantee: ServiceRole): void {
    grantee.addToPolicy({
      sid: "AnswerTaskTokens",
      actions: ["states:SendTaskFailure", "states:SendTaskSuccess"],
      resources: [this.stateMachineArn],
    });
  }
}
