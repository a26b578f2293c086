import { Construct } from "constructs";
import { Lazy } from "cdktf";
import { IamPolicy } from "@cdktf/provider-aws/lib/iam-policy";
import { addStatement, identityPolicyDocument, IGrantable, IPrincipal, PolicyStatement } from "./grants";

export interface OperatorPolicyProps {
  readonly policyName: string;
  /** @default none */
  readonly description?: string;
}

/**
 * A customer-managed IAM policy for the people and pipelines that operate an environment (`npm run send`,
 * `redrive`, `verify`): the owners of the resources grant it what those commands call (`bus.grantPutEvents(operator)`),
 * and nothing else. Attach it to an operator's role, user or group; it grants nothing until attached.
 */
export class OperatorPolicy extends Construct implements IGrantable, IPrincipal {
  public readonly grantPrincipal: IPrincipal = this;
  public readonly policyArn: string;
  public readonly policyName: string;
  /** The underlying resource, for what this construct does not model. */
  public readonly resource: IamPolicy;
  private readonly statements: Array<PolicyStatement & { sid: string }> = [];

  constructor(scope: Construct, id: string, props: OperatorPolicyProps) {
    super(scope, id);
    this.resource = new IamPolicy(this, "Default", {
      name: props.policyName,
      ...(props.description ? { description: props.description } : {}),
      policy: Lazy.stringValue({ produce: () => identityPolicyDocument(this.node.path, this.statements) }),
    });
    this.policyArn = this.resource.arn;
    this.policyName = this.resource.name;
  }

  public addToPrincipalPolicy(statement: PolicyStatement): PolicyStatement & { readonly sid: string } {
    return addStatement(this.statements, statement);
  }
}
