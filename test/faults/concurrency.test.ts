import { createHmac, randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { documentClient } from "#lib/aws/dynamodb";
import { crmOfficeConfig, exactConfig } from "#lib/config/connectors";
import { loadSecrets } from "#lib/config/secrets";
import { parseSettings } from "#lib/config/settings";
import { createCrmOfficeConnector } from "#lib/connectors/crmoffice/client";
import { createExactConnector } from "#lib/connectors/exactonline/client";
import type { Connector } from "#lib/connectors/types";
import { GetCommand } from "@aws-sdk/lib-dynamodb";
import { keys } from "#lib/store/keys";
import { LinkStore } from "#lib/links/store";
import { SyncLog } from "#lib/links/sync-log";
import type { LocalStack } from "#lib/local/stack";
import { CRMOFFICE_SANDBOX, EXACT_SANDBOX } from "#lib/sandbox/dev-credentials";
import { syncContext } from "#lib/sync/context";
import { processChange, type SyncContext } from "#lib/sync/processor";
import { eventually, type CrmUser, type ExactUser } from "../support/sandbox-users";
import { setEnv } from "../support/env";
import { startTestStack, writeCalls, type TestStack } from "../support/stack";
import { changeEvent } from "../support/events";

/*
 * Concurrency, through the local stack: both sides of one link edited at the same moment,
 * the same contact born in both systems at once, ten copies of one notification at once, and a
 * worker that dies between creating a record and recording its link.
 */
let restoreEnv: () => void = () => undefined;
let t: TestStack;
let stack: LocalStack;
let exact: ExactUser;
let crm: CrmUser;

beforeAll(async () => {
  restoreEnv = setEnv({ SYNC_LEASE_MS: "3000", EXACT_CALLS_PER_MINUTE: "100000", EXACT_CALLS_PER_DAY: "1000000" });
  t = await startTestStack({ workerConcurrency: 4 });
  ({ stack, exact, crm } = t);
}, 60_000);

afterAll(async () => {
  restoreEnv();
  await stack?.stop();
});

const exactContact = async (email: string) =>
  await exact.list(`crm/Contacts?$filter=Email eq '${email}'&$select=ID,FirstName,LastName,Email,Phone,Mobile`);
const crmContact = async (email: string) => crm.list(`/contacts?email=${encodeURIComponent(email)}`);

/** A contact made in Exact and synced: its ids on both sides. */
async function linkedContact(email: string, fields: Record<string, string> = {}): Promise<{ exactId: string; crmId: string }> {
  const made = await exact.post("crm/Contacts", {
    Account: EXACT_SANDBOX.defaultAccountId,
    FirstName: "Kari",
    LastName: "Nordmann",
    Email: email,
    ...fields,
  });
  const partner = await eventually(async () => (await crmContact(email))[0], 10_000, `${email} in CRMOffice`);
  await t.settled(1_000);
  return { exactId: String(made.ID), crmId: String(partner.id) };
}

/** What the CRMOffice user sends back on PUT: the record as read, with some fields changed. */
async function crmEdit(id: string, changes: Record<string, string>): Promise<() => Promise<unknown>> {
  const { givenName, familyName, email, directPhone, mobilePhone } = (await crm.get(`/contacts/${id}`)) ?? {};
  return () => crm.put(`/contacts/${id}`, { givenName, familyName, email, directPhone, mobilePhone, ...changes });
}

describe("concurrent edits and deliveries", () => {
  it("keeps both edits when the two sides of a link change different fields at the same moment", async () => {
    const { exactId, crmId } = await linkedContact("same.moment@example.com");
    const editInCrm = await crmEdit(crmId, { mobilePhone: "+47 900 00 001" });
    await Promise.all([exact.put(`crm/Contacts(guid'${exactId}')`, { Phone: "+47 22 00 00 01" }), editInCrm()]);
    await t.settled();
    expect((await exactContact("same.moment@example.com"))[0]).toMatchObject({ Phone: "+47 22 00 00 01", Mobile: "+47 900 00 001" });
    expect((await crmContact("same.moment@example.com"))[0]).toMatchObject({
      directPhone: "+47 22 00 00 01",
      mobilePhone: "+47 900 00 001",
    });
  });

  it("ends both systems on the later edit when both change the same field, and logs the conflict with both values", async () => {
    const { exactId, crmId } = await linkedContact("same.field@example.com");
    const editInCrm = await crmEdit(crmId, { givenName: "From CRMOffice" });
    await exact.put(`crm/Contacts(guid'${exactId}')`, { FirstName: "From Exact" });
    await new Promise((resolve) => setTimeout(resolve, 5));
    await editInCrm();
    await t.settled();
    expect((await exactContact("same.field@example.com"))[0]).toMatchObject({ FirstName: "From CRMOffice" });
    expect((await crmContact("same.field@example.com"))[0]).toMatchObject({ givenName: "From CRMOffice" });
    const history = [
      ...(await t.history({ side: "exactonline", type: "contact", id: exactId })),
      ...(await t.history({ side: "crmoffice", type: "contact", id: crmId })),
    ];
    expect(history.flatMap((entry) => entry.conflicts ?? [])).toContainEqual(
      expect.objectContaining({
        field: "firstName",
        winner: "crmoffice",
        values: { exactonline: "From Exact", crmoffice: "From CRMOffice" },
      }),
    );
  });

  it("links the same contact created in both systems at once one-to-one, no duplicates, both sides' fields kept", async () => {
    const email = "born.twice@example.com";
    const [inExact, inCrm] = await Promise.all([
      exact.post("crm/Contacts", {
        Account: EXACT_SANDBOX.defaultAccountId,
        FirstName: "Ola",
        LastName: "Twice",
        Email: email,
        Phone: "+47 22 22 22 22",
      }),
      crm.post("/contacts", { givenName: "Ola", familyName: "Twice", email, mobilePhone: "+47 922 22 222" }),
    ]);
    await t.settled();
    const [exactRows, crmRows] = [await exactContact(email), await crmContact(email)];
    expect(exactRows).toHaveLength(1);
    expect(crmRows).toHaveLength(1);
    expect(exactRows[0]).toMatchObject({ ID: inExact.ID, Phone: "+47 22 22 22 22", Mobile: "+47 922 22 222" });
    expect(crmRows[0]).toMatchObject({ id: inCrm.id, directPhone: "+47 22 22 22 22", mobilePhone: "+47 922 22 222" });
    const store = new LinkStore(documentClient(), stack.tableName);
    const link = await store.findLink("contacts", { side: "exactonline", type: "contact", id: String(inExact.ID) });
    expect(link).toMatchObject({ state: "linked", ids: { exactonline: inExact.ID, crmoffice: inCrm.id } });
  });

  describe("ten notifications of one change delivered at once cause exactly one write in the other system", () => {
    const deliverCrmOffice = async (recordId: string, type: "contact.created" | "contact.updated") => {
      // Ten notifications about the one change, at once, each its own event (copies of one event
      // are not even enqueued twice: test/security). All ten reach the worker together.
      const deliveries = Array.from({ length: 10 }, () => {
        const body = JSON.stringify({ id: `evt-${randomUUID()}`, type, occurredAt: new Date().toISOString(), data: { id: recordId } });
        const t0 = Math.floor(Date.now() / 1000);
        return {
          body,
          signature: `t=${t0},v1=${createHmac("sha256", CRMOFFICE_SANDBOX.webhookSecret).update(`${t0}.${body}`).digest("hex")}`,
        };
      });
      const answers = await Promise.all(
        deliveries.map(({ body, signature }) =>
          fetch(`${stack.urls.api}/webhooks/crmoffice`, {
            method: "POST",
            headers: { "content-type": "application/json", "crmoffice-signature": signature },
            body,
          }),
        ),
      );
      expect(answers.map((answer) => answer.status)).toEqual(Array(10).fill(202));
    };
    const exactWrites = () => writeCalls(stack.exactSandbox.stats(), ["POST", "PUT"]);

    it("a create: one POST", async () => {
      await t.settled(1_000);
      const before = exactWrites();
      const made = await crm.post("/contacts", { givenName: "Ti", familyName: "Ganger", email: "ten.times@example.com" });
      await deliverCrmOffice(String(made.id), "contact.created");
      await t.settled();
      expect(exactWrites() - before).toBe(1);
      expect(await exactContact("ten.times@example.com")).toHaveLength(1);
    });

    it("an update: one PUT", async () => {
      const { crmId } = await linkedContact("ten.updates@example.com");
      const before = exactWrites();
      await (
        await crmEdit(crmId, { familyName: "Oppdatert" })
      )();
      await deliverCrmOffice(crmId, "contact.updated");
      await t.settled();
      expect(exactWrites() - before).toBe(1);
      expect((await exactContact("ten.updates@example.com"))[0]).toMatchObject({ LastName: "Oppdatert" });
    });
  });

  describe("a worker that dies after creating the partner but before recording the link", () => {
    /** The worker's context, but its `target` connector's create "kills the process" right after the record is made. */
    async function dyingContext(target: "exactonline" | "crmoffice", leaseMs: number): Promise<SyncContext> {
      const settings = parseSettings(process.env);
      const secrets = await loadSecrets(["EXACT_CLIENT_SECRET", "CRMOFFICE_CLIENT_SECRET"], process.env);
      const connectors: Record<"exactonline" | "crmoffice", Connector> = {
        exactonline: createExactConnector(exactConfig(settings, secrets)),
        crmoffice: createCrmOfficeConnector(crmOfficeConfig(settings, secrets)),
      };
      const real = connectors[target];
      connectors[target] = {
        ...real,
        get: real.get.bind(real),
        findBy: real.findBy.bind(real),
        update: real.update.bind(real),
        delete: real.delete.bind(real),
        create: async (type, fields) => {
          await real.create(type, fields);
          throw new Error("worker died after the create, before completeCreate");
        },
      };
      return {
        store: new LinkStore(documentClient(), settings.TABLE_NAME),
        log: new SyncLog(documentClient(), settings.TABLE_NAME, 30),
        connectors,
        settings: { EXACT_DEFAULT_ACCOUNT_ID: settings.EXACT_DEFAULT_ACCOUNT_ID, propagateDeletes: [] },
        now: Date.now,
        createLeaseMs: leaseMs,
      };
    }

    const event = (system: "exactonline", recordType: "employee" | "contact", recordId: string) =>
      changeEvent(system, recordType, recordId, { source: "replay" });

    it("an Exact employee: after the lease the contact it made in CRMOffice is adopted, not created again, and no other flow takes it", async () => {
      // Employees have no webhook (and the poller is off here), so nothing else touches this one.
      const employeeId = randomUUID();
      const email = "died.midway@example.com";
      const put = await fetch(`${stack.urls.exactonline}/_sandbox/employees/${employeeId}`, {
        method: "PUT",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ FirstName: "Halv", LastName: "Veis", BusinessEmail: email }),
      });
      expect(put.ok).toBe(true);

      await expect(processChange(event("exactonline", "employee", employeeId), await dyingContext("crmoffice", 300))).rejects.toThrow(
        /worker died/,
      );
      expect(await crmContact(email)).toHaveLength(1);
      const store = new LinkStore(documentClient(), stack.tableName);
      const employee = { side: "exactonline" as const, type: "employee", id: employeeId };
      expect(await store.findLink("employees", employee)).toMatchObject({ state: "creating" });
      // Meanwhile the contact's own webhook reached the stack's worker: it must not treat the
      // half-made partner as a new contact of another flow.
      await t.settled();

      await new Promise((resolve) => setTimeout(resolve, 400));
      const [decision] = await processChange(event("exactonline", "employee", employeeId), await syncContext());
      // Adopted now, or already by the contact's own (postponed) webhook once the lease ran out.
      expect(decision?.flow).toBe("employees");
      expect(["linked", "echo"]).toContain(decision?.kind);
      await t.settled();
      const contacts = await crmContact(email);
      expect(contacts).toHaveLength(1);
      expect(await store.findLink("employees", employee)).toMatchObject({
        state: "linked",
        ids: { exactonline: employeeId, crmoffice: contacts[0]?.id },
      });
      expect(await exactContact(email)).toHaveLength(0);
    });

    it("an Exact contact: the retry after the lease adopts the contact it made in CRMOffice, creates nothing again", async () => {
      const email = "died.twice@example.com";
      const made = await exact.post("crm/Contacts", {
        Account: EXACT_SANDBOX.defaultAccountId,
        FirstName: "Død",
        LastName: "Underveis",
        Email: email,
      });
      const exactId = String(made.ID);
      // The stack's worker hears of the contact too: whichever of it and the dying worker claims
      // first, exactly one partner may come out.
      await processChange(event("exactonline", "contact", exactId), await dyingContext("crmoffice", 300)).catch(() => undefined);
      await new Promise((resolve) => setTimeout(resolve, 400));
      await processChange(event("exactonline", "contact", exactId), await syncContext());
      await t.settled();
      const contacts = await crmContact(email);
      expect(contacts).toHaveLength(1);
      const store = new LinkStore(documentClient(), stack.tableName);
      expect(await store.findLink("contacts", { side: "exactonline", type: "contact", id: exactId })).toMatchObject({
        state: "linked",
        ids: { exactonline: exactId, crmoffice: contacts[0]?.id },
      });
      // Nor is the adopted contact left marked unsyncable by the other worker's look at it meanwhile.
      const marker = await documentClient().send(
        new GetCommand({ TableName: stack.tableName, Key: keys.unsyncable("crmoffice", "contact", String(contacts[0]?.id), "contacts") }),
      );
      expect(marker.Item).toBeUndefined();
    });
  });
});
