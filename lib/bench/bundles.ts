/**
 * Bundles: each function in serverless.yml built as `npm run package` builds it (esbuild with the
 * `custom.esbuild` options: minified ESM for node20 with the require banner, the AWS SDK bundled
 * in), into a temporary folder; its size, and its module initialisation time: a cold `import` of
 * the bundle in a fresh Node process, timed inside that process, median of several.
 *
 * Beside each function, its baseline: a bundle holding nothing but the AWS SDK clients that
 * function calls (`SDK_CLIENTS`), built the same way and timed in the same run, alternating with
 * the function's own imports so that the machine's load weighs on both alike. The ratios say
 * what the function carries beyond the SDK it cannot do without.
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

/** A function's bundle holds other AWS SDK clients than its baseline: the ratios would compare unlike things. */
export class BaselineMismatchError extends Error {
  override name = "BaselineMismatchError";
}

export type SdkClient = "dynamodb" | "sqs" | "kms";

/**
 * The AWS SDK clients each deployed function calls, from what its code sends: the webhook
 * functions enqueue (SQS) and take each delivery once (DynamoDB); the worker and the poller read
 * and write links, cursors and the Exact token (DynamoDB), enqueue (SQS) and open the sealed
 * token (KMS); the OAuth functions keep tickets and the token (DynamoDB, KMS); replay moves
 * messages between queues (SQS); health calls nothing. A function missing here, or not bundling
 * a client its entry names, fails the bench (BaselineMismatchError): the baseline would not be its own.
 */
export const SDK_CLIENTS: Record<string, readonly SdkClient[]> = {
  webhookExactonline: ["dynamodb", "sqs"],
  webhookCrmoffice: ["dynamodb", "sqs"],
  poller: ["dynamodb", "sqs", "kms"],
  exactAuthorizationStart: ["dynamodb", "kms"],
  exactAuthorizationCallback: ["dynamodb", "kms"],
  health: [],
  worker: ["dynamodb", "sqs", "kms"],
  replay: ["sqs"],
};

/** The packages of each client, as the product uses them (DynamoDB through the SDK's document client). */
const SDK_CLIENT_PACKAGES: Record<SdkClient, Record<string, string[]>> = {
  dynamodb: { "@aws-sdk/client-dynamodb": ["DynamoDBClient"], "@aws-sdk/lib-dynamodb": ["DynamoDBDocumentClient"] },
  sqs: { "@aws-sdk/client-sqs": ["SQSClient"] },
  kms: { "@aws-sdk/client-kms": ["KMSClient"] },
};

/** The baseline's source: the clients' classes exported (so kept whole by the bundler), nothing else. */
export function baselineSource(clients: readonly SdkClient[]): string {
  const lines = clients.flatMap((client) =>
    Object.entries(SDK_CLIENT_PACKAGES[client]).map(([pkg, names]) => `export { ${names.join(", ")} } from "${pkg}";`),
  );
  return `${lines.join("\n")}\n`;
}

/** The AWS SDK client packages (`@aws-sdk/client-*`) a build's metafile holds. */
export function sdkClientPackages(metafile: Metafile): string[] {
  const found = new Set<string>();
  for (const path of Object.keys(metafile.inputs)) {
    const name = /node_modules\/(@aws-sdk\/client-[^/]+)\//.exec(path)?.[1];
    if (name) found.add(name);
  }
  return [...found].sort();
}

/**
 * The client packages the function bundles beyond its baseline's (weight it carries without
 * needing it, which the ratios count against it). Throws when it lacks one of its baseline's:
 * its entry in SDK_CLIENTS is then stale, and the baseline heavier than the function needs.
 */
export function extraSdkClients(functionName: string, bundled: readonly string[], clients: readonly SdkClient[] | undefined): string[] {
  if (clients === undefined) throw new BaselineMismatchError(`${functionName} has no entry in SDK_CLIENTS (lib/bench/bundles.ts)`);
  const expected = clients.flatMap((client) => Object.keys(SDK_CLIENT_PACKAGES[client]).filter((pkg) => pkg.includes("/client-")));
  const missing = expected.filter((pkg) => !bundled.includes(pkg));
  if (missing.length > 0)
    throw new BaselineMismatchError(`${functionName} does not bundle ${missing.join(", ")}, which its baseline holds: update SDK_CLIENTS`);
  return bundled.filter((pkg) => !expected.includes(pkg));
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

/**
 * Builds one bundle per handler file and one per baseline; answers, per function, the bytes and
 * the median cold import time of both (imports alternating between the two).
 */
export async function measureBundles({ root, imports }: BundleOptions): Promise<Record<string, BundleFigures>> {
  const { build } = await import("esbuild");
  const yml = await readFile(join(root, "serverless.yml"), "utf8");
  const functions = readFunctionHandlers(yml);
  const { outputFileExtension, pluginsFile, ...options } = readEsbuildOptions(yml);
  // serverless-esbuild loads `plugins:` as a CommonJS file exporting an array of plugins.
  const plugins = pluginsFile ? (createRequire(join(root, "package.json"))(resolve(root, pluginsFile)) as Plugin[]) : [];
  const outdir = await mkdtemp(join(tmpdir(), "bench-bundles-"));
  const bundle = async (name: string, input: Pick<BuildOptions, "entryPoints" | "stdin">) => {
    const outfile = join(outdir, `${name}${outputFileExtension}`);
    const { metafile } = await build({ ...options, ...input, plugins, absWorkingDir: root, outfile, logLevel: "silent", metafile: true });
    return { outfile, metafile, bytes: (await stat(outfile)).size };
  };
  try {
    const byFile = new Map<string, Awaited<ReturnType<typeof bundle>>>();
    for (const file of new Set(functions.map((fn) => fn.file)))
      byFile.set(file, await bundle(file.replaceAll("/", "_"), { entryPoints: [resolve(root, `${file}.ts`)] }));
    const baselines = new Map<string, Awaited<ReturnType<typeof bundle>>>();
    const figures: Record<string, BundleFigures> = {};
    for (const fn of functions) {
      const built = byFile.get(fn.file) as Awaited<ReturnType<typeof bundle>>;
      const clients = SDK_CLIENTS[fn.name];
      const extra = extraSdkClients(fn.name, sdkClientPackages(built.metafile), clients);
      const key = (clients ?? []).join("+") || "none";
      if (!baselines.has(key))
        baselines.set(
          key,
          await bundle(`baseline_${key}`, {
            stdin: { contents: baselineSource(clients ?? []), resolveDir: root, sourcefile: `baseline-${key}.ts`, loader: "ts" },
          }),
        );
      const baseline = baselines.get(key) as Awaited<ReturnType<typeof bundle>>;
      const own: number[] = [];
      const base: number[] = [];
      for (let index = 0; index < imports; index++) {
        own.push(await coldImportMs(built.outfile));
        base.push(await coldImportMs(baseline.outfile));
      }
      const initMs = round(median(own), 1);
      const baselineInitMs = round(median(base), 1);
      figures[fn.name] = {
        bytes: built.bytes,
        initMs,
        baselineBytes: baseline.bytes,
        baselineInitMs,
        bytesRatio: round(built.bytes / baseline.bytes),
        initRatio: round(initMs / baselineInitMs),
        sdkClients: [...(clients ?? [])],
        extraSdkClients: extra,
        handler: `${fn.file}.${fn.exported}`,
        largest: largestPackages(built.metafile, 3),
        largestBeyondBaseline: largestBeyond(built.metafile, baseline.metafile, 5),
      };
    }
    return figures;
  } finally {
    await rm(outdir, { recursive: true, force: true });
  }
}

/** Bytes per package (or project folder, e.g. `lib/connectors`) of a bundle. */
function packageSizes(metafile: Metafile): Map<string, number> {
  const sizes = new Map<string, number>();
  for (const output of Object.values(metafile.outputs)) {
    for (const [path, { bytesInOutput }] of Object.entries(output.inputs)) {
      const name = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path)?.[1] ?? path.split("/").slice(0, 2).join("/");
      sizes.set(name, (sizes.get(name) ?? 0) + bytesInOutput);
    }
  }
  return sizes;
}

const top = (sizes: Map<string, number>, count: number) =>
  [...sizes]
    .filter(([, bytes]) => bytes > 0)
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([name, bytes]) => ({ name, bytes }));

/** The packages (or project folders) that take the most bytes of a bundle. */
export function largestPackages(metafile: Metafile, count: number): { name: string; bytes: number }[] {
  return top(packageSizes(metafile), count);
}

/** What a bundle holds beyond its baseline, by package: the bytes each adds to it. */
export function largestBeyond(metafile: Metafile, baseline: Metafile, count: number): { name: string; bytes: number }[] {
  const own = packageSizes(metafile);
  for (const [name, bytes] of packageSizes(baseline)) own.set(name, (own.get(name) ?? 0) - bytes);
  return top(own, count);
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
