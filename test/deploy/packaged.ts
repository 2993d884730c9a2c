/**
 * The CloudFormation template `npm run package` builds (osls, offline, no credentials), as the
 * deploy would send it to AWS: the tests hold the deployment to it, not to serverless.yml's text.
 */
import { execFile } from "node:child_process";
import { mkdtemp, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

export interface CfnResource {
  Type: string;
  Properties?: Record<string, unknown>;
  DependsOn?: string | string[];
}

export interface Template {
  Resources: Record<string, CfnResource>;
  Outputs?: Record<string, unknown>;
}

/** Packages the service into a temporary folder and reads the template it would deploy. */
export async function packagedTemplate(env: Record<string, string> = {}): Promise<Template> {
  const folder = await mkdtemp(join(tmpdir(), "package-"));
  await promisify(execFile)("npx", ["serverless", "package", "--stage", "test", "--package", folder], {
    env: { ...process.env, ...env },
    timeout: 120_000,
  });
  return JSON.parse(await readFile(join(folder, "cloudformation-template-update-stack.json"), "utf8")) as Template;
}

export function resourcesOfType(template: Template, type: string): [string, CfnResource][] {
  return Object.entries(template.Resources).filter(([, resource]) => resource.Type === type);
}
