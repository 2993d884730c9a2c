import { createHmac, timingSafeEqual } from "node:crypto";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startCrmOfficeSandbox } from "#lib/sandbox/crmoffice/server";
import type { CrmOfficeSandbox } from "#lib/sandbox/crmoffice/server";
import { signatureHeaderValue } from "#lib/sandbox/crmoffice/signature";
import { apiClient, getToken, startWebhookReceiver } from "./harness";
import type { Api, ReceivedDelivery, WebhookReceiver } from "./harness";

const SECRET = "receiver-test-secret";

let sandbox: CrmOfficeSandbox;
let api: Api;
let receiver: WebhookReceiver;

beforeAll(async () => {
  sandbox = await startCrmOfficeSandbox({ port: 0, delivery: { retryDelayMs: 10, attempts: 3 } });
  api = apiClient(sandbox.url, await getToken(sandbox.url));
});
afterAll(() => sandbox.stop());
beforeEach(async () => {
  receiver = await startWebhookReceiver();
  await fetch(`${sandbox.url}/_sandbox/reset`, { method: "POST" });
  for (const { id } of (await api("GET", "/webhooks")).body.items) await api("DELETE", `/webhooks/${id}`);
});
afterEach(() => receiver.close());

/** Checks a delivery's signature as a receiver would, with node:crypto; returns its time. */
function verifiedTimestamp(delivery: ReceivedDelivery, secret: string): number {
  const header = delivery.headers["crmoffice-signature"];
  const match = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(String(header));
  if (!match?.[1] || !match[2]) throw new Error(`malformed signature header: ${String(header)}`);
  const expected = createHmac("sha256", secret).update(`${match[1]}.${delivery.rawBody}`).digest();
  if (!timingSafeEqual(expected, Buffer.from(match[2], "hex"))) throw new Error("signature does not match");
  return Number(match[1]);
}

describe("the delivery signature", () => {
  it("matches a vector computed independently with openssl", () => {
    // printf '%s' '1700000000.<body>' | openssl dgst -sha256 -hmac whsec-test-vector
    const body = '{"id":"evt-1","type":"contact.updated","occurredAt":"2023-11-14T22:13:20.000Z","data":{"id":"c-1"}}';
    expect(signatureHeaderValue("whsec-test-vector", 1700000000, body)).toBe(
      "t=1700000000,v1=17b909eb26f0097f9b990ae1ad4c7f03c3b477d362db67f57d32b8a18a3112ca",
    );
  });
});

describe("webhook registrations", () => {
  it("registers (201, no secret echoed), lists and deletes", async () => {
    const created = await api("POST", "/webhooks", { url: receiver.url, events: ["contact.created", "company.deleted"], secret: SECRET });
    expect(created.status).toBe(201);
    expect(created.body).toEqual({ id: expect.any(String), url: receiver.url, events: ["contact.created", "company.deleted"] });
    expect((await api("GET", "/webhooks")).body).toEqual({ items: [created.body] });

    expect((await api("DELETE", `/webhooks/${created.body.id}`)).status).toBe(204);
    expect((await api("GET", "/webhooks")).body).toEqual({ items: [] });
    expect((await api("DELETE", `/webhooks/${created.body.id}`)).status).toBe(404);
  });

  it("refuses unknown events, no events, a bad url or a missing secret with 400", async () => {
    for (const body of [
      { url: receiver.url, events: ["contact.merged"], secret: SECRET },
      { url: receiver.url, events: [], secret: SECRET },
      { url: "not a url", events: ["contact.created"], secret: SECRET },
      { url: "ftp://127.0.0.1/hook", events: ["contact.created"], secret: SECRET },
      { url: receiver.url, events: ["contact.created"] },
      { url: receiver.url, events: ["contact.created"], secret: "" },
    ]) {
      const response = await api("POST", "/webhooks", body);
      expect(response.status, JSON.stringify(body)).toBe(400);
      expect(response.body.error).toBe("invalid_request");
    }
    expect((await api("GET", "/webhooks")).body.items).toEqual([]);
  });
});

describe("webhook deliveries", () => {
  it("sends one signed delivery per accepted write to each matching registration", async () => {
    await api("POST", "/webhooks", {
      url: receiver.url,
      events: ["contact.created", "contact.updated", "contact.deleted"],
      secret: SECRET,
    });
    const company = (await api("POST", "/companies", { name: "Not announced" })).body;
    const created = (await api("POST", "/contacts", { givenName: "Kari", company: { id: company.id } })).body;
    const updated = (await api("PUT", `/contacts/${created.id}`, { givenName: "Kari", familyName: "Nordmann" })).body;
    await api("DELETE", `/contacts/${created.id}`);
    await api("POST", "/contacts", {}); // refused (422): announces nothing
    await sandbox.drainDeliveries();

    const payloads = receiver.received.map((delivery) => JSON.parse(delivery.rawBody));
    expect(payloads.map((payload) => payload.type).sort()).toEqual(["contact.created", "contact.deleted", "contact.updated"]);
    for (const payload of payloads) {
      expect(payload).toEqual({ id: expect.any(String), type: payload.type, occurredAt: expect.any(String), data: { id: created.id } });
    }
    expect(new Set(payloads.map((payload) => payload.id)).size).toBe(3);
    expect(payloads.find((payload) => payload.type === "contact.updated").occurredAt).toBe(updated.modifiedAt);

    const nowSeconds = Math.floor(Date.now() / 1000);
    for (const delivery of receiver.received) {
      expect(delivery.headers["content-type"]).toBe("application/json");
      expect(Math.abs(verifiedTimestamp(delivery, SECRET) - nowSeconds)).toBeLessThanOrEqual(300);
      expect(() => verifiedTimestamp(delivery, "another-secret")).toThrow("signature does not match");
    }
  });

  it("signs each registration's deliveries with its own secret", async () => {
    const other = await startWebhookReceiver();
    try {
      await api("POST", "/webhooks", { url: receiver.url, events: ["company.created"], secret: SECRET });
      await api("POST", "/webhooks", { url: other.url, events: ["company.created"], secret: "other-secret" });
      await api("POST", "/companies", { name: "Twice announced" });
      await sandbox.drainDeliveries();
      expect(receiver.received).toHaveLength(1);
      expect(other.received).toHaveLength(1);
      expect(receiver.received[0]?.rawBody).toBe(other.received[0]?.rawBody);
      verifiedTimestamp(receiver.received[0]!, SECRET);
      verifiedTimestamp(other.received[0]!, "other-secret");
    } finally {
      await other.close();
    }
  });

  it("retries a failing receiver with the same body, and counts every attempt", async () => {
    await api("POST", "/webhooks", { url: receiver.url, events: ["company.created"], secret: SECRET });
    receiver.failNext(2);
    await api("POST", "/companies", { name: "Retried" });
    await sandbox.drainDeliveries();

    expect(receiver.received).toHaveLength(3);
    expect(new Set(receiver.received.map((delivery) => delivery.rawBody)).size).toBe(1);
    expect(sandbox.stats().deliveries).toEqual({ sent: 1, failed: 2 });
  });

  it("gives up after the configured attempts", async () => {
    await api("POST", "/webhooks", { url: receiver.url, events: ["company.created"], secret: SECRET });
    receiver.failNext(10);
    await api("POST", "/companies", { name: "Never received" });
    await sandbox.drainDeliveries();
    expect(receiver.received).toHaveLength(3);
    expect(sandbox.stats().deliveries).toEqual({ sent: 0, failed: 3 });
  });

  it("stops delivering to a deleted registration", async () => {
    const { id } = (await api("POST", "/webhooks", { url: receiver.url, events: ["company.created"], secret: SECRET })).body;
    await api("DELETE", `/webhooks/${id}`);
    await api("POST", "/companies", { name: "Unheard" });
    await sandbox.drainDeliveries();
    expect(receiver.received).toEqual([]);
  });

  it("announces the detachment of a deleted company's contacts as contact updates", async () => {
    const company = (await api("POST", "/companies", { name: "Closing AS" })).body;
    const contact = (await api("POST", "/contacts", { givenName: "Kari", company: { id: company.id } })).body;
    await api("POST", "/webhooks", { url: receiver.url, events: ["contact.updated", "company.deleted"], secret: SECRET });
    await api("DELETE", `/companies/${company.id}`);
    await sandbox.drainDeliveries();
    const announced = receiver.received.map((delivery) => JSON.parse(delivery.rawBody));
    expect(announced.map(({ type, data }) => `${type} ${data.id}`).sort()).toEqual([
      `company.deleted ${company.id}`,
      `contact.updated ${contact.id}`,
    ]);
  });

  it("sends a second copy of a delivery when asked for duplicates (at-least-once)", async () => {
    const duplicating = await startCrmOfficeSandbox({ port: 0, delivery: { duplicateRate: 1 }, random: () => 0 });
    try {
      const duplicatingApi = apiClient(duplicating.url, await getToken(duplicating.url));
      await duplicatingApi("POST", "/webhooks", { url: receiver.url, events: ["company.created"], secret: SECRET });
      await duplicatingApi("POST", "/companies", { name: "Announced twice" });
      await duplicating.drainDeliveries();
      expect(receiver.received).toHaveLength(2);
      expect(receiver.received[0]?.rawBody).toBe(receiver.received[1]?.rawBody);
    } finally {
      await duplicating.stop();
    }
  });
});
