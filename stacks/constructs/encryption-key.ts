import { Construct } from "constructs";
import { Lazy } from "cdktf";
import { KmsAlias } from "@cdktf/provider-aws/lib/kms-alias";
import { KmsKey } from "@cdktf/provider-aws/lib/kms-key";
import { accountContext, arnOf } from "./account";
import { ResourcePolicyStatement } from "./secure-transport";
import { Grant, IGrantable, PolicyStatement } from "./grants";
import { DEFAULTS } from "../defaults";

/** KMS accepts a pending-deletion window of 7 to 30 days. */
export const KEY_DELETION_WINDOW_DAYS = { min: 7, max: 30 } as const;

export interface EncryptionKeyProps {
  /** The alias is `alias/<aliasName>`; name it after the environment so two environments never share one. */
  readonly aliasName: string;
  readonly description: string;
  /**
   * Days between scheduling the key's deletion and its deletion, during which it can be recovered.
   * Minimum value of 7. Maximum value of 30.
   * @default 30
   */
  readonly deletionWindowInDays?: number;
}

/**
 * The encryption attributes of an SQS queue: this key when there is one (the caller also registers its writers,
 * e.g. the EventBridge statement a queue adds with `addToResourcePolicy`), SQS-managed keys (SSE-SQS) otherwise.
 */
export function queueEncryption(key?: EncryptionKey): { kmsMasterKeyId: string } | { sqsManagedSseEnabled: true } {
  return key ? { kmsMasterKeyId: key.keyArn } : { sqsManagedSseEnabled: true };
}

/** Key use a service needs to encrypt and decrypt data it stores on our behalf. */
const ENCRYPT_DECRYPT = ["kms:Decrypt", "kms:GenerateDataKey"];

/**
 * One symmetric customer-managed KMS key, rotated yearly, with an alias. Its key policy is rendered at synth from
 * the account's statement and what the owners of the encrypted resources added (`addToResourcePolicy`), so a
 * service principal is admitted only because a resource that needs it exists, and only for that resource. IAM roles get key use from
 * `grantEncryptDecrypt`, on this key only.
 *
 * A key policy may not reference a resource that references the key (the log group's kms_key_id would make a
 * cycle): every ARN in it is built from the stack's account, partition and region and a known name.
 */
export class EncryptionKey extends Construct {
  /** The underlying key, for what this construct does not model. */
  public readonly resource: KmsKey;
  public readonly keyArn: string;
  public readonly keyId: string;
  /** `alias/<aliasName>`. */
  public readonly aliasName: string;
  /** The account, partition and region of the key's stack, for the statements its consumers add. */
  public readonly account: ReturnType<typeof accountContext>;
  /** The statements the owners of the encrypted resources added, after the account's own. */
  private readonly statements: ResourcePolicyStatement[] = [];

  constructor(scope: Construct, id: string, props: EncryptionKeyProps) {
    super(scope, id);
    const window = props.deletionWindowInDays ?? DEFAULTS.keyDeletionWindowInDays;
    if (!Number.isInteger(window) || window < KEY_DELETION_WINDOW_DAYS.min || window > KEY_DELETION_WINDOW_DAYS.max) {
      throw new Error(
        `${this.node.path}: deletionWindowInDays must be an integer from ${KEY_DELETION_WINDOW_DAYS.min} to ${KEY_DELETION_WINDOW_DAYS.max}. Received: ${window}`,
      );
    }
    // Created now: a data source cannot be added while the policy renders at synth.
    this.account = accountContext(this);
    const key = (this.resource = new KmsKey(this, "key", {
      description: props.description,
      enableKeyRotation: true,
      deletionWindowInDays: window,
      policy: Lazy.stringValue({ produce: () => this.renderPolicy() }),
    }));
    const alias = new KmsAlias(this, "alias", { name: `alias/${props.aliasName}`, targetKeyId: key.keyId });
    this.keyArn = key.arn;
    this.keyId = key.keyId;
    this.aliasName = alias.name;
  }

  /**
   * Adds a statement to the key policy; the owner of a resource that the key encrypts adds the one its service
   * needs (a log group for CloudWatch Logs, a queue for EventBridge, the alarms for CloudWatch), so a service
   * principal is admitted only because a resource that needs it exists. A statement with a Sid already in the
   * policy is merged into it: the same principal, actions and resources, and its condition values added to
   * those there (two log groups, one statement). A different statement under a taken Sid is refused.
   */
  public addToResourcePolicy(statement: ResourcePolicyStatement): void {
    const existing = this.statements.find((s) => s.Sid === statement.Sid);
    if (!existing) {
      this.statements.push(statement);
      return;
    }
    const shape = (s: ResourcePolicyStatement) =>
      JSON.stringify([
        s.Effect,
        s.Principal,
        s.Action,
        s.Resource,
        Object.entries(s.Condition ?? {}).map(([op, keys]) => [op, Object.keys(keys)]),
      ]);
    if (shape(existing) !== shape(statement))
      throw new Error(`${this.node.path}: a different key policy statement already has the Sid ${statement.Sid}`);
    const merged: Record<string, Record<string, string | readonly string[]>> = {};
    for (const [operator, keys] of Object.entries(existing.Condition ?? {})) {
      merged[operator] = Object.fromEntries(
        Object.entries(keys).map(([key, values]) => {
          const added = statement.Condition![operator][key];
          const union = [...new Set([...[values].flat(), ...[added].flat()])];
          return [key, Array.isArray(values) ? union : union.length === 1 ? union[0] : union];
        }),
      );
    }
    this.statements[this.statements.indexOf(existing)] = { ...existing, Condition: merged };
  }

  /**
   * Gives the role kms:Decrypt and kms:GenerateDataKey on this key only, under the conditions given (an
   * encryption context or kms:ViaService, so the role can use the key only for the resource it works on).
   */
  public grantEncryptDecrypt(
    grantee: IGrantable,
    sid: string,
    conditions: PolicyStatement["conditions"],
    actions: readonly string[] = ENCRYPT_DECRYPT,
  ): Grant {
    return Grant.addToPrincipal(grantee, { sid, actions, resources: [this.keyArn], ...(conditions ? { conditions } : {}) });
  }

  /**
   * Key use through CloudWatch Logs for a role that calls it on a log group encrypted with this key: "CloudWatch
   * Logs now supports kms:ViaService ... You should add this to your roles which call CloudWatch Logs". Writers get
   * the page's example actions, its wildcards spelt out (no IAM statement here has a wildcard action); a reader
   * needs only kms:Decrypt of them.
   * https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html
   */
  public grantThroughCloudWatchLogs(grantee: IGrantable, sid: string, access: "write" | "read"): Grant {
    const actions =
      access === "write"
        ? [
            "kms:Decrypt",
            "kms:DescribeKey",
            "kms:Encrypt",
            "kms:GenerateDataKey",
            "kms:GenerateDataKeyWithoutPlaintext",
            "kms:ReEncryptFrom",
            "kms:ReEncryptTo",
          ]
        : ["kms:Decrypt"];
    return this.grantEncryptDecrypt(grantee, sid, this.viaService("logs"), actions);
  }

  /**
   * `kms:ViaService` for a service of this key's region, e.g. `sqs.<region>.amazonaws.com`; one region expression
   * per key, so the same grant made twice renders as one statement.
   */
  public viaService(service: string): { StringEquals: { "kms:ViaService": string } } {
    return { StringEquals: { "kms:ViaService": `${service}.${this.account.region}.amazonaws.com` } };
  }

  /** The ARN of a log group of this stack, as CloudWatch Logs puts it in the encryption context. */
  public logGroupArn(logGroupName: string): string {
    return arnOf(this, "logs", `log-group:${logGroupName}`);
  }

  private renderPolicy(): string {
    const { accountId, partition } = this.account;
    const root: ResourcePolicyStatement = {
      // Without this statement no IAM policy can grant use of the key, and the account could lock itself out.
      // https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html#key-policy-default-allow-root-enable-iam
      Sid: "EnableIamPoliciesOfThisAccount",
      Effect: "Allow",
      Principal: { AWS: `arn:${partition}:iam::${accountId}:root` },
      Action: "kms:*",
      Resource: "*",
    };
    return JSON.stringify({ Version: "2012-10-17", Statement: [root, ...this.statements] });
  }
}
