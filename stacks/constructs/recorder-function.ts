import { Construct } from "constructs";
import { RecorderLogLevel } from "../workflow-model";
import { RECORDER_ENTRY } from "./bundling/build";
import { LambdaArchive } from "./bundling/archive";
import { EncryptionKey } from "./encryption-key";
import { Grant, IGrantable } from "./grants";
import { ITable } from "./messages-table";
import { NodejsFunction } from "./nodejs-function";
import { ServiceRole } from "./service-role";
import { DEFAULTS } from "../defaults";

export type { LambdaArchive } from "./bundling/archive";

export interface RecorderFunctionProps {
  readonly functionName: string;
  /** The table it records to: its name in MESSAGES_TABLE_NAME, PutItem granted. */
  readonly table: ITable;
  /** A prebuilt archive of lambdas/recorder. @default built at synth (reused while its inputs are unchanged) */
  readonly archive?: LambdaArchive;
  /** Retention of the function's log group. @default 7 */
  readonly logRetentionInDays?: number;
  /** Must stay below the workflow's task timeout. Minimum 1, maximum 900. @default 5 */
  readonly timeoutSeconds?: number;
  /** Minimum 128, maximum 10240. @default 256 */
  readonly memoryMb?: number;
  /** X-Ray active tracing. @default true */
  readonly tracing?: boolean;
  /** The lowest level of its logs Lambda keeps; at INFO it logs one line per message. @default "INFO" */
  readonly logLevel?: RecorderLogLevel;
  /** Encrypts the log group and the environment variables with this key. @default AWS-managed keys */
  readonly encryptionKey?: EncryptionKey;
  /** The execution role. @default a new role `<functionName>-role` */
  readonly role?: ServiceRole;
}

/** The recorder (lambdas/recorder): stores a message in its table and answers the workflow's task token. */
export class RecorderFunction extends NodejsFunction {
  constructor(scope: Construct, id: string, props: RecorderFunctionProps) {
    super(scope, id, {
      functionName: props.functionName,
      entry: RECORDER_ENTRY,
      ...(props.archive ? { archive: props.archive } : {}),
      description: "Stores a message event in DynamoDB and answers the workflow (its task token, or the invoke)",
      roleDescription: "Runs the message recorder",
      // Lambda sets AWS_EXECUTION_ENV even without active tracing: this keeps the X-Ray SDK unloaded then.
      environment: { MESSAGES_TABLE_NAME: props.table.tableName, POWERTOOLS_TRACE_ENABLED: String(props.tracing ?? true) },
      timeoutSeconds: props.timeoutSeconds ?? DEFAULTS.recorder.timeoutSeconds,
      memoryMb: props.memoryMb ?? DEFAULTS.recorder.memoryMb,
      ...(props.logRetentionInDays !== undefined ? { logRetentionInDays: props.logRetentionInDays } : {}),
      ...(props.tracing !== undefined ? { tracing: props.tracing } : {}),
      ...(props.logLevel ? { applicationLogLevel: props.logLevel } : {}),
      ...(props.encryptionKey ? { encryptionKey: props.encryptionKey } : {}),
      ...(props.role ? { role: props.role } : {}),
    });
    props.table.grantPutItem(this);
  }

  /** Invoke permission under the Sid the design has always used. */
  public override grantInvoke(grantee: IGrantable): Grant {
    return super.grantInvoke(grantee, "InvokeRecorder");
  }
}
