import { Construct } from "constructs";
import { Lazy } from "cdktf";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { accountContext } from "./account";
import { addStatement, identityPolicyDocument, IGrantable, IPrincipal, PolicyStatement } from "./grants";

export type { PolicyStatement } from "./grants";

export interface ServiceRoleProps {
  readonly roleName: string;
  /** The service principal that assumes the role, e.g. `states.amazonaws.com`. */
  readonly assumedBy: string;
  readonly description: string;
  /**
   * The resource on whose behalf the service assumes the role, matched against `aws:SourceArn` in the trust
   * policy. Only for a service whose documentation shows that condition in a trust policy
   * (TRUST_CONDITIONS); refused at synth for any other, since a condition the service does not send denies
   * every AssumeRole. Use an ARN known without a dependency cycle (one built from a name is fine).
   * @default no aws:SourceArn condition
   */
  readonly sourceArn?: string;
}

/**
 * The confused-deputy conditions each service is documented to satisfy when it assumes a role. A service that
 * does not send a key fails every AssumeRole whose trust policy requires it, so only these are written; a
 * service missing here gets the documented trust policy without conditions.
 */
export const TRUST_CONDITIONS: Readonly<
  Record<string, { readonly sourceAccount: boolean; readonly sourceArn: boolean; readonly documentation: string }>
> = {
  // "aws:SourceArn ... aws:SourceAccount ... in the trust policy of the state machine's execution role"
  "states.amazonaws.com": {
    sourceAccount: true,
    sourceArn: true,
    documentation: "https://docs.aws.amazon.com/step-functions/latest/dg/procedure-create-iam-role.html",
  },
  // EventBridge assumes a target's role on behalf of the rule: trust scoped with the rule's ARN and the account.
  "events.amazonaws.com": {
    sourceAccount: true,
    sourceArn: true,
    documentation: "https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-identity-based.html",
  },
  // The execution-role trust policy Lambda documents has no condition; the role's sessions carry
  // lambda:SourceFunctionArn instead (https://docs.aws.amazon.com/lambda/latest/dg/permissions-source-function-arn.html).
  "lambda.amazonaws.com": {
    sourceAccount: false,
    sourceArn: false,
    documentation: "https://docs.aws.amazon.com/lambda/latest/dg/lambda-intro-execution-role.html",
  },
  // API Gateway is not documented to send aws:SourceAccount or aws:SourceArn when it assumes an integration's
  // credentials role; its documented trust policy has no condition, and one breaks every request with a 500.
  "apigateway.amazonaws.com": {
    sourceAccount: false,
    sourceArn: false,
    documentation: "https://docs.aws.amazon.com/apigateway/latest/developerguide/integrating-api-with-aws-services-kinesis.html",
  },
};

/**
 * A role assumed by one AWS service, with one inline policy that owners of resources add to through their
 * `grantXxx(role)` methods. The policy is rendered at synth from what was granted, so a permission lives next
 * to the resource it is about.
 */
export class ServiceRole extends Construct implements IGrantable, IPrincipal {
  public readonly grantPrincipal: IPrincipal = this;
  /** The underlying role, for what this construct does not model. */
  public readonly resource: IamRole;
  public readonly roleArn: string;
  public readonly roleName: string;
  /** Depend on this to make sure the permissions exist before a resource that needs them at create time. */
  public readonly policy: IamRolePolicy;
  private readonly statements: Array<PolicyStatement & { sid: string }> = [];

  constructor(scope: Construct, id: string, props: ServiceRoleProps) {
    super(scope, id);
    const role = (this.resource = new IamRole(this, "role", {
      name: props.roleName,
      description: props.description,
      assumeRolePolicy: JSON.stringify({ Version: "2012-10-17", Statement: [trustStatement(this, props)] }),
    }));
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
    return identityPolicyDocument(this.node.path, this.statements);
  }
}

/**
 * `sts:AssumeRole` for the service, with the confused-deputy conditions its documentation shows (TRUST_CONDITIONS)
 * and no others. https://docs.aws.amazon.com/IAM/latest/UserGuide/confused-deputy.html#cross-service-confused-deputy-prevention
 */
export function trustStatement(scope: Construct, props: Pick<ServiceRoleProps, "assumedBy" | "sourceArn">): Record<string, unknown> {
  const documented = TRUST_CONDITIONS[props.assumedBy];
  if (props.sourceArn && !documented?.sourceArn) {
    throw new Error(
      `${scope.node.path}: ${props.assumedBy} is not documented to send aws:SourceArn when it assumes a role; leave sourceArn out`,
    );
  }
  const condition: Record<string, Record<string, string>> = {
    ...(documented?.sourceAccount ? { StringEquals: { "aws:SourceAccount": accountContext(scope).accountId } } : {}),
    ...(props.sourceArn ? { ArnLike: { "aws:SourceArn": props.sourceArn } } : {}),
  };
  return {
    Effect: "Allow",
    Principal: { Service: props.assumedBy },
    Action: "sts:AssumeRole",
    ...(Object.keys(condition).length > 0 ? { Condition: condition } : {}),
  };
}
