import { Construct } from "constructs";
import { Lazy } from "cdktf";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { accountContext } from "./account";
import { addStatement, IGrantable, IPrincipal, PolicyStatement } from "./grants";

export type { PolicyStatement } from "./grants";

export interface ServiceRoleProps {
  readonly roleName: string;
  /** The service principal that assumes the role, e.g. `states.amazonaws.com`. */
  readonly assumedBy: string;
  readonly description: string;
  /**
   * The resource on whose behalf the service assumes the role, matched against `aws:SourceArn` in the trust
   * policy; set it where the service sends it and the ARN is known without a dependency cycle (an ARN built
   * from a name is fine). `aws:SourceAccount` is always required.
   * @default no aws:SourceArn condition
   */
  readonly sourceArn?: string;
}

/**
 * A role assumed by one AWS service, with one inline policy that owners of resources add to through their
 * `grantXxx(role)` methods. The policy is rendered at synth from what was granted, so a permission lives next
 * to the resource it is about.
 */
export class ServiceRole extends Construct implements IGrantable, IPrincipal {
  public readonly grantPrincipal: IPrincipal = this;
  public readonly roleArn: string;
  public readonly roleName: string;
  /** Depend on this to make sure the permissions exist before a resource that needs them at create time. */
  public readonly policy: IamRolePolicy;
  private readonly statements: Array<PolicyStatement & { sid: string }> = [];

  constructor(scope: Construct, id: string, props: ServiceRoleProps) {
    super(scope, id);
    // Confused-deputy guard: the service may assume the role only on behalf of this account (and, where known,
    // of this resource). https://docs.aws.amazon.com/IAM/latest/UserGuide/confused-deputy.html#cross-service-confused-deputy-prevention
    const condition: Record<string, Record<string, string>> = {
      StringEquals: { "aws:SourceAccount": accountContext(this).accountId },
      ...(props.sourceArn ? { ArnLike: { "aws:SourceArn": props.sourceArn } } : {}),
    };
    const role = new IamRole(this, "role", {
      name: props.roleName,
      description: props.description,
      assumeRolePolicy: JSON.stringify({
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Principal: { Service: props.assumedBy }, Action: "sts:AssumeRole", Condition: condition }],
      }),
    });
    this.roleArn = role.arn;
    this.roleName = role.name;
    this.policy = new IamRolePolicy(this, "policy", {
      name: `${props.roleName}-policy`,
      role: role.id,
      policy: Lazy.stringValue({ produce: () => this.renderPolicy() }),
    });
  }

  /** Adds a statement (see grants.ts for how Sids are kept unique); returns it as it is in the policy. */
  public addToPrincipalPolicy(statement: PolicyStatement): PolicyStatement & { readonly sid: string } {
    return addStatement(this.statements, statement);
  }

  /** The same as addToPrincipalPolicy, for a role's own statements. */
  public addToPolicy(statement: PolicyStatement): PolicyStatement & { readonly sid: string } {
    return this.addToPrincipalPolicy(statement);
  }

  private renderPolicy(): string {
    if (this.statements.length === 0) {
      throw new Error(`${this.node.path}: the role was granted nothing; IAM rejects an empty policy`);
    }
    return JSON.stringify({
      Version: "2012-10-17",
      Statement: this.statements.map((s) => ({
        Sid: s.sid,
        Effect: "Allow",
        Action: [...s.actions],
        Resource: [...s.resources],
        ...(s.conditions ? { Condition: s.conditions } : {}),
      })),
    });
  }
}
