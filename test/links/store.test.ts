import { beforeAll, describe, expect, it } from "vitest";
import { documentClient } from "#lib/aws/dynamodb";
import { LinkConflictError, LinkStore, type RecordRef } from "#lib/links/store";
import { SyncLog } from "#lib/links/sync-log";
import { kinds } from "#lib/store/keys";
import { createTestTable } from "../support/aws";

const TYPES = { exactonline: "contact", crmoffice: "contact" };
const exactRef = (id: string): RecordRef => ({ side: "exactonline", type: "contact", id });
const crmRef = (id: string): RecordRef => ({ side: "crmoffice", type: "contact", id });
const PENDING = { side: "crmoffice" as const, type: "contact", fingerprint: "f1" };
const AGREED = { exactonline: { firstName: "Kari" }, crmoffice: { firstName: "Kari" } };

let store: LinkStore;
let log: SyncLog;

beforeAll(async () => {
  const table = await createTestTable();
  store = new LinkStore(documentClient(), table);
  log = new SyncLog(documentClient(), table, 30);
});

describe("link store on DynamoDB Local", () => {
  it("lets exactly one of many concurrent claims on one record win", async () => {
    const results = await Promise.allSettled(
      Array.from({ length: 8 }, () => store.claimForCreate("contacts", exactRef("e-1"), TYPES, 30_000, PENDING)),
    );
    const won = results.filter((result) => result.status === "fulfilled");
    const lost = results.filter((result) => result.status === "rejected");
    expect(won).toHaveLength(1);
    expect(lost.every((result) => result.status === "rejected" && result.reason instanceof LinkConflictError)).toBe(true);
    const link = await store.findLink("contacts", exactRef("e-1"));
    expect(link).toMatchObject({ state: "creating", ids: { exactonline: "e-1" } });
    // The record being created can be recognised by its fingerprint before it has an id.
    expect(await store.pendingCreate("crmoffice", "contact", "f1")).toEqual({ flow: "contacts", linkId: link?.linkId });
  });

  it("completes a claimed create: both records resolve to one linked link with agreed values", async () => {
    const claim = await store.claimForCreate("contacts", exactRef("e-2"), TYPES, 30_000, PENDING);
    await store.completeCreate(claim, crmRef("c-2"), AGREED);
    const viaExact = await store.findLink("contacts", exactRef("e-2"));
    const viaCrm = await store.findLink("contacts", crmRef("c-2"));
    expect(viaExact).toEqual(viaCrm);
    expect(viaExact).toMatchObject({ state: "linked", ids: { exactonline: "e-2", crmoffice: "c-2" }, agreed: AGREED, version: 2 });
    expect(viaExact?.claimedUntil).toBeUndefined();
    expect(await store.pendingCreate("crmoffice", "contact", "f1")).toBeNull();
  });

  it("lets a claim be taken over only while it is still a claim, and only from the version read", async () => {
    const claim = await store.claimForCreate("contacts", exactRef("e-9"), TYPES, 1, PENDING);
    const renewed = await store.renewClaim(claim, 30_000, PENDING);
    expect(renewed.claimedUntil).toBeGreaterThan(Date.now());
    await expect(store.renewClaim(claim, 30_000, PENDING)).rejects.toBeInstanceOf(LinkConflictError);
    const completed = await store.completeCreate(renewed, crmRef("c-9"), AGREED);
    await expect(store.renewClaim(completed, 30_000, PENDING)).rejects.toBeInstanceOf(LinkConflictError);
  });

  it("lets one worker at a time reserve a link for writing, until it saves or the reservation runs out", async () => {
    const link = await store.linkPair("contacts", exactRef("e-10"), crmRef("c-10"));
    const reserved = await store.beginWrite(link, 30_000);
    const sameVersionRead = { ...reserved, version: reserved.version };
    await expect(store.beginWrite(sameVersionRead, 30_000)).rejects.toBeInstanceOf(LinkConflictError);
    const saved = await store.saveAgreed(reserved, AGREED);
    expect(saved.writingUntil).toBeUndefined();
    await expect(store.beginWrite(saved, 30_000)).resolves.toMatchObject({ version: saved.version + 1 });
  });

  it("never links a record that is already linked in the flow to a second partner", async () => {
    await store.linkPair("contacts", exactRef("e-3"), crmRef("c-3"));
    await expect(store.linkPair("contacts", exactRef("e-4"), crmRef("c-3"))).rejects.toBeInstanceOf(LinkConflictError);
    expect(await store.findLink("contacts", exactRef("e-4"))).toBeNull();
  });

  it("moves agreed values only from the version they were read at", async () => {
    const link = await store.linkPair("contacts", exactRef("e-5"), crmRef("c-5"));
    await store.saveAgreed(link, AGREED);
    await expect(store.saveAgreed(link, { exactonline: {}, crmoffice: {} })).rejects.toBeInstanceOf(LinkConflictError);
    expect((await store.findLink("contacts", crmRef("c-5")))?.agreed).toEqual(AGREED);
  });

  it("removing a link frees both records and its count", async () => {
    const before = await store.countKind(kinds.links("removing"));
    const link = await store.linkPair("removing", exactRef("e-6"), crmRef("c-6"));
    expect(await store.countKind(kinds.links("removing"))).toBe(before + 1);
    await store.removeLink(link);
    expect(await store.findLink("removing", exactRef("e-6"))).toBeNull();
    expect(await store.referencesOf(crmRef("c-6"))).toEqual([]);
    expect(await store.countKind(kinds.links("removing"))).toBe(before);
  });

  it("closing a link after a delete keeps the survivor pointing at the closed link, and out of the link count", async () => {
    const link = await store.linkPair("closing", exactRef("e-8"), crmRef("c-8"));
    await store.closeLink(link, "exactonline");
    expect(await store.referencesOf(exactRef("e-8"))).toEqual([]);
    expect(await store.findLink("closing", crmRef("c-8"))).toMatchObject({
      state: "closed",
      ids: { exactonline: "e-8", crmoffice: "c-8" },
    });
    expect(await store.countKind(kinds.links("closing"))).toBe(0);
    expect(await store.countKind(kinds.closedLinks("closing"))).toBe(1);
  });

  it("records and clears unsyncable records, countable per flow", async () => {
    await store.markUnsyncable("items", { side: "crmoffice", type: "company", id: "co-1" }, "no orgNr");
    expect(await store.countKind(kinds.unsyncable("items"))).toBe(1);
    await store.clearUnsyncable("items", { side: "crmoffice", type: "company", id: "co-1" });
    expect(await store.countKind(kinds.unsyncable("items"))).toBe(0);
  });

  it("keeps a per-record history with a TTL, oldest first", async () => {
    const record = exactRef("e-7");
    await log.append({ kind: "created", flow: "contacts", record, eventId: "a", correlationId: "a" });
    await log.append({ kind: "echo", flow: "contacts", record, eventId: "b", correlationId: "b" });
    const history = await log.history(record);
    expect(history.map((entry) => entry.kind)).toEqual(["created", "echo"]);
    expect(history[0]).not.toHaveProperty("expiresAt");
  });
});
