import { GetCommand } from "@aws-sdk/lib-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { documentClient } from "#lib/aws/dynamodb";
import type { ChangeEvent } from "#lib/events/change-event";
import { keys } from "#lib/store/keys";
import { LinkStore } from "#lib/links/store";
import type { LocalStack } from "#lib/local/stack";
import { EXACT_SANDBOX } from "#lib/sandbox/dev-credentials";
import { syncContext } from "#lib/sync/context";
import { TransientError } from "#lib/connectors/errors";
import type { Connector } from "#lib/connectors/types";
import { readAhead, withPrefetched } from "#lib/sync/batch";
import { processChange, type SyncContext } from "#lib/sync/processor";
import { setEnv } from "../support/env";
import type { CrmUser, ExactUser } from "../support/sandbox-users";
import { startTestStack } from "../support/stack";
import { changeEvent } from "../support/events";

/*
 * Races between workers, and between a worker and the people using the systems: the same person
 * made in both systems, each record's change handled by its own worker; a create resumed after
 * its worker died, while namesakes appeared; a person's edit landing while the worker writes the
 * same record. Webhooks are held back (an hour late), so the test decides the order of everything.
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

const event = (system: ChangeEvent["system"], recordId: string) => changeEvent(system, "contact", recordId);

/** `ctx` with some calls of one connector replaced. */
function withCalls(
  ctx: SyncContext,
  side: "exactonline" | "crmoffice",
  calls: Partial<Pick<Connector, "get" | "getMany" | "findBy" | "create" | "update">>,
): SyncContext {
  const real = ctx.connectors[side];
  const connector: Connector = {
    system: real.system,
    get: real.get.bind(real),
    getMany: real.getMany.bind(real),
    findBy: real.findBy.bind(real),
    create: real.create.bind(real),
    update: real.update.bind(real),
    delete: real.delete.bind(real),
  };
  return { ...ctx, connectors: { ...ctx.connectors, [side]: { ...connector, ...calls } } };
}

describe("races", () => {
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
    const racing = withCalls(ctx, "crmoffice", {
      findBy: async (type, field, value) => {
        await processChange(event("crmoffice", crmId), ctx);
        return ctx.connectors.crmoffice.findBy(type, field, value);
      },
    });
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

  it("a create resumed after its worker died adopts the record it made, even when others with its email appeared meanwhile", async () => {
    const email = "died.among.namesakes@example.com";
    const made = await exact.post("crm/Contacts", {
      Account: EXACT_SANDBOX.defaultAccountId,
      FirstName: "Midt",
      LastName: "Iblant",
      Email: email,
    });
    const exactId = String(made.ID);
    const ctx = await syncContext();
    // The worker dies right after CRMOffice made the partner, before the link is complete.
    const dying = withCalls({ ...ctx, createLeaseMs: 300 }, "crmoffice", {
      create: async (type, fields) => {
        await ctx.connectors.crmoffice.create(type, fields);
        throw new Error("worker died after the create, before completeCreate");
      },
    });
    await expect(processChange(event("exactonline", exactId), dying)).rejects.toThrow(/worker died/);
    const [orphan] = await crm.list(`/contacts?email=${encodeURIComponent(email)}`);
    // Two more contacts with this email, made in CRMOffice while the create's lease runs.
    await crm.post("/contacts", { givenName: "Navne", familyName: "En", email });
    await crm.post("/contacts", { givenName: "Navne", familyName: "To", email });
    await new Promise((resolve) => setTimeout(resolve, 400));
    const [decision] = await processChange(event("exactonline", exactId), ctx);
    expect(decision).toMatchObject({ kind: "linked", partner: { side: "crmoffice", id: orphan?.id } });
    expect(await crm.list(`/contacts?email=${encodeURIComponent(email)}`)).toHaveLength(3);
    const store = new LinkStore(documentClient(), stack.tableName);
    expect(await store.findLink("contacts", { side: "exactonline", type: "contact", id: exactId })).toMatchObject({
      state: "linked",
      ids: { exactonline: exactId, crmoffice: orphan?.id },
    });
  });

  it("an edit a person makes while the worker writes another field of the same record still reaches the other system", async () => {
    const email = "edited.meanwhile@example.com";
    const inCrm = await crm.post("/contacts", { givenName: "Under", familyName: "Skriving", email });
    const crmId = String(inCrm.id);
    const ctx = await syncContext();
    await processChange(event("crmoffice", crmId), ctx);
    const [inExact] = await exact.list(`crm/Contacts?$filter=Email eq '${email}'&$select=ID`);
    const exactId = String(inExact?.ID);
    // A mobile added in CRMOffice; while the worker writes it to Exact, someone changes the last name in Exact.
    await crm.put(`/contacts/${crmId}`, { givenName: "Under", familyName: "Skriving", email, mobilePhone: "+47 955 00 000" });
    const meanwhile = withCalls(ctx, "exactonline", {
      update: async (type, id, fields, current) => {
        await exact.put(`crm/Contacts(guid'${exactId}')`, { LastName: "Endret" });
        return ctx.connectors.exactonline.update(type, id, fields, current);
      },
    });
    await processChange(event("crmoffice", crmId), meanwhile);
    // The person's edit is a change like any other when its notification comes.
    await processChange(event("exactonline", exactId), ctx);
    expect(await crm.get(`/contacts/${crmId}`)).toMatchObject({ familyName: "Endret", mobilePhone: "+47 955 00 000" });
  });

  it("a record found unsyncable while its match was being created for it is no longer marked so once the create adopts it", async () => {
    const email = "adopted.unsyncable@example.com";
    const inCrm = await crm.post("/contacts", { givenName: "Straks", familyName: "Adoptert", email });
    const crmId = String(inCrm.id);
    const ctx = await syncContext();
    let exactId = "";
    // The worker's create in Exact gets no answer; meanwhile a person makes the same contact in Exact, and its change is handled.
    const failing = withCalls({ ...ctx, createLeaseMs: 300 }, "exactonline", {
      create: async () => {
        const made = await exact.post("crm/Contacts", {
          Account: EXACT_SANDBOX.defaultAccountId,
          FirstName: "Straks",
          LastName: "Adoptert",
          Email: email,
          Phone: "+47 22 00 44 00",
        });
        exactId = String(made.ID);
        const [seen] = await processChange(event("exactonline", exactId), ctx);
        expect(seen).toMatchObject({ kind: "unsyncable" });
        throw new TransientError("exactonline", null, "exactonline POST /crm/Contacts timed out after 2000 ms");
      },
    });
    await expect(processChange(event("crmoffice", crmId), failing)).rejects.toThrow(/timed out/);
    await new Promise((resolve) => setTimeout(resolve, 400));
    const [decision] = await processChange(event("crmoffice", crmId), ctx);
    expect(decision).toMatchObject({ kind: "linked", partner: { side: "exactonline", id: exactId } });
    const marker = await documentClient().send(
      new GetCommand({ TableName: stack.tableName, Key: keys.unsyncable("exactonline", "contact", exactId, "contacts") }),
    );
    expect(marker.Item).toBeUndefined();
  });

  it("a record read just before another worker wrote it and saved the agreed values is read again, not merged as it was", async () => {
    const email = "read.stale@example.com";
    const inCrm = await crm.post("/contacts", { givenName: "Gammel", familyName: "Lesning", email, mobilePhone: "+47 911 00 001" });
    const crmId = String(inCrm.id);
    const ctx = await syncContext();
    await processChange(event("crmoffice", crmId), ctx);
    const [inExact] = await exact.list(`crm/Contacts?$filter=Email eq '${email}'&$select=ID`);
    const exactId = String(inExact?.ID);
    await exact.put(`crm/Contacts(guid'${exactId}')`, { Mobile: "+47 911 00 002" });
    // A late notification of the CRMOffice contact: its worker reads it, and before it goes on,
    // another worker carries Exact's new mobile to that contact and saves the agreed values.
    let reads = 0;
    const late = withCalls(ctx, "crmoffice", {
      get: async (type, id) => {
        const read = await ctx.connectors.crmoffice.get(type, id);
        if (reads++ === 0) await processChange(event("exactonline", exactId), ctx);
        return read;
      },
    });
    await processChange(event("crmoffice", crmId), late);
    expect(await crm.get(`/contacts/${crmId}`)).toMatchObject({ mobilePhone: "+47 911 00 002" });
    const [exactNow] = await exact.list(`crm/Contacts?$filter=ID eq guid'${exactId}'&$select=Mobile`);
    expect(exactNow).toMatchObject({ Mobile: "+47 911 00 002" });
  });

  it("a record read ahead by its batch before another worker wrote it and saved the agreed values is read again, not merged as it was", async () => {
    const email = "read.ahead.stale@example.com";
    const inCrm = await crm.post("/contacts", { givenName: "Tidlig", familyName: "Lesning", email, mobilePhone: "+47 911 00 011" });
    const crmId = String(inCrm.id);
    const ctx = await syncContext();
    await processChange(event("crmoffice", crmId), ctx);
    const [inExact] = await exact.list(`crm/Contacts?$filter=Email eq '${email}'&$select=ID`);
    const exactId = String(inExact?.ID);
    // A late notification of the Exact contact: its batch reads it ahead. Before the change is
    // decided, a person's CRMOffice edit is carried to Exact by another worker, which saves the agreed values.
    const batch = await readAhead([event("exactonline", exactId)], ctx);
    await crm.put(`/contacts/${crmId}`, { givenName: "Tidlig", familyName: "Lesning", email, mobilePhone: "+47 911 00 012" });
    await processChange(event("crmoffice", crmId), ctx);
    await processChange(event("exactonline", exactId), withPrefetched(ctx, batch));
    expect(await crm.get(`/contacts/${crmId}`)).toMatchObject({ mobilePhone: "+47 911 00 012" });
    const [exactNow] = await exact.list(`crm/Contacts?$filter=ID eq guid'${exactId}'&$select=Mobile`);
    expect(exactNow).toMatchObject({ Mobile: "+47 911 00 012" });
  });
});
