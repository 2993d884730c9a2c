/**
 * AWS's own DynamoDB Local (the Java jar), fetched once and run as a child process.
 *
 * The jar ships inside the npm package amplify-dynamodb-simulator (folder `emulator/`); we fetch
 * only that tarball with `npm pack` (so the user's npm registry, proxy and cache settings apply)
 * and check it against a pinned sha512 before unpacking, instead of installing the package and
 * the Amplify CLI it depends on.
 */
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { access, mkdir, mkdtemp, rename, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { DynamoDBClient, ListTablesCommand } from "@aws-sdk/client-dynamodb";
import { z } from "zod";
import { LOCAL_AWS_REGION, LOCAL_CREDENTIALS } from "./local-aws";

const run = promisify(execFile);

const PACKAGE_SPEC = "amplify-dynamodb-simulator@2.9.30";
/** sha512 of that tarball as published (npm's `dist.integrity`); contains DynamoDB Local 1.25.1. */
const PACKAGE_INTEGRITY = "sha512-xTeeRLvzEfqyd5lh3bH4c0kHvSHHmmhD5ZDsHFKAQ5g2Zl6JqlFdutaQhCLHzxEp6Ry1o7TB6niIoXuQAnSewQ==";
const JAR = "DynamoDBLocal.jar";
const NATIVE_LIBS = "DynamoDBLocal_lib";

/** `<project>/.local/dynamodb-local` (gitignored). */
export const DEFAULT_DYNAMODB_LOCAL_DIR = fileURLToPath(new URL("../../.local/dynamodb-local", import.meta.url));

/** Java is not on PATH; DynamoDB Local cannot run without it. */
export class JavaNotFoundError extends Error {
  override name = "JavaNotFoundError";
  constructor() {
    super(
      "DynamoDB Local needs Java 11 or newer, and `java` was not found on PATH (on Debian/Ubuntu: apt-get install openjdk-17-jre-headless)",
    );
  }
}

/** The DynamoDB Local files could not be fetched or unpacked. */
export class DynamoDbLocalDownloadError extends Error {
  override name = "DynamoDbLocalDownloadError";
}

/** The jar did not come up (it exited, or never answered in time). */
export class DynamoDbLocalStartError extends Error {
  override name = "DynamoDbLocalStartError";
}

/** Another process holds the port (the jar would hang on it rather than exit). */
export class DynamoDbLocalPortInUseError extends DynamoDbLocalStartError {
  override name = "DynamoDbLocalPortInUseError";
}

export interface DynamoDbLocalFiles {
  jar: string;
  nativeLibs: string;
}

/**
 * Makes sure the jar is unpacked in `dir`, fetching it on first use. Safe when several processes
 * race: each unpacks into its own temp dir and renames it into place; the loser drops its copy.
 */
export async function ensureDynamoDbLocal({ dir = DEFAULT_DYNAMODB_LOCAL_DIR }: { dir?: string } = {}): Promise<DynamoDbLocalFiles> {
  await assertJavaAvailable();
  const files = { jar: join(dir, JAR), nativeLibs: join(dir, NATIVE_LIBS) };
  if (await exists(files.jar)) return files;

  const parent = dirname(dir);
  await mkdir(parent, { recursive: true });
  const staging = await mkdtemp(join(parent, ".dynamodb-local-"));
  try {
    const tarball = await fetchPackage(staging);
    await extractEmulator(tarball, staging);
    try {
      await rename(join(staging, "package", "emulator"), dir);
    } catch (error) {
      // Another process finished first (rename onto a non-empty dir fails): use its copy.
      if (!(await exists(files.jar))) throw error;
    }
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
  return files;
}

async function assertJavaAvailable(): Promise<void> {
  try {
    await run("java", ["-version"]);
  } catch (error) {
    if (isErrnoException(error) && error.code === "ENOENT") throw new JavaNotFoundError();
    throw error;
  }
}

const PackOutputSchema = z.array(z.object({ filename: z.string() })).length(1);

async function fetchPackage(destination: string): Promise<string> {
  let stdout: string;
  try {
    ({ stdout } = await run("npm", ["pack", PACKAGE_SPEC, "--json", "--pack-destination", destination], {
      cwd: destination,
      maxBuffer: 16 * 1024 * 1024,
    }));
  } catch (error) {
    throw new DynamoDbLocalDownloadError(
      `Could not fetch DynamoDB Local (npm pack ${PACKAGE_SPEC}); is the npm registry reachable? ${lastLines(errorOutput(error))}`,
      { cause: error },
    );
  }
  const packed = PackOutputSchema.safeParse(parseJson(stdout));
  if (!packed.success) throw new DynamoDbLocalDownloadError(`npm pack ${PACKAGE_SPEC} printed no tarball name: ${lastLines(stdout)}`);
  const tarball = join(destination, packed.data[0]!.filename);
  const integrity = `sha512-${await sha512Base64(tarball)}`;
  if (integrity !== PACKAGE_INTEGRITY) {
    throw new DynamoDbLocalDownloadError(`${PACKAGE_SPEC} does not match its pinned integrity (got ${integrity})`);
  }
  return tarball;
}

async function extractEmulator(tarball: string, destination: string): Promise<void> {
  try {
    await run("tar", ["-xzf", tarball, "-C", destination, "package/emulator"]);
  } catch (error) {
    throw new DynamoDbLocalDownloadError(`Could not unpack ${tarball}: ${lastLines(errorOutput(error))}`, { cause: error });
  }
}

function sha512Base64(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash("sha512");
    createReadStream(file)
      .on("data", (chunk) => hash.update(chunk))
      .on("error", reject)
      .on("end", () => resolve(hash.digest("base64")));
  });
}

export interface DynamoDbLocal {
  /** e.g. `http://127.0.0.1:8000` */
  endpoint: string;
  port: number;
  /** Ends the Java process and waits until it has exited. */
  stop(): Promise<void>;
}

export interface DynamoDbLocalOptions {
  /** 0 picks a free port (the jar itself cannot). */
  port: number;
  /** Address the endpoint is reached at. The jar has no bind option: it listens on every interface. */
  host?: string;
  dir?: string;
  startTimeoutMs?: number;
}

/** Starts DynamoDB Local in memory and resolves once it answers ListTables. */
export async function startDynamoDbLocal({
  port,
  host = "127.0.0.1",
  dir,
  startTimeoutMs = 30_000,
}: DynamoDbLocalOptions): Promise<DynamoDbLocal> {
  const files = await ensureDynamoDbLocal({ dir });
  // A port we picked can be taken by someone else before Java binds it; pick again then.
  const attempts = port === 0 ? 3 : 1;
  for (let attempt = 1; ; attempt++) {
    const chosenPort = port === 0 ? await freePort(host) : port;
    try {
      return await launch(files, host, chosenPort, startTimeoutMs);
    } catch (error) {
      if (attempt >= attempts || !(error instanceof DynamoDbLocalPortInUseError)) throw error;
    }
  }
}

async function launch(files: DynamoDbLocalFiles, host: string, port: number, startTimeoutMs: number): Promise<DynamoDbLocal> {
  const child = spawn(
    "java",
    [
      // C1-only JIT and the serial GC: ~40% less CPU to start, plenty for a local database.
      "-XX:TieredStopAtLevel=1",
      "-XX:+UseSerialGC",
      `-Djava.library.path=${files.nativeLibs}`,
      "-jar",
      files.jar,
      "-inMemory",
      // One database for every access key and region, so the CLI, the stack and tests see the same tables.
      "-sharedDb",
      "-disableTelemetry",
      "-port",
      String(port),
    ],
    { cwd: dirname(files.jar), stdio: ["ignore", "pipe", "pipe"] },
  );
  track(child);
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const failedToStart = new Promise<never>((_, reject) => {
    const output = new OutputTail();
    const collect = (chunk: Buffer) => {
      output.add(chunk);
      if (/BindException|Address already in use/.test(output.text())) {
        reject(new DynamoDbLocalPortInUseError(`DynamoDB Local cannot listen on port ${port}: it is in use`));
      }
    };
    child.stdout?.on("data", collect);
    child.stderr?.on("data", collect);
    child.on("error", (error) => reject(isErrnoException(error) && error.code === "ENOENT" ? new JavaNotFoundError() : error));
    child.once("exit", (code) =>
      reject(new DynamoDbLocalStartError(`DynamoDB Local exited during start (code ${code}): ${output.text()}`)),
    );
  });
  // Once started, an exit is the expected end of stop(), not a failure.
  failedToStart.catch(() => {});

  const endpoint = `http://${host.includes(":") ? `[${host}]` : host}:${port}`;
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM");
      const killTimer = setTimeout(() => child.kill("SIGKILL"), 5_000);
      await exited;
      clearTimeout(killTimer);
    }
  };

  const giveUp = new AbortController();
  try {
    await Promise.race([waitUntilAnswering(endpoint, startTimeoutMs, giveUp.signal), failedToStart]);
  } catch (error) {
    await stop();
    throw error;
  } finally {
    giveUp.abort();
  }
  return { endpoint, port, stop };
}

async function waitUntilAnswering(endpoint: string, timeoutMs: number, giveUp: AbortSignal): Promise<void> {
  const client = new DynamoDBClient({
    endpoint,
    region: LOCAL_AWS_REGION,
    credentials: LOCAL_CREDENTIALS,
    maxAttempts: 1,
  });
  const deadline = Date.now() + timeoutMs;
  try {
    while (!giveUp.aborted) {
      try {
        await client.send(new ListTablesCommand({ Limit: 1 }), { abortSignal: AbortSignal.timeout(2_000) });
        return;
      } catch (error) {
        if (Date.now() > deadline) {
          throw new DynamoDbLocalStartError(`DynamoDB Local did not answer at ${endpoint} within ${timeoutMs} ms`, { cause: error });
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  } finally {
    client.destroy();
  }
}

function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, host, () => {
      const address = server.address();
      server.close(() => (address && typeof address === "object" ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}

/*
 * Children still running when this process ends are killed, so no Java process outlives
 * `npm start` or a test run: on normal exit, and on SIGINT/SIGTERM when nobody else handles them
 * (then the signal is re-raised so the process still ends the default way).
 */
const running = new Set<ChildProcess>();
const SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"] as const;

function killAllNow(): void {
  for (const child of running) child.kill("SIGKILL");
}

function onSignal(signal: NodeJS.Signals): void {
  // Another listener means the application shuts down itself (and the exit hook is the backstop).
  if (process.listenerCount(signal) > 1) return;
  killAllNow();
  removeProcessHooks();
  process.kill(process.pid, signal);
}

function addProcessHooks(): void {
  process.on("exit", killAllNow);
  for (const signal of SIGNALS) process.on(signal, onSignal);
}

function removeProcessHooks(): void {
  process.off("exit", killAllNow);
  for (const signal of SIGNALS) process.off(signal, onSignal);
}

function track(child: ChildProcess): void {
  if (running.size === 0) addProcessHooks();
  running.add(child);
  child.once("exit", () => {
    running.delete(child);
    if (running.size === 0) removeProcessHooks();
  });
}

/** Keeps the last few KB of the jar's output for error messages. */
class OutputTail {
  private chunks: Buffer[] = [];
  private size = 0;
  add(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.size += chunk.length;
    while (this.size > 8_192 && this.chunks.length > 1) this.size -= this.chunks.shift()!.length;
  }
  text(): string {
    return Buffer.concat(this.chunks).toString("utf8").trim();
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

function isErrnoException(error: unknown): error is NodeJS.ErrnoException {
  return error instanceof Error && "code" in error;
}

function errorOutput(error: unknown): string {
  if (error && typeof error === "object" && "stderr" in error && typeof error.stderr === "string" && error.stderr.trim()) {
    return error.stderr;
  }
  return error instanceof Error ? error.message : String(error);
}

function lastLines(text: string, count = 5): string {
  return text.trim().split("\n").slice(-count).join("\n");
}
