import { randomUUID } from "node:crypto";
import { GetQueueAttributesCommand, SendMessageCommand } from "@aws-sdk/client-sqs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { handler as replayFunction } from "#functions/replay";
import { documentClient } from "#lib/aws/dynamodb";
import { sqsClient } from "#lib/aws/sqs";
import type { ChangeEvent } from "#lib/events/change-event";
import { SyncLog } from "#lib/links/sync-log";
import { createLambdaContext } from "#lib/local/lambda-context";
import { startLocalStack, type LocalStack } from "#lib/local/stack";
import { DEMO_IDS } from "#lib/sandbox/exactonline/seed";
import type { ReplaySummary } from "#lib/sync/replay";
import { uniqueName, useTestAws } from "../support/aws";
import { crmUser, eventually } from "../support/sandbox-users";
import { quietLog, syncctl } from "./support";

/*
 * syncctl replay and the replay Lambda: hand-made change events put straight on the dead-letter
 * queue, moved back by flow, and processed by the stack's worker.
 */
let stack: LocalStack;
let crmCompanyId: string;
let crmContactId: string;

beforeAll(async () => {
  stack = await startLocalStack({
    aws: useTestAws(),
    ports: { api: 0, exactonline: 0, crmoffice: 0 },
    seed: "demo",
    resourcePrefix: uniqueName("cli-replay"),
    visibilityTimeoutSeconds: 2,
    exactSandbox: { rateLimit: { perMinute: 1000, perDay: 100_000 } },
    log: quietLog,
  });
  const crm = await crmUser(stack.urls.crmoffice);
  crmCompanyId = String((await crm.list("/companies")).find((company) => company.name === "Fjord Analytics AS")?.id);
  crmContactId = String((await crm.list("/contacts")).find((contact) => contact.givenName === "Kari")?.id);
}, 60_000);

afterAll(async () => {
  await stack?.stop();
});

const event = (system: ChangeEvent["system"], recordType: string, recordId: string): ChangeEvent =>
  ({
    eventId: randomUUID(),
    correlationId: randomUUID(),
    system,
    recordType,
    recordId,
    action: "upsert",
    source: "webhook",
    observedAt: new Date().toISOString(),
  }) as ChangeEvent;

async function deadLetter(body: ChangeEvent | string): Promise<void> {
  await sqsClient().send(
    new SendMessageCommand({ QueueUrl: stack.deadLetterQueueUrl, MessageBody: typeof body === "string" ? body : JSON.stringify(body) }),
  );
}

/** Visible (not held, not in flight) messages on the dead-letter queue. */
async function visibleDeadLetters(): Promise<{ visible: number; hidden: number }> {
  const { Attributes = {} } = await sqsClient().send(
    new GetQueueAttributesCommand({
      QueueUrl: stack.deadLetterQueueUrl,
      AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    }),
  );
  return { visible: Number(Attributes.ApproximateNumberOfMessages), hidden: Number(Attributes.ApproximateNumberOfMessagesNotVisible) };
}

const replayJson = async (argv: string[]) => {
  const run = await syncctl(stack, ["replay", "--json", ...argv]);
  expect(run.code, run.stderr.join("\n")).toBe(0);
  expect(run.stdout).toHaveLength(1);
  return JSON.parse(run.stdout[0] ?? "") as ReplaySummary;
};

const log = () => new SyncLog(documentClient(), stack.tableName, 30);

describe("syncctl replay", () => {
  const item = event("exactonline", "item", DEMO_IDS.items.fjordAnalytics);
  const contact = event("exactonline", "contact", DEMO_IDS.contacts.kariNordmann);
  let company: ChangeEvent;
  let crmContact: ChangeEvent;

  it("--dry-run lists what would move and moves nothing; every dead letter is visible again at once", async () => {
    company = event("crmoffice", "company", crmCompanyId);
    crmContact = event("crmoffice", "contact", crmContactId);
    for (const body of [
      item,
      company,
      contact,
      crmContact,
      "not json at all",
      JSON.stringify({ system: "exactonline", recordType: "item" }),
    ])
      await deadLetter(body);
    expect(await visibleDeadLetters()).toEqual({ visible: 6, hidden: 0 });

    const summary = await replayJson(["--dry-run"]);
    expect(summary).toMatchObject({ dryRun: true, examined: 6, moved: 0, skipped: 0, malformed: 2, interrupted: false });
    expect(summary.events.map((listed) => listed.correlationId).sort()).toEqual(
      [item, company, contact, crmContact].map((sent) => sent.correlationId).sort(),
    );
    expect(summary.events.find((listed) => listed.correlationId === crmContact.correlationId)?.flows).toEqual(["employees", "contacts"]);
    expect(summary.events.every((listed) => listed.receiveCount >= 1 && listed.ageSeconds >= 0 && listed.replayEventId === undefined)).toBe(
      true,
    );
    expect(summary.malformedMessages.map((message) => message.reason)).toEqual(
      expect.arrayContaining([
        "body is not JSON",
        "not a change event (invalid: eventId, action, source, observedAt, correlationId, recordId)",
      ]),
    );
    expect(await visibleDeadLetters()).toEqual({ visible: 6, hidden: 0 });

    const readable = await syncctl(stack, ["replay", "--dry-run", "--flow", "items"]);
    expect(readable.code).toBe(0);
    expect(readable.stdout[0]).toMatch(/^record\s+flows\s+receives\s+age\s+correlation id$/);
    expect(readable.stdout).toContain(
      "dry run: would move 2 dead-lettered events of flow items back to the queue; examined 6; left in the dead-letter queue: 2 of other flows, 2 malformed",
    );
    expect(readable.stdout.at(-1)).toBe("nothing was moved; run again without --dry-run to move them");
    expect(await visibleDeadLetters()).toEqual({ visible: 6, hidden: 0 });
  });

  it("--flow items moves only the item and company events; the worker processes them under their own correlation ids", async () => {
    const summary = await replayJson(["--flow", "items"]);
    expect(summary).toMatchObject({ dryRun: false, flow: "items", examined: 6, moved: 2, skipped: 2, malformed: 2 });
    expect(summary.events.map((moved) => moved.correlationId).sort()).toEqual([item.correlationId, company.correlationId].sort());
    expect(await visibleDeadLetters()).toEqual({ visible: 4, hidden: 0 });

    for (const [sent, side, type, id] of [
      [item, "exactonline", "item", DEMO_IDS.items.fjordAnalytics],
      [company, "crmoffice", "company", crmCompanyId],
    ] as const) {
      const replayEventId = summary.events.find((moved) => moved.correlationId === sent.correlationId)?.replayEventId;
      expect(replayEventId).toBeDefined();
      expect(replayEventId).not.toBe(sent.eventId);
      const decision = await eventually(
        async () => (await log().history({ side, type, id })).find((logged) => logged.correlationId === sent.correlationId),
        15_000,
        `the worker's decision about the replayed ${side} ${type}`,
      );
      // Linked and in step already: replaying is harmless.
      expect(decision).toMatchObject({ flow: "items", kind: "echo", eventId: replayEventId });
    }
    // The contacts' events were not touched.
    expect(
      (await log().history({ side: "exactonline", type: "contact", id: DEMO_IDS.contacts.kariNordmann })).some(
        (logged) => logged.correlationId === contact.correlationId,
      ),
    ).toBe(false);
  });

  it("--limit moves at most that many; the malformed ones stay, and the status shows them", async () => {
    const one = await replayJson(["--limit", "1"]);
    expect(one).toMatchObject({ moved: 1, malformed: expect.any(Number) });
    const rest = await replayJson([]);
    expect(rest).toMatchObject({ moved: 1, skipped: 0, malformed: 2, examined: 3 });
    expect([...one.events, ...rest.events].map((moved) => moved.correlationId).sort()).toEqual(
      [contact.correlationId, crmContact.correlationId].sort(),
    );

    const status = await syncctl(stack, ["status", "--json"]);
    expect(JSON.parse(status.stdout[0] ?? "")).toMatchObject({ deadLetterDepth: 2 });
    await eventually(
      async () =>
        (await log().history({ side: "crmoffice", type: "contact", id: crmContactId })).some(
          (logged) => logged.correlationId === crmContact.correlationId,
        ),
      15_000,
      "the replayed CRMOffice contact's decision",
    );
  });

  it("refuses bad options with usage errors", async () => {
    for (const argv of [["--limit", "0"], ["--limit", "two"], ["--flow", "orders"], ["--dry-run=yes"]]) {
      const run = await syncctl(stack, ["replay", ...argv]);
      expect(run.code, argv.join(" ")).toBe(2);
      expect(run.stderr).toHaveLength(1);
    }
  });
});

describe("the replay Lambda", () => {
  const invoke = (payload: unknown) => replayFunction(payload, createLambdaContext({ functionName: "replay", timeoutMs: 60_000 }));

  it("validates its event, replays with { flow, limit, dryRun }, and returns the summary", async () => {
    process.env.DEAD_LETTER_QUEUE_URL = stack.deadLetterQueueUrl;
    await expect(invoke({ flow: "orders" })).rejects.toThrow(/invalid request: flow unknown flow/);
    await expect(invoke({ limit: -1 })).rejects.toThrow(/invalid request/);
    await expect(invoke({ dryRun: true, extra: 1 })).rejects.toThrow(/invalid request/);

    const employee = event("exactonline", "employee", DEMO_IDS.employees.emmaVisser);
    await deadLetter(employee);
    const dryRun = await invoke({ dryRun: true });
    expect(dryRun).toMatchObject({ dryRun: true, moved: 0, malformed: 2, examined: 3 });
    expect(dryRun.events.map((listed) => listed.correlationId)).toEqual([employee.correlationId]);

    const moved = await invoke({ flow: "employees", limit: 5 });
    expect(moved).toMatchObject({ moved: 1, skipped: 0, malformed: 2 });
    await eventually(
      async () =>
        (await log().history({ side: "exactonline", type: "employee", id: DEMO_IDS.employees.emmaVisser })).some(
          (logged) => logged.correlationId === employee.correlationId,
        ),
      15_000,
      "the replayed employee's decision",
    );
    expect(await visibleDeadLetters()).toEqual({ visible: 2, hidden: 0 });
  });
});
