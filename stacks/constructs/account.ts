import { Construct } from "constructs";
import { TerraformStack } from "cdktf";
import { DataAwsCallerIdentity } from "@cdktf/provider-aws/lib/data-aws-caller-identity";
import { DataAwsPartition } from "@cdktf/provider-aws/lib/data-aws-partition";
import { DataAwsRegion } from "@cdktf/provider-aws/lib/data-aws-region";

/** Where a stack deploys, as Terraform expressions resolved at plan time. */
export interface AccountContext {
  readonly accountId: string;
  readonly partition: string;
  readonly region: string;
}

const IDS = { account: "caller-identity", partition: "partition", region: "region" } as const;

/**
 * The account, partition and region of the stack `scope` belongs to, from one data source each, created the
 * first time a construct of the stack asks. ARNs built from these and a known name let a policy name a resource
 * that itself references the policy's owner (a log group that uses a key, a key policy that names the log
 * group) without a dependency cycle.
 */
export function accountContext(scope: Construct): AccountContext {
  const stack = TerraformStack.of(scope);
  const find = <T>(id: string, create: () => T): T => (stack.node.tryFindChild(id) as T | undefined) ?? create();
  const identity = find(IDS.account, () => new DataAwsCallerIdentity(stack, IDS.account));
  const partition = find(IDS.partition, () => new DataAwsPartition(stack, IDS.partition));
  const region = find(IDS.region, () => new DataAwsRegion(stack, IDS.region));
  return { accountId: identity.accountId, partition: partition.partition, region: region.name };
}

/** `arn:<partition>:<service>:<region>:<account>:<resource>` of this stack's account. */
export function arnOf(scope: Construct, service: string, resource: string, options: { regional?: boolean } = {}): string {
  const { accountId, partition, region } = accountContext(scope);
  return `arn:${partition}:${service}:${options.regional === false ? "" : region}:${accountId}:${resource}`;
}

/** The parts of an ARN given as a literal string, and the name of the resource it names. */
export interface ImportedArn {
  readonly partition: string;
  readonly region: string;
  readonly account: string;
  /** The resource's name: what follows the resource type (`MessagesTable-dev` of `table/MessagesTable-dev`). */
  readonly name: string;
}

/**
 * An ARN for the `fromXxxArn` imports, read: one that is not a literal ARN of `service` (a token, a typo) or not
 * of the resource type `prefix` names is refused with the value and the form expected.
 */
export function importedArn(arn: string, kind: { readonly service: string; readonly prefix: string; readonly what: string }): ImportedArn {
  const form = `arn:aws:${kind.service}:<region>:<account>:${kind.prefix}<name>`;
  const parts = /^arn:([a-z-]+):([a-z0-9-]+):([a-z0-9-]*):(\d{12}):(.+)$/.exec(arn);
  if (!parts || parts[2] !== kind.service)
    throw new Error(`${JSON.stringify(arn)} is not a literal ARN of ${kind.service}; expected ${form}`);
  const [, partition, , region, account, resource] = parts;
  if (!resource.startsWith(kind.prefix)) throw new Error(`${JSON.stringify(arn)} is not ${kind.what} ARN; expected ${form}`);
  return { partition, region, account, name: resource.slice(kind.prefix.length) };
}
