/**
 * The AWS SDK is bundled into every function (serverless.yml: nothing excluded), so the versions
 * installed here are the versions that run. The SDK's clients share runtime packages
 * (@aws-sdk/core, @smithy/*) whose classes are compared by identity (a client from one copy and
 * a command or an error class from another do not recognise each other), and a second copy of
 * them is also a second copy in every bundle. Hence: the project's @aws-sdk packages pinned to
 * one exact version, installed at it, and each shared runtime package installed once.
 */
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { dirname, join, relative } from "node:path";
import { describe, expect, it } from "vitest";

interface Manifest {
  name: string;
  version: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
}

const root = process.cwd();
const readManifest = async (dir: string) => JSON.parse(await readFile(join(dir, "package.json"), "utf8")) as Manifest;
const isSdkPackage = (name: string) => name.startsWith("@aws-sdk/");
const isSharedRuntime = (name: string) => name.startsWith("@aws-sdk/") || name.startsWith("@smithy/");

/** Where Node finds `name` when `dir`'s code imports it: the nearest node_modules up the tree. */
function resolvePackageDir(name: string, dir: string): string | undefined {
  for (let at = dir; ; at = dirname(at)) {
    const candidate = join(at, "node_modules", name);
    if (existsSync(join(candidate, "package.json"))) return candidate;
    if (at === root || dirname(at) === at) return undefined;
  }
}

/**
 * Every installed package the production dependencies reach (what the bundles are built from),
 * as name → the versions installed and where.
 */
async function productionTree(): Promise<Map<string, Map<string, string[]>>> {
  const found = new Map<string, Map<string, string[]>>();
  const seen = new Set<string>();
  const visit = async (dir: string, dependencies: string[]) => {
    for (const name of dependencies) {
      const packageDir = resolvePackageDir(name, dir);
      if (packageDir === undefined || seen.has(packageDir)) continue;
      seen.add(packageDir);
      const manifest = await readManifest(packageDir);
      const versions = found.get(name) ?? new Map<string, string[]>();
      versions.set(manifest.version, [...(versions.get(manifest.version) ?? []), relative(root, packageDir)]);
      found.set(name, versions);
      await visit(packageDir, [
        ...Object.keys(manifest.dependencies ?? {}),
        ...Object.keys(manifest.optionalDependencies ?? {}),
        ...Object.keys(manifest.peerDependencies ?? {}),
      ]);
    }
  };
  await visit(root, Object.keys((await readManifest(root)).dependencies ?? {}));
  return found;
}

describe("AWS SDK versions", () => {
  it("pins every @aws-sdk package the project uses to one exact version, and installs that version", async () => {
    const sdk = Object.entries((await readManifest(root)).dependencies ?? {}).filter(([name]) => isSdkPackage(name));
    expect(sdk.length).toBeGreaterThan(1);
    expect(new Set(sdk.map(([, version]) => version)).size, JSON.stringify(Object.fromEntries(sdk))).toBe(1);
    const [[, pinned]] = sdk as [[string, string]];
    expect(pinned).toMatch(/^\d+\.\d+\.\d+$/);
    const installed = await Promise.all(sdk.map(async ([name]) => [name, (await readManifest(join(root, "node_modules", name))).version]));
    expect(Object.fromEntries(installed)).toEqual(Object.fromEntries(sdk.map(([name]) => [name, pinned])));
  });

  it("installs each @aws-sdk and @smithy runtime package the functions bundle exactly once", async () => {
    const tree = await productionTree();
    expect(tree.has("@aws-sdk/core")).toBe(true);
    const duplicated = [...tree]
      .filter(([name, versions]) => isSharedRuntime(name) && [...versions.values()].flat().length > 1)
      .map(([name, versions]) => ({ name, installed: Object.fromEntries(versions) }));
    expect(duplicated).toEqual([]);
  });
});
