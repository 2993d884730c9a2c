/**
 * `npm run sandbox [-- --only exactonline|crmoffice]`: runs the Exact Online and CRMOffice
 * sandboxes as servers, prints their addresses and fixed dev credentials (as `.env` lines),
 * and stops cleanly on SIGINT/SIGTERM. Environment: EXACT_SANDBOX_PORT (3001),
 * CRMOFFICE_SANDBOX_PORT (3002), SANDBOX_SEED=demo|none (demo).
 */
import { parseArgs } from "node:util";
import { z } from "zod";
import { CRMOFFICE_SANDBOX_DEFAULT_PORT, startCrmOfficeSandbox } from "#lib/sandbox/crmoffice/server";
import { CRMOFFICE_SANDBOX, EXACT_SANDBOX } from "#lib/sandbox/dev-credentials";
import { startExactSandbox } from "#lib/sandbox/exactonline/server";

const SANDBOX_NAMES = ["exactonline", "crmoffice"] as const;
type SandboxName = (typeof SANDBOX_NAMES)[number];

/** How long a stop waits for webhook deliveries still under way (a second signal skips it). */
const DRAIN_LIMIT_MS = 5_000;

const USAGE = "usage: npm run sandbox [-- --only exactonline|crmoffice]";

class UsageError extends Error {
  override readonly name = "UsageError";
}

const portSchema = (fallback: number) =>
  z
    .string()
    .regex(/^\d{1,5}$/, "must be a port number")
    .transform(Number)
    .pipe(z.number().max(65535, "must be a port number"))
    .default(fallback);

const environmentSchema = z.object({
  EXACT_SANDBOX_PORT: portSchema(3001),
  CRMOFFICE_SANDBOX_PORT: portSchema(CRMOFFICE_SANDBOX_DEFAULT_PORT),
  SANDBOX_SEED: z.enum(["demo", "none"]).default("demo"),
});

interface RunningSandbox {
  drainDeliveries(): Promise<void>;
  stop(): Promise<void>;
}

function readConfiguration() {
  let only: string | undefined;
  try {
    ({ only } = parseArgs({ options: { only: { type: "string" } }, strict: true }).values);
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  if (only !== undefined && !SANDBOX_NAMES.includes(only as SandboxName)) {
    throw new UsageError(`--only must be exactonline or crmoffice, not "${only}"`);
  }
  const environment = environmentSchema.safeParse({
    EXACT_SANDBOX_PORT: process.env.EXACT_SANDBOX_PORT || undefined,
    CRMOFFICE_SANDBOX_PORT: process.env.CRMOFFICE_SANDBOX_PORT || undefined,
    SANDBOX_SEED: process.env.SANDBOX_SEED || undefined,
  });
  if (!environment.success) throw new UsageError(z.prettifyError(environment.error));
  const wanted = only === undefined ? [...SANDBOX_NAMES] : [only as SandboxName];
  return { wanted, ...environment.data };
}

function printBlock(title: string, settings: Record<string, string | number>): void {
  console.log(title);
  for (const [name, value] of Object.entries(settings)) console.log(`  ${name}=${value}`);
}

async function startSandbox(name: SandboxName, config: ReturnType<typeof readConfiguration>): Promise<RunningSandbox> {
  const seed = config.SANDBOX_SEED;
  if (name === "exactonline") {
    const exact = await startExactSandbox({ port: config.EXACT_SANDBOX_PORT, seed });
    printBlock(`Exact Online sandbox: ${exact.url} (seed: ${seed})`, {
      EXACT_BASE_URL: exact.url,
      EXACT_DIVISION: exact.division,
      EXACT_CLIENT_ID: exact.clientId,
      EXACT_CLIENT_SECRET: exact.clientSecret,
      EXACT_REDIRECT_URI: exact.redirectUri,
      EXACT_WEBHOOK_SECRET: exact.webhookSecret,
      EXACT_DEFAULT_ACCOUNT_ID: EXACT_SANDBOX.defaultAccountId,
    });
    return exact;
  }
  const crmOffice = await startCrmOfficeSandbox({ port: config.CRMOFFICE_SANDBOX_PORT, seed });
  printBlock(`CRMOffice sandbox: ${crmOffice.url} (seed: ${seed})`, {
    CRMOFFICE_BASE_URL: crmOffice.url,
    CRMOFFICE_CLIENT_ID: CRMOFFICE_SANDBOX.clientId,
    CRMOFFICE_CLIENT_SECRET: CRMOFFICE_SANDBOX.clientSecret,
    CRMOFFICE_WEBHOOK_SECRET: CRMOFFICE_SANDBOX.webhookSecret,
  });
  return crmOffice;
}

/** Resolves when every sandbox has drained its deliveries, or after `limitMs`. */
async function drainAll(sandboxes: RunningSandbox[], limitMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, limitMs);
  });
  await Promise.race([Promise.all(sandboxes.map((sandbox) => sandbox.drainDeliveries())), limit]);
  clearTimeout(timer);
}

async function main(): Promise<void> {
  const config = readConfiguration();
  const running: RunningSandbox[] = [];
  let stopped: Promise<void> | undefined;
  const stopAll = () => (stopped ??= Promise.all(running.map((sandbox) => sandbox.stop())).then(() => undefined));

  try {
    for (const name of config.wanted) running.push(await startSandbox(name, config));
  } catch (error) {
    await stopAll();
    throw error;
  }
  console.log("Press Ctrl+C to stop.");

  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      console.log(`${signal} again: stopping without waiting for deliveries`);
      void stopAll();
      return;
    }
    stopping = true;
    console.log(`${signal}: waiting for webhook deliveries, then stopping`);
    void drainAll(running, DRAIN_LIMIT_MS)
      .then(stopAll)
      .then(() => {
        process.off("SIGINT", onSignal);
        process.off("SIGTERM", onSignal);
        console.log("Sandboxes stopped.");
      });
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
}

main().catch((error: unknown) => {
  if (error instanceof UsageError) {
    console.error(`${error.message}\n${USAGE}`);
    process.exitCode = 2;
  } else {
    console.error("sandbox: could not start:", error instanceof Error ? error.message : error);
    process.exitCode = 1;
  }
});
