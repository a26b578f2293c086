import { Construct } from "constructs";
import { DynamodbTable } from "@cdktf/provider-aws/lib/dynamodb-table";
import { EncryptionKey } from "./encryption-key";
import { Grant, IGrantable } from "./grants";
import { Metric, MetricOptions, serviceMetric } from "./metric";
import { importedArn } from "./account";

/** The key the recorder writes and the idempotency check relies on. */
export const MESSAGE_KEY = { name: "messageId", type: "S" } as const;

export interface MessagesTableProps {
  readonly tableName: string;
  /** Encrypts the table with this key. @default the AWS owned key of DynamoDB */
  readonly encryptionKey?: EncryptionKey;
  /**
   * Deletion protection in AWS and `prevent_destroy` in Terraform: the table is the only copy of what was
   * recorded, so neither a console click nor a `terraform destroy` may delete it. Turn off for throwaway
   * environments (and deploy once with it off before destroying one on purpose).
   * @default true
   */
  readonly protectFromDeletion?: boolean;
}

/** A table a recorder can write to and an operator read: one of ours (MessagesTable) or one imported by ARN. */
export interface ITable {
  readonly tableName: string;
  readonly tableArn: string;
  grantPutItem(grantee: IGrantable): Grant;
  grantReadItems(grantee: IGrantable): Grant;
}

/** What every table offers: identity grants (with key use through DynamoDB) and metrics. */
abstract class TableBase extends Construct implements ITable {
  public abstract readonly tableName: string;
  public abstract readonly tableArn: string;
  protected abstract readonly encryptionKey?: EncryptionKey;

  /**
   * Lets the grantee read items (GetItem: redrive and verify look up a message by its id); with a customer-managed
   * key, kms:Decrypt through DynamoDB only.
   * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/encryption.usagenotes.html
   */
  public grantReadItems(grantee: IGrantable): Grant {
    const grant = Grant.addToPrincipal(grantee, { sid: "ReadMessageItems", actions: ["dynamodb:GetItem"], resources: [this.tableArn] });
    const keyGrant = this.encryptionKey?.grantEncryptDecrypt(
      grantee,
      "ReadItemsThroughDynamoDB",
      this.encryptionKey.viaService("dynamodb"),
      ["kms:Decrypt"],
    );
    return keyGrant ? grant.combine(keyGrant) : grant;
  }

  /** A metric of this table in AWS/DynamoDB, e.g. "SuccessfulRequestLatency". */
  public metric(metricName: string, options?: MetricOptions): Metric {
    return serviceMetric("AWS/DynamoDB", metricName, { TableName: this.tableName }, "Sum", 60, options);
  }

  /** Write capacity the table consumed (on-demand: what is billed). */
  public metricConsumedWriteCapacityUnits(options?: MetricOptions): Metric {
    return this.metric("ConsumedWriteCapacityUnits", options);
  }

  /** Writes DynamoDB throttled. */
  public metricWriteThrottleEvents(options?: MetricOptions): Metric {
    return this.metric("WriteThrottleEvents", options);
  }

  /**
   * Lets the role write new items; the recorder only ever puts, so neither reads nor updates are granted.
   * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/using-identity-based-policies.html
   */
  public grantPutItem(grantee: IGrantable): Grant {
    const grant = Grant.addToPrincipal(grantee, { sid: "PutMessageItems", actions: ["dynamodb:PutItem"], resources: [this.tableArn] });
    // With a customer-managed key the caller of DynamoDB needs key use itself, through DynamoDB only.
    // https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/encryption.usagenotes.html (customer managed keys)
    const keyGrant = this.encryptionKey?.grantEncryptDecrypt(
      grantee,
      "UseTheKeyThroughDynamoDB",
      this.encryptionKey.viaService("dynamodb"),
    );
    return keyGrant ? grant.combine(keyGrant) : grant;
  }
}

/** A table made elsewhere, by ARN: its encryption and protection stay with whoever manages it. */
class ImportedTable extends TableBase {
  public readonly tableName: string;
  public readonly tableArn: string;
  protected readonly encryptionKey?: EncryptionKey = undefined;

  constructor(scope: Construct, id: string, tableArn: string) {
    super(scope, id);
    this.tableArn = tableArn;
    this.tableName = importedArn(tableArn, { service: "dynamodb", prefix: "table/", what: "a table" }).name;
  }
}

/**
 * The table of recorded messages: on-demand, encrypted, with point-in-time recovery, since it is the only copy
 * of what was recorded.
 */
export class MessagesTable extends TableBase {
  /** The underlying resource, for what this construct does not model. */
  public readonly resource: DynamodbTable;
  public readonly tableName: string;
  public readonly tableArn: string;
  protected readonly encryptionKey?: EncryptionKey;

  /** A table made elsewhere, by its ARN, for a recorder to write to. */
  public static fromTableArn(scope: Construct, id: string, tableArn: string): ITable {
    return new ImportedTable(scope, id, tableArn);
  }

  constructor(scope: Construct, id: string, props: MessagesTableProps) {
    super(scope, id);
    const table = (this.resource = new DynamodbTable(this, "table", {
      name: props.tableName,
      billingMode: "PAY_PER_REQUEST",
      hashKey: MESSAGE_KEY.name,
      attribute: [{ name: MESSAGE_KEY.name, type: MESSAGE_KEY.type }],
      serverSideEncryption: props.encryptionKey ? { enabled: true, kmsKeyArn: props.encryptionKey.keyArn } : { enabled: true },
      pointInTimeRecovery: { enabled: true },
      deletionProtectionEnabled: props.protectFromDeletion ?? true,
      lifecycle: { preventDestroy: props.protectFromDeletion ?? true },
    }));
    this.tableName = table.name;
    this.tableArn = table.arn;
    this.encryptionKey = props.encryptionKey;
  }
}
