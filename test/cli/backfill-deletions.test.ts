/**
 * `syncctl backfill --full` as the full comparison Exact's two-month deletion log calls for:
 * records deleted in either system while no notice reached the sync (webhooks lost, the poller
 * off) are found, confirmed gone, and their flow's delete policy applied: unlink and keep by
 * default, propagate for the flows in PROPAGATE_DELETES.
 */
import { GetQueueAttributesCommand } from "@aws-sdk/client-sqs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sqsClient } from "#lib/aws/sqs";
import { startLocalStack, type LocalStack } from "#lib/local/stack";
import { EXACT_SANDBOX } from "#lib/sandbox/dev-credentials";
import { uniqueName, useTestAws } from "../support/aws";
import { crmUser, eventually, exactUser, type CrmUser, type ExactUser } from "../support/sandbox-users";
import { quietLog, syncctl } from "./support";

let stack: LocalStack;
let exact: ExactUser;
let crm: CrmUser;

beforeAll(async () => {
  stack = await startLocalStack({
    aws: useTestAws(),
    ports: { api: 0, exactonline: 0, crmoffice: 0 },
    seed: "none",
    resourcePrefix: uniqueName("cli-deletions"),
    visibilityTimeoutSeconds: 2,
    pollIntervalMs: 0,
    exactSandbox: { rateLimit: { perMinute: 1000, perDay: 100_000 } },
    settings: { PROPAGATE_DELETES: "items" },
    log: quietLog,
  });
  exact = await exactUser(stack.urls.exactonline);
  crm = await crmUser(stack.urls.crmoffice);
}, 60_000);

afterAll(async () => {
  await stack?.stop();
});

async function untilQueueEmpty(): Promise<void> {
  const names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible", "ApproximateNumberOfMessagesDelayed"] as const;
  let emptySince = Date.now();
  await eventually(
    async () => {
      const { Attributes = {} } = await sqsClient().send(
        new GetQueueAttributesCommand({ QueueUrl: stack.queueUrl, AttributeNames: [...names] }),
      );
      if (names.some((name) => Number(Attributes[name] ?? 0) > 0)) emptySince = Date.now();
      return Date.now() - emptySince > 3_000;
    },
    30_000,
    "the events queue to stay empty",
  );
}

interface Summary {
  deletions?: { checked: number; gone: number; decisions: Record<string, number> };
}

describe("syncctl backfill --full", () => {
  it("finds records deleted on one side that no notice announced, and applies each flow's delete policy", async () => {
    const contact = await exact.post("crm/Contacts", {
      Account: EXACT_SANDBOX.defaultAccountId,
      FirstName: "Borte",
      LastName: "Vekk",
      Email: "borte.vekk@example.com",
    });
    const keep = await exact.post("crm/Contacts", {
      Account: EXACT_SANDBOX.defaultAccountId,
      FirstName: "Bli",
      LastName: "Her",
      Email: "bli.her@example.com",
    });
    const item = await exact.post("logistics/Items", { Code: "GONE-1", Description: "Gone in CRMOffice" });
    const crmContact = await eventually(
      async () => (await crm.list("/contacts?email=borte.vekk%40example.com"))[0],
      15_000,
      "the contact in CRMOffice",
    );
    const company = await eventually(async () => (await crm.list("/companies?orgNr=GONE-1"))[0], 15_000, "the company in CRMOffice");
    await eventually(async () => (await crm.list("/contacts?email=bli.her%40example.com")).length === 1, 15_000, "the other contact");

    // Nothing about them still in flight (a late copy of a notice would apply the policy itself).
    await untilQueueEmpty();
    // Notices lost: no webhook reaches the sync from now on, and no poller runs.
    for (const subscription of await exact.list("webhooks/WebhookSubscriptions")) {
      await exact.delete(`webhooks/WebhookSubscriptions(guid'${String(subscription.ID)}')`);
    }
    const registered = (await crm.get("/webhooks")) as unknown as { id: string }[] | { items: { id: string }[] };
    for (const webhook of Array.isArray(registered) ? registered : registered.items) await crm.delete(`/webhooks/${webhook.id}`);
    await exact.delete(`crm/Contacts(guid'${String(contact.ID)}')`);
    await crm.delete(`/companies/${String(company.id)}`);

    const run = await syncctl(stack, ["backfill", "--full", "--json"]);
    expect(run.code).toBe(0);
    const summary = JSON.parse(run.stdout.at(-1) ?? "{}") as Summary;
    expect(summary.deletions).toMatchObject({ gone: 2, decisions: { unlinked: 1, deleted: 1 } });
    expect(summary.deletions?.checked).toBeGreaterThanOrEqual(6);

    // The contacts flow unlinks and keeps the CRMOffice contact; the items flow propagates: the Exact item is gone too.
    expect(await crm.get(`/contacts/${String(crmContact.id)}`)).toMatchObject({ givenName: "Borte" });
    expect(await exact.list(`logistics/Items?$filter=ID eq guid'${String(item.ID)}'&$select=ID`)).toEqual([]);
    expect(await exact.list(`crm/Contacts?$filter=ID eq guid'${String(keep.ID)}'&$select=ID`)).toHaveLength(1);
    const history = await syncctl(stack, ["history", "exactonline", "contact", String(contact.ID), "--json"]);
    expect(history.stdout.join("\n")).toContain('"kind":"unlinked"');

    // Run again: nothing more is gone.
    const again = JSON.parse((await syncctl(stack, ["backfill", "--full", "--json"])).stdout.at(-1) ?? "{}") as Summary;
    expect(again.deletions).toMatchObject({ gone: 0 });
  }, 90_000);
});
