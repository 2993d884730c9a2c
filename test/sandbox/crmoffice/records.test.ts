import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startCrmOfficeSandbox } from "#lib/sandbox/crmoffice/server";
import type { CrmOfficeSandbox } from "#lib/sandbox/crmoffice/server";
import { apiClient, getToken } from "./harness";
import type { Api } from "./harness";

let sandbox: CrmOfficeSandbox;
let api: Api;

beforeAll(async () => {
  sandbox = await startCrmOfficeSandbox({ port: 0 });
  api = apiClient(sandbox.url, await getToken(sandbox.url));
});
afterAll(() => sandbox.stop());
beforeEach(async () => {
  await fetch(`${sandbox.url}/_sandbox/reset`, { method: "POST" });
});

const EMPTY_ADDRESS = { streetAddress: null, postCode: null, postalArea: null, country: null };
const ISO_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

describe("companies", () => {
  it("creates (201, nulls filled in), reads, replaces fully and deletes", async () => {
    const created = await api("POST", "/companies", {
      name: "Nordlys Handel AS",
      orgNr: "NO-1",
      postAddress: { streetAddress: "Storgata 1", postCode: "0155", postalArea: "Oslo", country: "NO" },
    });
    expect(created.status).toBe(201);
    expect(created.body).toEqual({
      id: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/),
      name: "Nordlys Handel AS",
      orgNr: "NO-1",
      postAddress: { streetAddress: "Storgata 1", postCode: "0155", postalArea: "Oslo", country: "NO" },
      visitAddress: EMPTY_ADDRESS,
      createdAt: expect.stringMatching(ISO_MS),
      modifiedAt: created.body.createdAt,
    });
    const { id } = created.body;
    expect(created.headers.get("location")).toBe(`/companies/${id}`);
    expect((await api("GET", `/companies/${id}`)).body).toEqual(created.body);

    // Full replacement: orgNr and postAddress are absent, so they become null.
    const replaced = await api("PUT", `/companies/${id}`, { name: "Nordlys AS", visitAddress: { postalArea: "Bergen" } });
    expect(replaced.status).toBe(200);
    expect(replaced.body).toMatchObject({
      id,
      name: "Nordlys AS",
      orgNr: null,
      postAddress: EMPTY_ADDRESS,
      visitAddress: { ...EMPTY_ADDRESS, postalArea: "Bergen" },
      createdAt: created.body.createdAt,
    });
    expect(replaced.body.modifiedAt > created.body.modifiedAt).toBe(true);
    expect((await api("GET", `/companies/${id}`)).body).toEqual(replaced.body);

    const deleted = await api("DELETE", `/companies/${id}`);
    expect(deleted.status).toBe(204);
    expect(deleted.body).toBeUndefined();
    const gone = await api("GET", `/companies/${id}`);
    expect(gone.status).toBe(404);
    expect(gone.body).toEqual({ error: "not_found", message: expect.stringContaining(id) });
    expect((await api("DELETE", `/companies/${id}`)).status).toBe(404);
    expect((await api("PUT", `/companies/${id}`, { name: "x" })).status).toBe(404);
  });

  it("needs a name (422) and refuses values over their maximum length (422)", async () => {
    for (const body of [{}, { name: null }, { name: "   " }, { orgNr: "NO-2" }]) {
      const response = await api("POST", "/companies", body);
      expect(response.status).toBe(422);
      expect(response.body).toEqual({ error: "validation_failed", message: expect.stringContaining("name") });
    }
    expect((await api("POST", "/companies", { name: "a".repeat(255) })).status).toBe(201);
    const tooLong = await api("POST", "/companies", { name: "a".repeat(256) });
    expect(tooLong.status).toBe(422);
    expect(tooLong.body.message).toContain("name");
    const longPostCode = await api("POST", "/companies", { name: "A", postAddress: { postCode: "1".repeat(21) } });
    expect(longPostCode.status).toBe(422);
    expect(longPostCode.body.message).toContain("postAddress.postCode");
  });
});

describe("contacts", () => {
  it("creates, reads, replaces fully and deletes a contact tied to a company", async () => {
    const company = (await api("POST", "/companies", { name: "Nordlys" })).body;
    const created = await api("POST", "/contacts", {
      givenName: "Kari",
      familyName: "Nordmann",
      email: "kari@example.com",
      mobilePhone: "+47 000 00 000",
      company: { id: company.id },
    });
    expect(created.status).toBe(201);
    expect(created.body).toEqual({
      id: expect.any(String),
      givenName: "Kari",
      familyName: "Nordmann",
      email: "kari@example.com",
      directPhone: null,
      mobilePhone: "+47 000 00 000",
      company: { id: company.id },
      createdAt: expect.stringMatching(ISO_MS),
      modifiedAt: expect.stringMatching(ISO_MS),
    });
    const { id } = created.body;
    expect((await api("GET", `/contacts/${id}`)).body).toEqual(created.body);

    const replaced = await api("PUT", `/contacts/${id}`, { familyName: "Hansen" });
    expect(replaced.status).toBe(200);
    expect(replaced.body).toEqual({
      ...created.body,
      givenName: null,
      familyName: "Hansen",
      email: null,
      mobilePhone: null,
      company: null,
      modifiedAt: expect.stringMatching(ISO_MS),
    });
    expect(replaced.body.modifiedAt > created.body.modifiedAt).toBe(true);

    expect((await api("DELETE", `/contacts/${id}`)).status).toBe(204);
    expect((await api("GET", `/contacts/${id}`)).status).toBe(404);
  });

  it("accepts a record read back with its read-only fields, but not one naming another id", async () => {
    const created = (await api("POST", "/contacts", { givenName: "Ola" })).body;
    const roundTrip = await api("PUT", `/contacts/${created.id}`, { ...created, familyName: "Hansen" });
    expect(roundTrip.status).toBe(200);
    expect(roundTrip.body).toMatchObject({ id: created.id, givenName: "Ola", familyName: "Hansen" });

    const otherId = await api("PUT", `/contacts/${created.id}`, { ...created, id: "someone-else" });
    expect(otherId.status).toBe(400);
    expect(otherId.body).toEqual({ error: "invalid_request", message: expect.stringContaining("someone-else") });
  });

  it("needs a given or family name, and an existing company (422)", async () => {
    for (const body of [{}, { email: "x@example.com" }, { givenName: "", familyName: " " }]) {
      const response = await api("POST", "/contacts", body);
      expect(response.status).toBe(422);
      expect(response.body.error).toBe("validation_failed");
    }
    expect((await api("POST", "/contacts", { familyName: "Only" })).status).toBe(201);
    const unknownCompany = await api("POST", "/contacts", { givenName: "A", company: { id: "no-such-company" } });
    expect(unknownCompany.status).toBe(422);
    expect(unknownCompany.body.message).toContain("no-such-company");
    const longEmail = await api("POST", "/contacts", { givenName: "A", email: `${"a".repeat(250)}@example.com` });
    expect(longEmail.status).toBe(422);
    expect(longEmail.body.message).toContain("email");
  });

  it("refuses malformed JSON, wrong types, unknown fields (400) and non-JSON bodies (415)", async () => {
    const malformed = await api("POST", "/contacts", "{ not json");
    expect(malformed.status).toBe(400);
    expect(malformed.body).toEqual({ error: "invalid_json", message: expect.any(String) });

    for (const body of [[], '"text"', { givenName: 5 }, { givenName: "A", company: "id-as-string" }, { givenName: "A", nickname: "x" }]) {
      const response = await api("POST", "/contacts", body);
      expect(response.status, JSON.stringify(body)).toBe(400);
      expect(response.body.error).toBe("invalid_request");
    }
    const unknownField = await api("POST", "/contacts", { givenName: "A", nickname: "x" });
    expect(unknownField.body.message).toContain("nickname");

    const token = await getToken(sandbox.url);
    const plainText = await fetch(`${sandbox.url}/contacts`, {
      method: "POST",
      headers: { Authorization: `Bearer ${token}`, "Content-Type": "text/plain" },
      body: JSON.stringify({ givenName: "A" }),
    });
    expect(plainText.status).toBe(415);
    // Nothing refused was stored.
    expect((await api("GET", "/contacts")).body.totalCount).toBe(0);
  });

  it("refuses a body over 1 MiB with 413", async () => {
    const response = await api("POST", "/contacts", { givenName: "A", familyName: "x".repeat(1024 * 1024) });
    expect(response.status).toBe(413);
    expect(response.body).toEqual({ error: "payload_too_large", message: expect.any(String) });
  });

  it("detaches the contacts of a deleted company (a write to each)", async () => {
    const company = (await api("POST", "/companies", { name: "Gone AS" })).body;
    const contact = (await api("POST", "/contacts", { givenName: "Kari", company: { id: company.id } })).body;
    expect((await api("DELETE", `/companies/${company.id}`)).status).toBe(204);
    const after = (await api("GET", `/contacts/${contact.id}`)).body;
    expect(after.company).toBeNull();
    expect(after.modifiedAt > contact.modifiedAt).toBe(true);
  });

  it("answers 405 with Allow for a method the path does not take, 404 for an unknown path", async () => {
    const response = await api("POST", "/contacts/some-id", { givenName: "A" });
    expect(response.status).toBe(405);
    expect(response.headers.get("allow")).toBe("GET, PUT, DELETE");
    expect(response.body.error).toBe("method_not_allowed");
    expect((await api("GET", "/users-of-nothing")).status).toBe(404);
  });
});

describe("modifiedAt", () => {
  it("strictly increases across writes made in the same millisecond", async () => {
    const frozen = await startCrmOfficeSandbox({ port: 0, now: () => Date.parse("2025-01-01T00:00:00.000Z") });
    try {
      const frozenApi = apiClient(frozen.url, await getToken(frozen.url));
      const first = (await frozenApi("POST", "/contacts", { givenName: "A" })).body;
      const second = (await frozenApi("POST", "/contacts", { givenName: "B" })).body;
      const updated = (await frozenApi("PUT", `/contacts/${first.id}`, { givenName: "A2" })).body;
      expect(first.modifiedAt).toBe("2025-01-01T00:00:00.000Z");
      expect(second.modifiedAt).toBe("2025-01-01T00:00:00.001Z");
      expect(updated.modifiedAt).toBe("2025-01-01T00:00:00.002Z");
      expect(updated.createdAt).toBe(first.createdAt);
    } finally {
      await frozen.stop();
    }
  });
});
