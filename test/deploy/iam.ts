/**
 * Reading IAM out of the packaged template: the statements a role is given (inline, or in
 * policies attached to it) and the ones a KMS key policy holds, as the tests compare them.
 */
import { describeValue, listOf, resourcesOfType, type Template } from "./packaged";

export interface Statement {
  Sid?: string;
  Effect: "Allow" | "Deny";
  Action: string | string[];
  Resource?: unknown;
  Principal?: unknown;
  Condition?: Record<string, Record<string, unknown>>;
}

interface PolicyDocument {
  Statement: Statement | Statement[];
}

export const actionsOf = (statement: Statement) => listOf(statement.Action);
export const resourcesOf = (statement: Statement) => listOf(statement.Resource).map(describeValue);

/** Every statement a role holds: its inline policies and the policies that name it. */
export function roleStatements(template: Template, role: string): Statement[] {
  const inline = ((template.Resources[role]?.Properties?.Policies as { PolicyDocument: PolicyDocument }[] | undefined) ?? []).flatMap(
    (policy) => listOf(policy.PolicyDocument.Statement),
  );
  const attached = [...resourcesOfType(template, "AWS::IAM::Policy"), ...resourcesOfType(template, "AWS::IAM::RolePolicy")]
    .filter(([, resource]) =>
      [...listOf(resource.Properties?.Roles), resource.Properties?.RoleName].some((named) => describeValue(named) === `Ref:${role}`),
    )
    .flatMap(([, resource]) => listOf((resource.Properties?.PolicyDocument as PolicyDocument).Statement));
  return [...inline, ...attached];
}

export const allowed = (statements: Statement[]) => statements.filter((statement) => statement.Effect === "Allow");

/**
 * The principals of a key-policy statement: roles of this template by logical id, other ARNs as
 * written (`Fn::Split` of a list is split).
 */
export function principalsOf(statement: Statement): string[] {
  const aws = (statement.Principal as { AWS?: unknown } | undefined)?.AWS;
  return listOf(aws).flatMap((principal) => {
    const split = (principal as { "Fn::Split"?: [string, unknown] } | null)?.["Fn::Split"];
    if (split) return describeValue(split[1]).split(split[0]);
    const text = describeValue(principal);
    return [text.endsWith(".Arn") ? text.slice(0, -".Arn".length) : text];
  });
}
