/**
 * The CloudFormation template `npm run package` builds (osls, offline, no credentials), as the
 * deploy would send it to AWS: the tests hold the deployment to it, not to serverless.yml's text.
 */
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
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
  await oneAtATime(() =>
    promisify(execFile)("npx", ["serverless", "package", "--stage", "test", "--package", folder], {
      env: { ...process.env, ...env },
      timeout: 120_000,
    }),
  );
  return JSON.parse(await readFile(join(folder, "cloudformation-template-update-stack.json"), "utf8")) as Template;
}

/**
 * A packaging builds in the service's own folders whatever `--package` says (serverless-esbuild's
 * `.esbuild/`, osls's `.serverless/`, each emptied at the start), so two at once (test files run
 * in parallel) break each other: they take turns, across processes, through a lock directory.
 */
async function oneAtATime<T>(work: () => Promise<T>): Promise<T> {
  const lock = join(tmpdir(), `package-${createHash("sha256").update(process.cwd()).digest("hex").slice(0, 16)}.lock`);
  const deadline = Date.now() + 600_000;
  for (;;) {
    try {
      await mkdir(lock);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      if (await heldByTheDead(lock)) await rm(lock, { recursive: true, force: true });
      else if (Date.now() > deadline) throw new Error(`another packaging still holds ${lock}`, { cause: error });
      else await sleep(250);
    }
  }
  try {
    await writeFile(join(lock, "pid"), String(process.pid));
    return await work();
  } finally {
    await rm(lock, { recursive: true, force: true });
  }
}

/** A lock whose process is gone (killed mid-packaging); one just taken has no pid yet and is live. */
async function heldByTheDead(lock: string): Promise<boolean> {
  const pid = Number(await readFile(join(lock, "pid"), "utf8").catch(() => ""));
  if (!pid) return false;
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "ESRCH";
  }
}

export const listOf = <T>(value: T | T[] | undefined): T[] => (value === undefined ? [] : Array.isArray(value) ? value : [value]);

export function resourcesOfType(template: Template, type: string): [string, CfnResource][] {
  return Object.entries(template.Resources).filter(([, resource]) => resource.Type === type);
}

/** A function of serverless.yml (by its name there) in the packaged template. */
export interface PackagedFunction {
  name: string;
  logicalId: string;
  properties: Record<string, unknown>;
  environment: Record<string, unknown>;
  /** The logical id of its IAM role. */
  role: string;
}

/** The stage `packagedTemplate` packages for: function names are `<service>-test-<name>`. */
const STAGE_INFIX = "-test-";

export function packagedFunctions(template: Template): Map<string, PackagedFunction> {
  const functions = new Map<string, PackagedFunction>();
  for (const [logicalId, resource] of resourcesOfType(template, "AWS::Lambda::Function")) {
    const properties = resource.Properties ?? {};
    const name = String(properties.FunctionName).split(STAGE_INFIX)[1] ?? logicalId;
    const role = (properties.Role as { "Fn::GetAtt"?: [string, string] } | undefined)?.["Fn::GetAtt"]?.[0];
    if (!role) throw new Error(`function ${name} has no role of this template (Fn::GetAtt)`);
    const environment = (properties.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {};
    functions.set(name, { name, logicalId, properties, environment, role });
  }
  return functions;
}

/**
 * A template value written as text for comparisons: `Fn::GetAtt` as `Name.Attribute`, `Ref` as
 * `Ref:Name`, `Fn::Sub` as its string, `Fn::Join` joined.
 */
export function describeValue(value: unknown): string {
  if (typeof value === "string" || typeof value === "number" || typeof value === "boolean") return String(value);
  if (Array.isArray(value)) return value.map(describeValue).join(",");
  if (value && typeof value === "object") {
    const intrinsic = value as Record<string, unknown>;
    if (Array.isArray(intrinsic["Fn::GetAtt"])) return (intrinsic["Fn::GetAtt"] as string[]).join(".");
    if (typeof intrinsic.Ref === "string") return `Ref:${intrinsic.Ref}`;
    if (typeof intrinsic["Fn::Sub"] === "string") return intrinsic["Fn::Sub"];
    if (Array.isArray(intrinsic["Fn::Join"])) {
      const [separator, parts] = intrinsic["Fn::Join"] as [string, unknown[]];
      return parts.map(describeValue).join(separator);
    }
  }
  return JSON.stringify(value);
}
