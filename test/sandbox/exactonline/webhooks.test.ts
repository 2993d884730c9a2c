import { createHmac } from "node:crypto";
import type { IncomingMessage } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { readBody, sendEmpty, startHttpServer } from "#lib/sandbox/common/http";
import type { RunningServer } from "#lib/sandbox/common/http";
import { EXACT_SANDBOX } from "#lib/sandbox/dev-credentials";
import { signContent } from "#lib/sandbox/exactonline/webhooks";
import { errorText, REPRESENTATION, startClient, testClock } from "./helpers";
import type { ExactTestClient } from "./helpers";

// Test vector computed once outside the code under test:
//   printf '%s' "$CONTENT" | openssl dgst -sha256 -hmac 'test-webhook-secret'
const VECTOR_SECRET = "test-webhook-secret";
const VECTOR_CONTENT =
  '{"Topic":"Contacts","ClientId":"9f4e3a12-6d0b-4c3e-9a57-0e5d2c1b7a01","Division":3183061,"Action":"Update","Key":"7d3c2a1b-4e5f-4a6b-8c9d-0e1f2a3b4c01","ExactOnlineEndpoint":"https://start.exactonline.nl/api/v1/3183061/crm/Contacts(guid\'7d3c2a1b-4e5f-4a6b-8c9d-0e1f2a3b4c01\')","EventCreatedOn":"2024-05-01T10:00:00.000Z"}';
const VECTOR_HASH = "920B0740E81BF7F758336E817172BB5584BF0B70C669863355B01097138B0B3D";

const hmacHex = (secret: string, text: string) => createHmac("sha256", secret).update(text, "utf8").digest("hex").toUpperCase();

interface Received {
  body: string;
  contentLength: string | undefined;
}

/** A webhook receiver that answers each request with the next status in `statuses` (then 200). */
async function startReceiver(statuses: number[] = []) {
  const received: Received[] = [];
  const server: RunningServer = await startHttpServer(
    async (req: IncomingMessage, res) => {
      received.push({ body: (await readBody(req, 1 << 20)).toString("utf8"), contentLength: req.headers["content-length"] });
      sendEmpty(res, statuses.shift() ?? 200);
    },
    { port: 0, host: "127.0.0.1" },
  );
  return { server, received, notifications: () => received.filter((request) => request.body !== "") };
}

let client: ExactTestClient;
let receiver: Awaited<ReturnType<typeof startReceiver>>;

async function subscribe(callbackUrl: string, topic = "Contacts"): Promise<Response> {
  return client.api("webhooks/WebhookSubscriptions", {
    method: "POST",
    json: { CallbackURL: callbackUrl, Topic: topic },
    headers: REPRESENTATION,
  });
}

async function createContact(): Promise<string> {
  const response = await client.api("crm/Contacts", {
    method: "POST",
    json: { Account: EXACT_SANDBOX.defaultAccountId, LastName: "Hooked" },
  });
  return String(((await response.json()) as { d: { ID: string } }).d.ID);
}

describe("Exact webhook signature", () => {
  it("matches an independently computed test vector", () => {
    expect(hmacHex(VECTOR_SECRET, VECTOR_CONTENT)).toBe(VECTOR_HASH);
    expect(signContent(VECTOR_SECRET, VECTOR_CONTENT)).toBe(VECTOR_HASH);
  });
});

describe("Exact sandbox webhooks", () => {
  afterEach(async () => {
    await client.sandbox.stop();
    await receiver.server.close();
  });

  it("validates the callback with an empty POST, then delivers signed notifications on create, update and delete", async () => {
    receiver = await startReceiver();
    // 10:00:30.250 UTC on 1 May is 12:00:30.250 in Amsterdam (CEST).
    client = await startClient({
      webhookSecret: VECTOR_SECRET,
      delivery: { retryDelayMs: 10 },
      now: testClock(Date.UTC(2024, 4, 1, 10, 0, 30, 250)).read,
    });
    const created = await subscribe(`${receiver.server.url}/hook`);
    expect(created.status).toBe(201);
    const subscription = ((await created.json()) as { d: Record<string, unknown> }).d;
    expect(subscription).toMatchObject({
      Topic: "Contacts",
      CallbackURL: `${receiver.server.url}/hook`,
      ClientID: client.sandbox.clientId,
    });
    expect(receiver.received).toEqual([{ body: "", contentLength: "0" }]);

    const id = await createContact();
    await client.api(`crm/Contacts(guid'${id}')`, { method: "PUT", json: { FirstName: "Now" } });
    await client.api(`crm/Contacts(guid'${id}')`, { method: "DELETE" });
    await client.api("logistics/Items", { method: "POST", json: { Code: "NOT-HOOKED", Description: "other topic" } });
    await client.sandbox.drainDeliveries();

    const bodies = receiver.notifications().map((request) => request.body);
    expect(bodies).toHaveLength(3);
    const actions = [];
    for (const raw of bodies) {
      expect(raw.startsWith('{"Content":')).toBe(true);
      const contentText = raw.slice('{"Content":'.length, raw.indexOf(',"HashCode":'));
      const parsed = JSON.parse(raw) as { Content: Record<string, unknown>; HashCode: string };
      expect(parsed.HashCode).toBe(hmacHex(VECTOR_SECRET, contentText));
      expect(parsed.HashCode).not.toBe(hmacHex(client.sandbox.clientSecret, contentText));
      expect(parsed.Content).toMatchObject({
        Topic: "Contacts",
        ClientId: client.sandbox.clientId,
        Division: client.sandbox.division,
        Key: id,
        ExactOnlineEndpoint: `${client.base}/crm/Contacts(guid'${id}')`,
      });
      expect(parsed.Content.EventCreatedOn).toBe("2024-05-01T12:00:30.250");
      actions.push(parsed.Content.Action);
    }
    expect(actions).toEqual(["Create", "Update", "Delete"]);
    expect(client.sandbox.stats().deliveries).toEqual({ sent: 3, failed: 0 });
  });

  it("refuses a subscription whose callback fails validation or cannot be reached: a functional 500 with Exact's body", async () => {
    receiver = await startReceiver([500]);
    client = await startClient();
    const failing = await subscribe(`${receiver.server.url}/hook`);
    expect(failing.status).toBe(500);
    expect(await errorText(failing)).toContain("validatie mislukt");
    const unreachable = await subscribe("http://127.0.0.1:9/hook");
    expect(unreachable.status).toBe(500);
    expect(await errorText(unreachable)).toContain("CallbackURL");
    const list = await client.api("webhooks/WebhookSubscriptions");
    expect(((await list.json()) as { d: { results: unknown[] } }).d.results).toEqual([]);
  });

  it("demands HTTPS except on loopback, and only the Contacts and Items topics", async () => {
    receiver = await startReceiver();
    client = await startClient();
    expect((await subscribe("http://example.com/hook")).status).toBe(400);
    const employees = await subscribe(`${receiver.server.url}/hook`, "Employees");
    expect(employees.status).toBe(400);
    expect(await errorText(employees)).toContain("Employees");
    expect((await subscribe(`${receiver.server.url}/hook`, "Items")).status).toBe(201);
    const duplicate = await subscribe(`${receiver.server.url}/hook`, "Items");
    expect(duplicate.status).toBe(500);
    expect(await errorText(duplicate)).toContain("Gegeven bestaat reeds");
  });

  it("lists and deletes subscriptions; a deleted one gets nothing more", async () => {
    receiver = await startReceiver();
    client = await startClient();
    const created = ((await (await subscribe(`${receiver.server.url}/hook`, "Items")).json()) as { d: { ID: string } }).d;
    const list = (await (await client.api("webhooks/WebhookSubscriptions")).json()) as { d: { results: Array<{ ID: string }> } };
    expect(list.d.results.map((row) => row.ID)).toEqual([created.ID]);
    const path = `webhooks/WebhookSubscriptions(guid'${created.ID}')`;
    expect((await client.api(path, { method: "DELETE" })).status).toBe(204);
    expect((await client.api(path, { method: "DELETE" })).status).toBe(404);
    await client.api("logistics/Items", { method: "POST", json: { Code: "QUIET", Description: "no hook" } });
    await client.sandbox.drainDeliveries();
    expect(receiver.notifications()).toEqual([]);
  });

  it("retries a failing receiver with back-off and counts each attempt", async () => {
    receiver = await startReceiver([200, 503, 500]);
    client = await startClient({ delivery: { retryDelayMs: 5 } });
    expect((await subscribe(`${receiver.server.url}/hook`, "Items")).status).toBe(201);
    await client.api("logistics/Items", { method: "POST", json: { Code: "RETRY", Description: "retried" } });
    await client.sandbox.drainDeliveries();
    expect(receiver.notifications()).toHaveLength(3);
    expect(new Set(receiver.notifications().map((request) => request.body)).size).toBe(1);
    expect(client.sandbox.stats().deliveries).toEqual({ sent: 1, failed: 2 });
  });

  it("can deliver late and twice when asked", async () => {
    receiver = await startReceiver();
    client = await startClient({ delivery: { delayMs: 50, duplicateRate: 1 } });
    expect((await subscribe(`${receiver.server.url}/hook`, "Items")).status).toBe(201);
    await client.api("logistics/Items", { method: "POST", json: { Code: "TWICE", Description: "duplicated" } });
    expect(receiver.notifications()).toHaveLength(0);
    await client.sandbox.drainDeliveries();
    const [first, second] = receiver.notifications();
    expect(receiver.notifications()).toHaveLength(2);
    expect(first?.body).toBe(second?.body);
  });
});
