import { randomUUID } from "node:crypto";
import { GetCommand } from "@aws-sdk/lib-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { documentClient } from "#lib/aws/dynamodb";
import type { ChangeEvent } from "#lib/events/change-event";
import { keys } from "#lib/links/keys";
import { LinkStore } from "#lib/links/store";
import type { LocalStack } from "#lib/local/stack";
import { EXACT_SANDBOX } from "#lib/sandbox/dev-credentials";
import { syncContext } from "#lib/sync/context";
import { processChange, type SyncContext } from "#lib/sync/processor";
import { setEnv } from "../support/env";
import type { CrmUser, ExactUser } from "../support/sandbox-users";
import { startTestStack } from "../support/stack";

/*
 * Two first sights of one pair at the same time: the same person made in both systems, each
 * record's change handled by its own worker. Webhooks are held back (an hour late), so the test
 * decides the order: one worker's look for a match is answered only after the other worker has
 * linked the two.
 */
let restoreEnv: () => void = () => undefined;
let stack: LocalStack;
let exact: ExactUser;
let crm: CrmUser;
const HOUR = 3_600_000;

beforeAll(async () => {
  restoreEnv = setEnv({ EXACT_CALLS_PER_MINUTE: "100000", EXACT_CALLS_PER_DAY: "1000000" });
  ({ stack, exact, crm } = await startTestStack({
    exactSandbox: { delivery: { delayMs: HOUR } },
    crmofficeSandbox: { delivery: { delayMs: HOUR } },
  }));
}, 60_000);

afterAll(async () => {
  restoreEnv();
  await stack?.stop();
});

const event = (system: ChangeEvent["system"], recordId: string): ChangeEvent => {
  const eventId = randomUUID();
  return {
    eventId,
    correlationId: eventId,
    system,
    recordType: "contact",
    recordId,
    action: "upsert",
    source: "webhook",
    observedAt: new Date().toISOString(),
  };
};

describe("first sights that race", () => {
  it("the record whose match was linked to it meanwhile joins that link: it is not left marked unsyncable", async () => {
    const email = "born.twice.race@example.com";
    const inExact = await exact.post("crm/Contacts", {
      Account: EXACT_SANDBOX.defaultAccountId,
      FirstName: "Tvilling",
      LastName: "Samtidig",
      Email: email,
      Phone: "+47 22 12 12 12",
    });
    const inCrm = await crm.post("/contacts", { givenName: "Tvilling", familyName: "Samtidig", email, mobilePhone: "+47 912 12 121" });
    const exactId = String(inExact.ID);
    const crmId = String(inCrm.id);
    const ctx = await syncContext();
    // The Exact record's worker looks for its match in CRMOffice only after the CRMOffice record's worker has linked the two.
    const racing: SyncContext = {
      ...ctx,
      connectors: {
        ...ctx.connectors,
        crmoffice: {
          ...ctx.connectors.crmoffice,
          get: ctx.connectors.crmoffice.get.bind(ctx.connectors.crmoffice),
          create: ctx.connectors.crmoffice.create.bind(ctx.connectors.crmoffice),
          update: ctx.connectors.crmoffice.update.bind(ctx.connectors.crmoffice),
          delete: ctx.connectors.crmoffice.delete.bind(ctx.connectors.crmoffice),
          findBy: async (type, field, value) => {
            await processChange(event("crmoffice", crmId), ctx);
            return ctx.connectors.crmoffice.findBy(type, field, value);
          },
        },
      },
    };
    const [decision] = await processChange(event("exactonline", exactId), racing);
    expect(decision?.kind).not.toBe("unsyncable");
    const store = new LinkStore(documentClient(), stack.tableName);
    expect(await store.findLink("contacts", { side: "exactonline", type: "contact", id: exactId })).toMatchObject({
      state: "linked",
      ids: { exactonline: exactId, crmoffice: crmId },
    });
    const marker = await documentClient().send(
      new GetCommand({ TableName: stack.tableName, Key: keys.unsyncable("exactonline", "contact", exactId, "contacts") }),
    );
    expect(marker.Item).toBeUndefined();
  });
});
