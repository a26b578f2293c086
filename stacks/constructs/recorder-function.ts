import { Construct } from "constructs";
import { AssetType, TerraformAsset } from "cdktf";
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { LambdaFunction } from "@cdktf/provider-aws/lib/lambda-function";
import { accountContext } from "./account";
import { EncryptionKey } from "./encryption-key";
import { MessagesTable } from "./messages-table";
import { Grant, IGrantable } from "./grants";
import { Metric } from "./metric";
import { ServiceRole } from "./service-role";

/** A built, reproducible deployment package (see lambdas/build.ts). */
export interface LambdaArchive {
  /** The zip file; copied into the stack folder as an asset. */
  readonly zipPath: string;
  /** base64(sha256(zip)), the form Lambda reports as CodeSha256. */
  readonly sourceCodeHash: string;
  /** `<file without extension>.<export>`, matching a file inside the zip. */
  readonly handler: string;
}

export interface RecorderFunctionProps {
  readonly functionName: string;
  readonly archive: LambdaArchive;
  readonly table: MessagesTable;
  /** Retention of the function's log group. */
  readonly logRetentionInDays: number;
  /** Must stay below the workflow's task timeout. */
  readonly timeoutSeconds: number;
  readonly memoryMb: number;
  /** X-Ray active tracing. @default false */
  readonly tracing?: boolean;
  /** Encrypts the log group and the environment variables with this key. @default AWS-managed keys */
  readonly encryptionKey?: EncryptionKey;
}

/**
 * The recorder Lambda: its log group (created first, so Lambda never creates one without retention), its role,
 * and the function, which stores a message and answers the workflow's task token.
 */
export class RecorderFunction extends Construct {
  public readonly functionArn: string;
  public readonly functionName: string;
  public readonly role: ServiceRole;
  public readonly logGroupName: string;

  constructor(scope: Construct, id: string, props: RecorderFunctionProps) {
    super(scope, id);

    const key = props.encryptionKey;
    const logGroupName = `/aws/lambda/${props.functionName}`;
    key?.allowCloudWatchLogs(logGroupName);
    const logGroup = new CloudwatchLogGroup(this, "log-group", {
      name: logGroupName,
      retentionInDays: props.logRetentionInDays,
      ...(key ? { kmsKeyId: key.keyArn } : {}),
    });
    this.logGroupName = logGroup.name;

    this.role = new ServiceRole(this, "role", {
      roleName: `${props.functionName}-role`,
      assumedBy: "lambda.amazonaws.com",
      description: "Runs the message recorder",
      // No aws:SourceArn: in Lambda it applies only to policies where the function is the target; the execution
      // role's sessions carry lambda:SourceFunctionArn instead.
      // https://docs.aws.amazon.com/lambda/latest/dg/permissions-source-function-arn.html
    });
    this.role.addToPolicy({
      sid: "WriteOwnLogs",
      actions: ["logs:CreateLogStream", "logs:PutLogEvents"],
      resources: [`${logGroup.arn}:*`],
    });
    props.table.grantPutItem(this.role);
    if (key) {
      // Lambda decrypts the environment variables with the execution role's key permission, through Lambda only.
      // https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars-encryption.html
      key.grantEncryptDecrypt(this.role, "DecryptOwnEnvironment", {
        StringEquals: { "kms:ViaService": `lambda.${accountContext(this).region}.amazonaws.com` },
      }, ["kms:Decrypt"]);
    }
    if (props.tracing) {
      this.role.addToPolicy({
        sid: "WriteTraces",
        actions: ["xray:PutTelemetryRecords", "xray:PutTraceSegments"],
        // X-Ray's write APIs have no resource-level permissions: "*" is the only accepted resource.
        resources: ["*"],
      });
    }

    const asset = new TerraformAsset(this, "archive", { path: props.archive.zipPath, type: AssetType.FILE });
    const fn = new LambdaFunction(this, "function", {
      functionName: props.functionName,
      description: "Stores a message event in DynamoDB and answers the Step Functions task token",
      role: this.role.roleArn,
      runtime: "nodejs22.x",
      architectures: ["arm64"],
      handler: props.archive.handler,
      filename: asset.path,
      sourceCodeHash: props.archive.sourceCodeHash,
      timeout: props.timeoutSeconds,
      memorySize: props.memoryMb,
      ...(key ? { kmsKeyArn: key.keyArn } : {}),
      environment: {
        variables: {
          MESSAGES_TABLE_NAME: props.table.tableName,
          NODE_OPTIONS: "--enable-source-maps",
        },
      },
      loggingConfig: { logFormat: "JSON", logGroup: logGroup.name, applicationLogLevel: "INFO", systemLogLevel: "WARN" },
      tracingConfig: { mode: props.tracing ? "Active" : "PassThrough" },
      dependsOn: [logGroup],
    });
    this.functionArn = fn.arn;
    this.functionName = fn.functionName;
  }

  /** Invocations that failed (a transient fault, retried by the workflow, or a bad input). */
  public metricErrors(): Metric {
    return this.metric("Errors");
  }

  /** Invocations refused for lack of concurrency. */
  public metricThrottles(): Metric {
    return this.metric("Throttles");
  }

  private metric(metricName: string): Metric {
    return { namespace: "AWS/Lambda", metricName, dimensions: { FunctionName: this.functionName }, statistic: "Sum", periodSeconds: 60 };
  }

  /** Lets the role invoke the function, unqualified or any version/alias of it, and nothing else. */
  public grantInvoke(grantee: IGrantable): Grant {
    return Grant.addToPrincipal(grantee, {
      sid: "InvokeRecorder",
      actions: ["lambda:InvokeFunction"],
      resources: [this.functionArn, `${this.functionArn}:*`],
    });
  }
}
