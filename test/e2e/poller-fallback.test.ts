import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EXACT_SANDBOX } from "#lib/sandbox/dev-credentials";
import type { CrmUser, ExactUser } from "../support/sandbox-users";
import { eventually } from "../support/sandbox-users";
import { startTestStack, type TestStack, itCausedNoExactErrorBlock } from "../support/stack";

/* The poller as the fallback for Exact webhooks that never arrive (here: every 500 ms). */
let t: TestStack;
let exact: ExactUser;
let crm: CrmUser;

beforeAll(async () => {
  t = await startTestStack({ pollIntervalMs: 500 });
  ({ exact, crm } = t);
}, 60_000);

afterAll(async () => {
  await t?.stack.stop();
});

const crmContactPosts = () => t.stack.crmofficeSandbox.stats().calls["POST /contacts"] ?? 0;
const account = { Account: EXACT_SANDBOX.defaultAccountId };

describe("polling fallback for Exact", () => {
  it("syncs a change seen by both the webhook and the poller exactly once", async () => {
    const postsBefore = crmContactPosts();
    await exact.post("crm/Contacts", { ...account, FirstName: "Twice", LastName: "Seen", Email: "twice.seen@example.com" });
    await eventually(
      async () => (await crm.list("/contacts?email=twice.seen%40example.com")).length === 1,
      10_000,
      "the contact in CRMOffice",
    );
    await new Promise((resolve) => setTimeout(resolve, 1_500)); // at least two polls see the row
    await t.settled();
    expect(crmContactPosts() - postsBefore).toBe(1);
    expect(await crm.list("/contacts?email=twice.seen%40example.com")).toHaveLength(1);
  });

  it("catches a change whose webhook was lost within a poll interval or two", async () => {
    const subscriptions = (await exact.get("webhooks/WebhookSubscriptions")) as { results: { ID: string }[] };
    for (const subscription of subscriptions.results) await exact.delete(`webhooks/WebhookSubscriptions(guid'${subscription.ID}')`);
    const deliveriesBefore = t.stack.exactSandbox.stats().deliveries.sent;

    const started = Date.now();
    await exact.post("crm/Contacts", { ...account, FirstName: "Lost", LastName: "Webhook", Email: "lost.webhook@example.com" });
    const contact = await eventually(
      async () => (await crm.list("/contacts?email=lost.webhook%40example.com"))[0],
      5_000,
      "the contact, through the poller",
    );
    expect(contact).toMatchObject({ givenName: "Lost", familyName: "Webhook" });
    expect(Date.now() - started).toBeLessThan(2_500);
    expect(t.stack.exactSandbox.stats().deliveries.sent).toBe(deliveriesBefore);
  });
});

itCausedNoExactErrorBlock(() => t.stack);
