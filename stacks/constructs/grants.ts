/**
 * Who may do what, in the style of the AWS CDK's `IGrantable`/`Grant`: the owner of a resource grants a
 * permission on it to any principal (`grantXxx(grantee)`), and gets back what it granted. Statement ids are
 * optional: given, they say why a permission exists; omitted, one is derived from the first action. A second
 * statement with a taken id gets a numbered id instead of an error, and an identical statement is kept once,
 * so granting one role invoke on two functions, or the same grant twice, just works.
 */

/** One IAM policy statement; always an Allow (denies belong in resource policies and SCPs). */
export interface PolicyStatement {
  /** Says why the permission exists. @default derived from the first action, e.g. `LambdaInvokeFunction` */
  readonly sid?: string;
  readonly actions: readonly string[];
  readonly resources: readonly string[];
  /** IAM condition block, e.g. `{ ArnEquals: { "aws:SourceArn": arn } }`. */
  readonly conditions?: Readonly<Record<string, Readonly<Record<string, string | readonly string[]>>>>;
}

/** A principal whose identity policy statements can be added to (a role). */
export interface IPrincipal {
  /** Adds the statement (or finds an identical one) and returns it as it is in the policy, with its Sid. */
  addToPrincipalPolicy(statement: PolicyStatement): PolicyStatement & { readonly sid: string };
}

/** Anything that can be granted permissions: a role, or a construct that runs as one (a function, a target). */
export interface IGrantable {
  readonly grantPrincipal: IPrincipal;
}

/** What a grant added, for callers that need to depend on it or inspect it. */
export class Grant {
  private constructor(
    public readonly principal: IPrincipal,
    public readonly statements: ReadonlyArray<PolicyStatement & { readonly sid: string }>,
  ) {}

  /** Adds the statements to the grantee's policy. */
  static addToPrincipal(grantee: IGrantable, ...statements: PolicyStatement[]): Grant {
    return new Grant(
      grantee.grantPrincipal,
      statements.map((s) => grantee.grantPrincipal.addToPrincipalPolicy(s)),
    );
  }

  /** A grant that added nothing (e.g. a key grant when no key is configured). */
  static none(grantee: IGrantable): Grant {
    return new Grant(grantee.grantPrincipal, []);
  }

  /** This grant and another, to the same principal. */
  combine(other: Grant): Grant {
    return new Grant(this.principal, [...this.statements, ...other.statements]);
  }
}

/** `lambda:InvokeFunction` -> `LambdaInvokeFunction`. */
export function sidFromAction(action: string): string {
  return (
    action
      .split(/[:*-]/)
      .filter(Boolean)
      .map((part) => part[0].toUpperCase() + part.slice(1))
      .join("") || "Statement"
  );
}

/**
 * Keeps a list of statements with unique Sids: an identical statement is found instead of added again, and a
 * taken Sid gets the next free number.
 */
export function addStatement(
  existing: Array<PolicyStatement & { sid: string }>,
  statement: PolicyStatement,
): PolicyStatement & { sid: string } {
  const base = statement.sid ?? sidFromAction(statement.actions[0] ?? "");
  const same = existing.find((s) => (s.sid === base || s.sid.replace(/\d+$/, "") === base) && sameContent(s, statement));
  if (same) return same;
  let sid = base;
  for (let n = 2; existing.some((s) => s.sid === sid); n++) sid = `${base}${n}`;
  const added = { ...statement, sid };
  existing.push(added);
  return added;
}

function sameContent(a: PolicyStatement, b: PolicyStatement): boolean {
  return JSON.stringify([a.actions, a.resources, a.conditions ?? null]) === JSON.stringify([b.actions, b.resources, b.conditions ?? null]);
}

/** An identity policy document of the statements; IAM rejects an empty one, so that is refused here, naming the owner. */
export function identityPolicyDocument(owner: string, statements: ReadonlyArray<PolicyStatement & { sid: string }>): string {
  if (statements.length === 0) throw new Error(`${owner}: granted nothing; IAM rejects an empty policy`);
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: statements.map((s) => ({
      Sid: s.sid,
      Effect: "Allow",
      Action: [...s.actions],
      Resource: [...s.resources],
      ...(s.conditions ? { Condition: s.conditions } : {}),
    })),
  });
}
