/**
 * Bundles: each function in serverless.yml built as `npm run package` builds it (esbuild with the
 * `custom.esbuild` options: minified ESM for node20 with the require banner, the AWS SDK bundled
 * in), into a temporary folder; its size, and its module initialisation time: a cold `import` of
 * the bundle in a fresh Node process, timed inside that process, median of several.
 *
 * The function list and the options are read from serverless.yml with a few regular expressions
 * over its simple lines (no YAML library is a dependency), so they cannot drift from it.
 */
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { createRequire } from "node:module";
import type { BuildOptions, Metafile, Plugin } from "esbuild";
import { median, round, type BundleFigures } from "./report";

const run = promisify(execFile);

export class ServerlessConfigError extends Error {
  override name = "ServerlessConfigError";
}

export interface FunctionHandler {
  /** The function's name in serverless.yml, e.g. `webhookExactonline`. */
  name: string;
  /** The handler file without extension, e.g. `functions/webhook-exactonline`. */
  file: string;
  /** The exported handler, e.g. `handler`. */
  exported: string;
}

/** The `functions:` section's functions and their `handler:` lines. */
export function readFunctionHandlers(serverlessYml: string): FunctionHandler[] {
  const section = /^functions:\s*$([\s\S]*?)(?=^\S)/m.exec(serverlessYml)?.[1];
  if (!section) throw new ServerlessConfigError("serverless.yml has no functions: section");
  const handlers: FunctionHandler[] = [];
  let current: string | undefined;
  for (const line of section.split("\n")) {
    const name = /^ {2}([A-Za-z0-9_-]+):\s*$/.exec(line)?.[1];
    if (name) current = name;
    const handler = /^ {4}handler:\s*["']?([\w./-]+)\.(\w+)["']?\s*$/.exec(line);
    if (handler && current) handlers.push({ name: current, file: handler[1] as string, exported: handler[2] as string });
  }
  if (handlers.length === 0) throw new ServerlessConfigError("serverless.yml's functions: section names no handler");
  return handlers;
}

/** esbuild options from serverless.yml's `custom.esbuild` (the keys it uses), as serverless-esbuild passes them. */
export function readEsbuildOptions(serverlessYml: string): BuildOptions & { outputFileExtension: string; pluginsFile?: string } {
  const block = /^ {2}esbuild:\s*$([\s\S]*?)(?=^ {0,2}\S)/m.exec(serverlessYml)?.[1];
  if (!block) throw new ServerlessConfigError("serverless.yml has no custom.esbuild section");
  const scalar = (key: string) => new RegExp(`^ {4}${key}:\\s*(.+?)\\s*$`, "m").exec(block)?.[1]?.replace(/^["']|["']$/g, "");
  const list = (key: string) =>
    scalar(key)
      ?.replace(/^\[|\]$/g, "")
      .split(",")
      .map((item) => item.trim().replace(/^["']|["']$/g, ""))
      .filter(Boolean);
  const bannerJs = /^ {4}banner:\s*$\s*^ {6}js:\s*"(.*)"\s*$/m.exec(block)?.[1];
  const exclude = list("exclude") ?? [];
  return {
    bundle: scalar("bundle") === "true",
    minify: scalar("minify") === "true",
    sourcemap: scalar("sourcemap") === "true",
    target: scalar("target") ?? "node20",
    format: (scalar("format") ?? "cjs") as BuildOptions["format"],
    mainFields: list("mainFields") ?? ["main"],
    ...(bannerJs ? { banner: { js: bannerJs } } : {}),
    external: exclude,
    platform: "node",
    outputFileExtension: scalar("outputFileExtension") ?? ".js",
    ...(scalar("plugins") ? { pluginsFile: scalar("plugins") } : {}),
  };
}

export interface BundleOptions {
  /** The project folder (serverless.yml's). */
  root: string;
  /** Fresh processes per bundle; the median is reported. */
  imports: number;
}

/** Builds one bundle per handler file; answers bytes and the median cold import time, per function. */
export async function measureBundles({ root, imports }: BundleOptions): Promise<Record<string, BundleFigures>> {
  const { build } = await import("esbuild");
  const yml = await readFile(join(root, "serverless.yml"), "utf8");
  const functions = readFunctionHandlers(yml);
  const { outputFileExtension, pluginsFile, ...options } = readEsbuildOptions(yml);
  // serverless-esbuild loads `plugins:` as a CommonJS file exporting an array of plugins.
  const plugins = pluginsFile ? (createRequire(join(root, "package.json"))(resolve(root, pluginsFile)) as Plugin[]) : [];
  const outdir = await mkdtemp(join(tmpdir(), "bench-bundles-"));
  try {
    const byFile = new Map<string, Omit<BundleFigures, "handler">>();
    for (const file of new Set(functions.map((fn) => fn.file))) {
      const outfile = join(outdir, `${file.replaceAll("/", "_")}${outputFileExtension}`);
      const { metafile } = await build({
        ...options,
        plugins,
        absWorkingDir: root,
        entryPoints: [resolve(root, `${file}.ts`)],
        outfile,
        logLevel: "silent",
        metafile: true,
      });
      const bytes = (await stat(outfile)).size;
      const samples: number[] = [];
      for (let index = 0; index < imports; index++) samples.push(await coldImportMs(outfile));
      byFile.set(file, { bytes, initMs: round(median(samples), 1), largest: largestPackages(metafile, 3) });
    }
    return Object.fromEntries(
      functions.map((fn) => [
        fn.name,
        { ...(byFile.get(fn.file) as Omit<BundleFigures, "handler">), handler: `${fn.file}.${fn.exported}` },
      ]),
    );
  } finally {
    await rm(outdir, { recursive: true, force: true });
  }
}

/** The packages (or project folders) that take the most bytes of a bundle. */
export function largestPackages(metafile: Metafile, count: number): { name: string; bytes: number }[] {
  const sizes = new Map<string, number>();
  for (const output of Object.values(metafile.outputs)) {
    for (const [path, { bytesInOutput }] of Object.entries(output.inputs)) {
      const name = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path)?.[1] ?? path.split("/").slice(0, 2).join("/");
      sizes.set(name, (sizes.get(name) ?? 0) + bytesInOutput);
    }
  }
  return [...sizes]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([name, bytes]) => ({ name, bytes }));
}

/**
 * A fresh `node` with an almost empty environment (a handler must need none at import time)
 * imports the bundle and prints how long the import took, timed inside that process.
 */
async function coldImportMs(bundle: string): Promise<number> {
  const code =
    "const started = performance.now(); await import(process.argv[1]); process.stdout.write(String(performance.now() - started));";
  const { stdout } = await run(process.execPath, ["--input-type=module", "-e", code, pathToFileURL(bundle).href], {
    env: { PATH: process.env.PATH ?? "", AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" },
    timeout: 60_000,
  });
  const ms = Number(stdout.trim());
  if (!Number.isFinite(ms)) throw new ServerlessConfigError(`importing ${bundle} printed ${JSON.stringify(stdout)}`);
  return ms;
}
