import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { documentClient } from "#lib/aws/dynamodb";
import { FailureLog } from "#lib/links/failures";
import { replayDeadLetters } from "#lib/sync/replay";
import { EXACT_SANDBOX } from "#lib/sandbox/dev-credentials";
import type { LocalStack } from "#lib/local/stack";
import { useTestAws } from "../support/aws";
import { compareContents, ExpectedContents, queueDepth, type Comparison } from "../support/contents";
import { eventually, type CrmUser, type ExactUser } from "../support/sandbox-users";
import { setEnv } from "../support/env";
import { startTestStack, writeCalls } from "../support/stack";
import { startTcpProxy, type TcpProxy } from "#lib/local/tcp-proxy";
import { startWorkerProcess, type WorkerProcess } from "#lib/local/worker-processes";

/*
 * Nothing lost, nothing duplicated, under faults. One stack for the file (its DynamoDB behind a
 * proxy that can refuse connections). Each test makes the same kind of known change set (20
 * creates and 10 updates across both systems and both two-way flows), injects its fault while
 * the worker handles them, waits until the queue is empty and both systems are quiet, then
 * compares BOTH systems' full contents with the model of what they must hold (everything made
 * in every test so far): each record once on each side, with the right values.
 *
 * Webhooks are delivered 400 ms late, so a fault armed right after the changes are made hits
 * the product's calls, not the test's own. Timeouts are short (1 s per call, leases of 4 s,
 * messages hidden 3 s), so retries come within seconds.
 */
const HTTP_TIMEOUT_MS = 1_000;
const VISIBILITY_TIMEOUT_SECONDS = 3;

let restoreEnv: () => void = () => undefined;
let stack: LocalStack;
let exact: ExactUser;
let crm: CrmUser;
let dynamo: TcpProxy;
const children: WorkerProcess[] = [];
const expected = new ExpectedContents();
const base = {
  contacts: [] as { email: string; exactId: string; crmId: string }[],
  items: [] as { code: string; exactId: string; crmId: string }[],
};

interface Measured {
  fault: string;
  changes: number;
  lost: number;
  duplicated: number;
  convergenceMs: number;
  deadLettered: number;
}
const measured: Measured[] = [];

beforeAll(async () => {
  restoreEnv = setEnv({
    HTTP_TIMEOUT_MS: String(HTTP_TIMEOUT_MS),
    SYNC_LEASE_MS: "4000",
    EXACT_CALLS_PER_MINUTE: "100000",
    EXACT_CALLS_PER_DAY: "1000000",
  });
  const aws = useTestAws();
  dynamo = await startTcpProxy(aws.dynamoEndpoint);
  const t = await startTestStack({
    aws: { dynamoEndpoint: dynamo.url, sqsEndpoint: aws.sqsEndpoint },
    visibilityTimeoutSeconds: VISIBILITY_TIMEOUT_SECONDS,
    workerConcurrency: 2,
    exactSandbox: { delivery: { delayMs: 400 } },
    crmofficeSandbox: { delivery: { delayMs: 400 } },
    // Failed batches are the point here; the worker's own logs say why.
    log: { error: () => undefined },
  });
  ({ stack, exact, crm } = t);

  // The records the tests' updates edit, made on both sides and synced before any fault.
  await Promise.all([
    ...[0, 1, 2].map((i) =>
      exact.post("crm/Contacts", {
        Account: EXACT_SANDBOX.defaultAccountId,
        FirstName: `Base${i}`,
        LastName: "Exact",
        Email: `base${i}@example.com`,
      }),
    ),
    ...[3, 4, 5].map((i) => crm.post("/contacts", { givenName: `Base${i}`, familyName: "Crm", email: `base${i}@example.com` })),
    ...[0, 1].map((i) => exact.post("logistics/Items", { Code: `BASE-${i}`, Description: `Base item ${i}` })),
    ...[2, 3].map((i) => crm.post("/companies", { name: `Base item ${i}`, orgNr: `BASE-${i}` })),
  ]);
  for (const i of [0, 1, 2]) expected.contact(`base${i}@example.com`, { firstName: `Base${i}`, lastName: "Exact" });
  for (const i of [3, 4, 5]) expected.contact(`base${i}@example.com`, { firstName: `Base${i}`, lastName: "Crm" });
  for (const i of [0, 1, 2, 3]) expected.item(`BASE-${i}`, `Base item ${i}`);
  await eventually(
    async () => (await compareContents(expected, exact, crm)).problems.length === 0,
    30_000,
    "the base records in both systems",
  );
  const exactContacts = await exact.list("crm/Contacts?$select=ID,Email");
  const crmContacts = await crm.list("/contacts");
  for (const i of [0, 1, 2, 3, 4, 5]) {
    const email = `base${i}@example.com`;
    base.contacts.push({
      email,
      exactId: String(exactContacts.find((row) => row.Email === email)?.ID),
      crmId: String(crmContacts.find((row) => row.email === email)?.id),
    });
  }
  const exactItems = await exact.list("logistics/Items?$select=ID,Code");
  const crmCompanies = await crm.list("/companies");
  for (const i of [0, 1, 2, 3]) {
    const code = `BASE-${i}`;
    base.items.push({
      code,
      exactId: String(exactItems.find((row) => row.Code === code)?.ID),
      crmId: String(crmCompanies.find((row) => row.orgNr === code)?.id),
    });
  }
}, 90_000);

afterAll(async () => {
  restoreEnv();
  for (const child of children) await child.kill("SIGKILL");
  await stack?.stop();
  await dynamo?.close();
  if (measured.length > 0) {
    console.info(
      [
        "fault | changes | lost | duplicated | dead-lettered | convergence ms",
        ...measured.map(
          (row) => `${row.fault} | ${row.changes} | ${row.lost} | ${row.duplicated} | ${row.deadLettered} | ${row.convergenceMs}`,
        ),
      ].join("\n"),
    );
  }
});

/** A user retries what a busy system refused; the product's calls are the ones under test. */
async function persist<T>(call: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      if (attempt >= 20 || !/HTTP (5\d\d|429)/.test(String(error))) throw error;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}

/** 20 creates and 10 updates across both systems and both two-way flows, all at once; returns how many. */
async function makeChanges(tag: string, round: number): Promise<number> {
  const TAG = tag.toUpperCase();
  const changes: (() => Promise<unknown>)[] = [];
  for (let i = 0; i < 6; i++) {
    const email = `${tag}-e${i}@example.com`;
    expected.contact(email, { firstName: `E${i}`, lastName: `Exact ${tag}`, phone: `+47 21 00 0${round}${i}` });
    changes.push(() =>
      exact.post("crm/Contacts", {
        Account: EXACT_SANDBOX.defaultAccountId,
        FirstName: `E${i}`,
        LastName: `Exact ${tag}`,
        Email: email,
        Phone: `+47 21 00 0${round}${i}`,
      }),
    );
  }
  for (let i = 0; i < 6; i++) {
    const email = `${tag}-c${i}@example.com`;
    expected.contact(email, { firstName: `C${i}`, lastName: `Crm ${tag}`, mobile: `+47 91 00 0${round}${i}` });
    changes.push(() =>
      crm.post("/contacts", { givenName: `C${i}`, familyName: `Crm ${tag}`, email, mobilePhone: `+47 91 00 0${round}${i}` }),
    );
  }
  for (let i = 0; i < 4; i++) {
    expected.item(`${TAG}-I${i}`, `Item ${i} from Exact ${tag}`);
    changes.push(() => exact.post("logistics/Items", { Code: `${TAG}-I${i}`, Description: `Item ${i} from Exact ${tag}` }));
    expected.item(`${TAG}-C${i}`, `Company ${i} from CRMOffice ${tag}`);
    changes.push(() => crm.post("/companies", { name: `Company ${i} from CRMOffice ${tag}`, orgNr: `${TAG}-C${i}` }));
  }
  // Updates of the synced base records, alternating the side each round.
  base.contacts.forEach((record, i) => {
    const viaExact = (i + round) % 2 === 0;
    const change = i % 2 === 0 ? { lastName: `Base ${tag}` } : { phone: `+47 22 ${round}0 00 ${i}0` };
    expected.contact(record.email, change);
    changes.push(async () => {
      if (viaExact) {
        await exact.put(
          `crm/Contacts(guid'${record.exactId}')`,
          "lastName" in change ? { LastName: change.lastName } : { Phone: change.phone },
        );
        return;
      }
      const { givenName, familyName, email, directPhone, mobilePhone } = (await crm.get(`/contacts/${record.crmId}`)) ?? {};
      const body = { givenName, familyName, email, directPhone, mobilePhone };
      await crm.put(`/contacts/${record.crmId}`, {
        ...body,
        ...("lastName" in change ? { familyName: change.lastName } : { directPhone: change.phone }),
      });
    });
  });
  base.items.forEach((record, i) => {
    const name = `Base item ${i} ${tag}`;
    expected.item(record.code, name);
    changes.push(() =>
      (i + round) % 2 === 0
        ? exact.put(`logistics/Items(guid'${record.exactId}')`, { Description: name })
        : crm.put(`/companies/${record.crmId}`, { name, orgNr: record.code }),
    );
  });
  await Promise.all(changes.map((change) => persist(change)));
  return changes.length;
}

/** Arms a fault on one sandbox through its `/_sandbox/faults` route. */
async function fault(system: "exactonline" | "crmoffice", spec: Record<string, unknown>): Promise<void> {
  const response = await fetch(`${stack.urls[system]}/_sandbox/faults`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(spec),
  });
  expect(response.status).toBe(201);
}

async function clearFaults(): Promise<void> {
  for (const system of ["exactonline", "crmoffice"] as const) await fetch(`${stack.urls[system]}/_sandbox/faults`, { method: "DELETE" });
}

/**
 * Waits until the events queue is empty and neither sandbox has seen a write or a webhook
 * delivery for `quietMs`; returns when the last of those happened.
 */
async function quiet(quietMs = 1_500, timeoutMs = 60_000): Promise<number> {
  const snapshot = () =>
    JSON.stringify([stack.exactSandbox.stats(), stack.crmofficeSandbox.stats()].map((stats) => [writeCalls(stats), stats.deliveries]));
  let previous = snapshot();
  let lastChangeAt = Date.now();
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    const now = snapshot();
    if (now !== previous) {
      previous = now;
      lastChangeAt = Date.now();
      continue;
    }
    if (Date.now() - lastChangeAt >= quietMs && (await queueDepth(stack.queueUrl)) === 0) return lastChangeAt;
    if (Date.now() > deadline) throw new Error(`not quiet after ${timeoutMs} ms (queue depth ${await queueDepth(stack.queueUrl)})`);
  }
}

let round = 0;
/**
 * One fault test: make the changes, let `inject` do its damage while the worker runs, wait for
 * quiet, then compare everything. Returns the comparison; records the figures for the README.
 */
async function underFault(
  name: string,
  inject: () => Promise<void>,
  afterQuiet?: () => Promise<number>,
): Promise<Comparison & { failures: string[] }> {
  round += 1;
  const tag = `r${round}`;
  const started = Date.now();
  let lastChangeAt: number;
  let changes: number;
  let deadLettered = 0;
  try {
    changes = await makeChanges(tag, round);
    await inject();
    lastChangeAt = await quiet();
  } finally {
    await clearFaults();
  }
  if (afterQuiet) {
    deadLettered = await afterQuiet();
    lastChangeAt = await quiet();
  }
  const comparison = await compareContents(expected, exact, crm);
  measured.push({
    fault: name,
    changes,
    lost: comparison.lost,
    duplicated: comparison.duplicated,
    convergenceMs: lastChangeAt - started,
    deadLettered,
  });
  // What the worker saw go wrong meanwhile (its failure log), to show the fault really hit it.
  const since = new Date(started).toISOString();
  const failures = (await new FailureLog(documentClient(), stack.tableName).recent(500))
    .filter((failure) => failure.at >= since)
    .map((failure) => failure.reason);
  return { ...comparison, failures };
}

describe("nothing lost, nothing duplicated, under faults", () => {
  it("bursts of 500 on both systems, three times while the worker runs", async () => {
    const comparison = await underFault("500 bursts (3 × 4 calls per system)", async () => {
      for (let burst = 0; burst < 3; burst++) {
        await fault("exactonline", { status: 500, times: 4 });
        await fault("crmoffice", { status: 500, times: 4 });
        await new Promise((resolve) => setTimeout(resolve, 700));
      }
    });
    expect(comparison.failures.some((reason) => reason.includes("answered 500"))).toBe(true);
    expect(comparison.problems).toEqual([]);
    expect(await queueDepth(stack.deadLetterQueueUrl)).toBe(0);
  });

  it("bursts of 503 on both systems; one record whose every write fails is dead-lettered alone, and replay brings it in", async () => {
    // The base contact this round edits in Exact: its write to CRMOffice fails every time.
    const doomed = base.contacts.find((_, i) => (i + round + 1) % 2 === 0) as (typeof base.contacts)[number];
    let deadLetters: string[] = [];
    const comparison = await underFault(
      "503 bursts (3 × 4 calls per system), plus every write of one record",
      async () => {
        await fault("crmoffice", { status: 503, times: 1000, method: "PUT", path: `/contacts/${doomed.crmId}` });
        for (let burst = 0; burst < 3; burst++) {
          await fault("exactonline", { status: 503, times: 4 });
          await fault("crmoffice", { status: 503, times: 4 });
          await new Promise((resolve) => setTimeout(resolve, 700));
        }
      },
      async () => {
        // The dead-letter queue holds exactly the event whose write kept failing; replay moves it back.
        const summary = await replayDeadLetters({
          deadLetterQueueUrl: stack.deadLetterQueueUrl,
          queueUrl: stack.queueUrl,
          dryRun: true,
          visibilityTimeoutSeconds: 1,
        });
        deadLetters = summary.events.map((event) => `${event.system}/${event.recordType}/${event.recordId}`);
        const moved = await replayDeadLetters({ deadLetterQueueUrl: stack.deadLetterQueueUrl, queueUrl: stack.queueUrl });
        expect(moved.moved).toBe(summary.events.length);
        return summary.events.length;
      },
    );
    expect(comparison.failures.filter((reason) => reason.includes("answered 503")).length).toBeGreaterThanOrEqual(5);
    expect(deadLetters).toEqual([`exactonline/contact/${doomed.exactId}`]);
    expect(comparison.problems).toEqual([]);
    expect(await queueDepth(stack.deadLetterQueueUrl)).toBe(0);
  }, 90_000);

  it("bursts of 429 on both systems: waits, never dead-letters", async () => {
    const comparison = await underFault("429 bursts (3 × 6 calls per system)", async () => {
      for (let burst = 0; burst < 3; burst++) {
        await fault("exactonline", { status: 429, times: 6 });
        await fault("crmoffice", { status: 429, times: 6 });
        await new Promise((resolve) => setTimeout(resolve, 700));
      }
    });
    expect(comparison.problems).toEqual([]);
    expect(await queueDepth(stack.deadLetterQueueUrl)).toBe(0);
  });

  it("timeouts: both systems answer slower than the connectors wait, while the late writes still land", async () => {
    const comparison = await underFault(
      `timeouts (2 × 6 calls per system answered after 1.5 s; the connectors give up after ${HTTP_TIMEOUT_MS} ms)`,
      async () => {
        for (let burst = 0; burst < 2; burst++) {
          await fault("exactonline", { delayMs: 1_500, times: 6 });
          await fault("crmoffice", { delayMs: 1_500, times: 6 });
          await new Promise((resolve) => setTimeout(resolve, 1_000));
        }
      },
    );
    expect(comparison.failures.some((reason) => reason.includes(`timed out after ${HTTP_TIMEOUT_MS} ms`))).toBe(true);
    expect(comparison.problems).toEqual([]);
    expect(await queueDepth(stack.deadLetterQueueUrl)).toBe(0);
  });

  it("a worker process killed (SIGKILL) while it holds a batch: its messages come back after the visibility timeout", async () => {
    const child = startWorkerProcess({ queueUrl: stack.queueUrl, concurrency: 4 });
    children.push(child);
    await child.ready;
    let heldWhenKilled = 0;
    const comparison = await underFault("worker process killed mid-batch", async () => {
      // Slow answers keep the second worker busy with what it took, so it dies holding it.
      await fault("exactonline", { delayMs: 800, times: 6 });
      await fault("crmoffice", { delayMs: 800, times: 6 });
      await eventually(async () => child.taken() > 0, 20_000, "the second worker to take a batch");
      await new Promise((resolve) => setTimeout(resolve, 300));
      heldWhenKilled = child.taken();
      await child.kill("SIGKILL");
    });
    expect(heldWhenKilled).toBeGreaterThan(0);
    expect(comparison.problems).toEqual([]);
    expect(await queueDepth(stack.deadLetterQueueUrl)).toBe(0);
  }, 90_000);

  it("DynamoDB unreachable for 5 seconds while the worker runs", async () => {
    const comparison = await underFault("DynamoDB refusing connections for 5 s", async () => {
      await new Promise((resolve) => setTimeout(resolve, 450));
      await dynamo.outage(5_000);
    });
    expect(comparison.problems).toEqual([]);
    expect(await queueDepth(stack.deadLetterQueueUrl)).toBe(0);
  }, 90_000);
});
