// The seed's design on AWS CDK, for npm run bench:synth only: the bus, rule, DLQ, STANDARD state machine with the
// callback task, recorder Lambda (this project's built archive, RECORDER_ZIP) and table, written the way the AWS
// CDK tutorial this project ports writes them. Installed and run in .bench/aws-cdk-seed, never deployed.
const path = require("node:path");
const cdk = require("aws-cdk-lib");
const events = require("aws-cdk-lib/aws-events");
const targets = require("aws-cdk-lib/aws-events-targets");
const sqs = require("aws-cdk-lib/aws-sqs");
const sfn = require("aws-cdk-lib/aws-stepfunctions");
const tasks = require("aws-cdk-lib/aws-stepfunctions-tasks");
const lambda = require("aws-cdk-lib/aws-lambda");
const dynamodb = require("aws-cdk-lib/aws-dynamodb");
const logs = require("aws-cdk-lib/aws-logs");
const iam = require("aws-cdk-lib/aws-iam");

const app = new cdk.App();
const stack = new cdk.Stack(app, "message-recorder-seed", { env: { region: "us-east-1" } });

const table = new dynamodb.Table(stack, "MessagesTable", {
  tableName: "MessagesTable",
  partitionKey: { name: "messageId", type: dynamodb.AttributeType.STRING },
  billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
});
const recorder = new lambda.Function(stack, "recorder", {
  functionName: "recorder",
  runtime: lambda.Runtime.NODEJS_22_X,
  architecture: lambda.Architecture.ARM_64,
  handler: "index.handler",
  code: lambda.Code.fromAsset(path.resolve(process.env.RECORDER_ZIP)),
  environment: { MESSAGES_TABLE_NAME: table.tableName },
  timeout: cdk.Duration.seconds(5),
});
table.grantWriteData(recorder);

const recordMessage = new tasks.LambdaInvoke(stack, "Record Message", {
  lambdaFunction: recorder,
  integrationPattern: sfn.IntegrationPattern.WAIT_FOR_TASK_TOKEN,
  payload: sfn.TaskInput.fromObject({
    MyTaskToken: sfn.JsonPath.taskToken,
    Record: {
      messageId: sfn.JsonPath.stringAt("$.id"),
      createdAt: sfn.JsonPath.stringAt("$.time"),
      event: sfn.JsonPath.stringToJson(sfn.JsonPath.stringAt("$.detail.message")),
    },
  }),
  resultSelector: { "statusCode.$": "$.statusCode" },
  taskTimeout: sfn.Timeout.duration(cdk.Duration.seconds(7)),
});
const succeed = new sfn.Succeed(stack, "Job Succeed");
const fail = new sfn.Fail(stack, "Job Failed", { error: "RecordMessageFailed" });
recordMessage.addCatch(fail, { resultPath: "$.error" });
const definition = recordMessage.next(
  new sfn.Choice(stack, "Check Status?").when(sfn.Condition.numberEquals("$.statusCode", 200), succeed).otherwise(fail),
);
const machine = new sfn.StateMachine(stack, "MessageRecorder", {
  stateMachineName: "MessageRecorder",
  stateMachineType: sfn.StateMachineType.STANDARD,
  definitionBody: sfn.DefinitionBody.fromChainable(definition),
  timeout: cdk.Duration.seconds(30),
  tracingEnabled: true,
  logs: {
    destination: new logs.LogGroup(stack, "MessageRecorderLogs", { retention: logs.RetentionDays.ONE_WEEK }),
    level: sfn.LogLevel.ALL,
    includeExecutionData: true,
  },
});
// machine.grantTaskResponse(recorder) would put the statement in the role's default policy, which the function
// depends on, and the state machine depends on the function: a cycle AWS CDK itself reports. A policy of its own
// breaks it, as the port does.
new iam.Policy(stack, "AnswerTaskTokens", {
  roles: [recorder.role],
  statements: [
    new iam.PolicyStatement({
      actions: ["states:SendTaskSuccess", "states:SendTaskFailure", "states:SendTaskHeartbeat"],
      resources: [machine.stateMachineArn],
    }),
  ],
});

const bus = new events.EventBus(stack, "commonbus", { eventBusName: "commonbus" });
const deadLetterQueue = new sqs.Queue(stack, "sfnCommonEventProcessorDLQ", { queueName: "sfnCommonEventProcessorDLQ" });
new events.Rule(stack, "sfnCommonEventProcessorRule", {
  ruleName: "sfnCommonEventProcessorRule",
  eventBus: bus,
  eventPattern: { source: ["com.devpost.commonevent"] },
  targets: [new targets.SfnStateMachine(machine, { deadLetterQueue, retryAttempts: 3, maxEventAge: cdk.Duration.hours(1) })],
});

app.synth();
