import { spawn } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually } from "../support/sandbox-users";
import { startTestStack, type TestStack, itCausedNoExactErrorBlock } from "../support/stack";

/*
 * A backfill of Exact records (employees) into an empty CRMOffice: killed half way, then run
 * again. Exact's own rate limit stays at its real 60 calls a minute for the product. The suite
 * uses 2,000 records (two 1,000-row sync pages) to stay quick; the figure is 5,000:
 *   BACKFILL_TEST_RECORDS=5000 npx vitest run test/e2e/backfill-resume.test.ts
 */
const RECORDS = Number(process.env.BACKFILL_TEST_RECORDS ?? 2_000);
let t: TestStack;

beforeAll(async () => {
  t = await startTestStack({ exactSandbox: { rateLimit: { perMinute: 60, perDay: 5_000 } } });
  const put = (index: number) =>
    fetch(`${t.stack.urls.exactonline}/_sandbox/employees/00000000-0000-4000-8000-${String(index).padStart(12, "0")}`, {
      method: "PUT",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        FirstName: `Ansatt${index}`,
        LastName: "Backfill",
        BusinessEmail: `ansatt${index}@example.com`,
        Phone: `+47 2${String(index).padStart(7, "0")}`,
      }),
    });
  for (let start = 0; start < RECORDS; start += 50) {
    const responses = await Promise.all(Array.from({ length: 50 }, (_, offset) => put(start + offset)));
    expect(responses.every((response) => response.ok)).toBe(true);
  }
}, 120_000);

afterAll(async () => {
  await t?.stack.stop();
});

const crmContactCount = async () => {
  const response = await fetch(`${t.stack.urls.crmoffice}/contacts?pageSize=1`, {
    headers: { authorization: `Bearer ${await crmToken()}` },
  });
  return ((await response.json()) as { totalCount: number }).totalCount;
};
let token: string | undefined;
async function crmToken(): Promise<string> {
  if (!token) {
    const response = await fetch(`${t.stack.urls.crmoffice}/connect/token`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({
        grant_type: "client_credentials",
        client_id: process.env.CRMOFFICE_CLIENT_ID ?? "",
        client_secret: process.env.CRMOFFICE_CLIENT_SECRET ?? "",
      }),
    });
    token = ((await response.json()) as { access_token: string }).access_token;
  }
  return token;
}

describe(`backfill of ${RECORDS} Exact records`, () => {
  it(
    "survives being killed half way: the rerun completes with every record once",
    async () => {
      const started = Date.now();
      const child = spawn(process.execPath, ["--import", "tsx", "test/support/backfill-process.ts", "employees"], {
        env: process.env,
        stdio: ["ignore", "pipe", "pipe"],
      });
      let output = "";
      child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
      child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
      let exitCode: number | null | undefined;
      const exited = new Promise((resolve) => child.once("exit", (code) => resolve((exitCode = code))));
      await eventually(
        async () => {
          if (exitCode !== undefined) throw new Error(`the backfill ended early (${exitCode}): ${output.slice(-1500)}`);
          // Half way, and into a page whose checkpoint is not stored yet.
          return (await crmContactCount()) >= RECORDS / 2 + 200;
        },
        RECORDS * 200,
        "half the contacts",
      );
      child.kill("SIGKILL");
      await exited;
      const atKill = await crmContactCount();
      expect(atKill).toBeLessThan(RECORDS);
      expect(output).not.toContain("done");

      const rerun = await t.backfill({ flows: ["employees"] });
      const seconds = (Date.now() - started) / 1000;

      const contacts = await t.crm.list("/contacts");
      const emails = contacts.map((contact) => String(contact.email));
      expect(contacts).toHaveLength(RECORDS);
      expect(new Set(emails).size).toBe(RECORDS);

      const exactStats = t.stack.exactSandbox.stats();
      const syncReads = exactStats.calls["GET /api/v1/3183061/sync/Payroll/Employees"] ?? 0;
      const allExactCalls = Object.entries(exactStats.calls)
        .filter(([key]) => key.includes("/api/v1/"))
        .reduce((sum, [, count]) => sum + count, 0);
      console.info(
        `backfill: ${RECORDS} records, killed at ${atKill}, total ${seconds.toFixed(1)} s (${(RECORDS / seconds).toFixed(0)} records/s); ` +
          `rerun decisions ${JSON.stringify(rerun.map((run) => run.decisions))}; Exact sync reads ${syncReads}, all Exact API calls ${allExactCalls}`,
      );
      // Two runs of at most one call per 1,000-row page (plus the empty last page), and the stack's first poll.
      expect(syncReads).toBeLessThanOrEqual(2 * (Math.ceil(RECORDS / 1000) + 1) + 1);
      // The new CRMOffice contacts belong to the employees flow: none was taken for a contact born
      // in CRMOffice and pushed into Exact's Contacts, not even those a killed run left half-linked.
      expect(exactStats.calls["POST /api/v1/3183061/crm/Contacts"] ?? 0).toBe(0);
      // Exact's limit of 60 calls a minute was never hit.
      expect(exactStats.rateLimited).toBe(0);
    },
    RECORDS * 400,
  );
});

itCausedNoExactErrorBlock(() => t.stack);
