import { Construct } from "constructs";
import { AssetType, TerraformAsset } from "cdktf";
import { LambdaFunction } from "@cdktf/provider-aws/lib/lambda-function";
import { LambdaArchive } from "./bundling/archive";
import { buildNodejsArchive } from "./bundling/build";
import { EncryptionKey } from "./encryption-key";
import { Grant, IGrantable, IPrincipal } from "./grants";
import { createLogGroup } from "./log-group";
import { Metric, MetricOptions, serviceMetric } from "./metric";
import { ServiceRole } from "./service-role";
import { DEFAULTS } from "../defaults";

/** A function a workflow can invoke: its ARN, its timeout (for the retry budget) and invoke permission. */
export interface IFunction {
  readonly functionArn: string;
  readonly functionName: string;
  /** How long one invocation may run, in seconds. */
  readonly timeoutSeconds: number;
  grantInvoke(grantee: IGrantable, sid?: string): Grant;
}

export interface NodejsFunctionProps {
  readonly functionName: string;
  /**
   * The handler's TypeScript entry, relative to the project (it exports `handler`). Bundled at synth with
   * esbuild into a reproducible zip, rebuilt only when its inputs change.
   */
  readonly entry: string;
  /** A prebuilt archive of the entry, e.g. built once for many synths in tests. @default built from `entry` */
  readonly archive?: LambdaArchive;
  /** @default none */
  readonly description?: string;
  /** Description of the role created for it. @default "Runs <functionName>" */
  readonly roleDescription?: string;
  /** @default none */
  readonly environment?: Readonly<Record<string, string>>;
  /** Minimum 1, maximum 900. @default 3 */
  readonly timeoutSeconds?: number;
  /** Minimum 128, maximum 10240. @default 128 */
  readonly memoryMb?: number;
  /** X-Ray active tracing. @default true (the project's `tracing` setting passes false for an EXPRESS workflow) */
  readonly tracing?: boolean;
  /** Retention of the function's log group. @default 7 */
  readonly logRetentionInDays?: number;
  /** The lowest level of the function's JSON logs Lambda keeps (Powertools reads it too). @default "INFO" */
  readonly applicationLogLevel?: "TRACE" | "DEBUG" | "INFO" | "WARN" | "ERROR" | "FATAL";
  /** Encrypts the log group and the environment variables with this key. @default AWS-managed keys */
  readonly encryptionKey?: EncryptionKey;
  /** The execution role. @default a new role `<functionName>-role` that may write the function's logs */
  readonly role?: ServiceRole;
}

/**
 * A Node.js Lambda function that bundles its own entry (as the AWS CDK's `NodejsFunction`): its log group,
 * created first so Lambda never creates one without retention; its role, unless one is given; and the function,
 * arm64 on nodejs22.x with JSON logs. Grant it access with the owners' grant methods (`table.grantPutItem(fn)`).
 */
export class NodejsFunction extends Construct implements IFunction, IGrantable {
  /** The underlying function, for what this construct does not model. */
  public readonly resource: LambdaFunction;
  public readonly functionArn: string;
  public readonly functionName: string;
  public readonly role: ServiceRole;
  public readonly logGroupName: string;
  public readonly grantPrincipal: IPrincipal;
  public readonly timeoutSeconds: number;

  constructor(scope: Construct, id: string, props: NodejsFunctionProps) {
    super(scope, id);
    const timeout = props.timeoutSeconds ?? 3;
    this.timeoutSeconds = timeout;
    const memory = props.memoryMb ?? 128;
    this.node.addValidation({
      validate: () => [
        ...(Number.isInteger(timeout) && timeout >= 1 && timeout <= 900
          ? []
          : [`timeoutSeconds must be an integer from 1 to 900. Received: ${timeout}`]),
        ...(Number.isInteger(memory) && memory >= 128 && memory <= 10240
          ? []
          : [`memoryMb must be an integer from 128 to 10240. Received: ${memory}`]),
      ],
    });

    const key = props.encryptionKey;
    const logGroup = createLogGroup(this, "log-group", {
      name: `/aws/lambda/${props.functionName}`,
      retentionInDays: props.logRetentionInDays ?? DEFAULTS.logRetentionInDays,
      ...(key ? { encryptionKey: key } : {}),
    });
    this.logGroupName = logGroup.name;

    this.role =
      props.role ??
      new ServiceRole(this, "role", {
        roleName: `${props.functionName}-role`,
        assumedBy: "lambda.amazonaws.com",
        description: props.roleDescription ?? `Runs ${props.functionName}`,
        // No aws:SourceArn: in Lambda it applies only to policies where the function is the target; the execution
        // role's sessions carry lambda:SourceFunctionArn instead.
        // https://docs.aws.amazon.com/lambda/latest/dg/permissions-source-function-arn.html
      });
    this.grantPrincipal = this.role;
    // The execution role's own log group only (AWSLambdaBasicExecutionRole's actions, without CreateLogGroup: the
    // group exists). https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs-advanced.html
    this.role.addToPolicy({
      sid: "WriteOwnLogs",
      actions: ["logs:CreateLogStream", "logs:PutLogEvents"],
      resources: [`${logGroup.arn}:*`],
    });
    key?.grantThroughCloudWatchLogs(this.role, "WriteLogsThroughCloudWatchLogs", "write");
    // No key statement for the environment variables: Lambda decrypts them under a grant it creates on the key
    // when the function is created with kms_key_arn, not with the execution role's permissions.
    // https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars-encryption.html
    const tracing = props.tracing ?? true;
    if (tracing) {
      this.role.addToPolicy({
        sid: "WriteTraces",
        actions: ["xray:PutTelemetryRecords", "xray:PutTraceSegments"],
        // X-Ray's write APIs have no resource-level permissions: "*" is the only accepted resource.
        resources: ["*"],
      });
    }

    const archive = props.archive ?? buildNodejsArchive(props.entry, { reuseUnchanged: true });
    const asset = new TerraformAsset(this, "archive", { path: archive.zipPath, type: AssetType.FILE });
    const fn = (this.resource = new LambdaFunction(this, "function", {
      functionName: props.functionName,
      ...(props.description ? { description: props.description } : {}),
      role: this.role.roleArn,
      runtime: "nodejs22.x",
      architectures: ["arm64"],
      handler: archive.handler,
      filename: asset.path,
      sourceCodeHash: archive.sourceCodeHash,
      timeout,
      memorySize: memory,
      ...(key ? { kmsKeyArn: key.keyArn } : {}),
      environment: { variables: { ...props.environment, NODE_OPTIONS: "--enable-source-maps" } },
      loggingConfig: {
        logFormat: "JSON",
        logGroup: logGroup.name,
        applicationLogLevel: props.applicationLogLevel ?? "INFO",
        systemLogLevel: "WARN",
      },
      tracingConfig: { mode: tracing ? "Active" : "PassThrough" },
      dependsOn: [logGroup],
    }));
    this.functionArn = fn.arn;
    this.functionName = fn.functionName;
  }

  /**
   * Lets the grantee invoke the function, unqualified or any version/alias of it, and nothing else: the form Step
   * Functions documents for a Lambda task's role. https://docs.aws.amazon.com/step-functions/latest/dg/lambda-iam.html
   */
  public grantInvoke(grantee: IGrantable, sid = "InvokeFunction"): Grant {
    return Grant.addToPrincipal(grantee, {
      sid,
      actions: ["lambda:InvokeFunction"],
      resources: [this.functionArn, `${this.functionArn}:*`],
    });
  }

  /** A metric of this function in AWS/Lambda, e.g. "Duration" (with another statistic). */
  public metric(metricName: string, options?: MetricOptions): Metric {
    return serviceMetric("AWS/Lambda", metricName, { FunctionName: this.functionName }, "Sum", 60, options);
  }

  /** Invocations that failed. */
  public metricErrors(options?: MetricOptions): Metric {
    return this.metric("Errors", options);
  }

  /** Invocations refused for lack of concurrency. */
  public metricThrottles(options?: MetricOptions): Metric {
    return this.metric("Throttles", options);
  }

  /** How long invocations ran, in milliseconds. @default statistic "Average" */
  public metricDuration(options?: MetricOptions): Metric {
    return this.metric("Duration", { statistic: "Average", ...options });
  }
}
