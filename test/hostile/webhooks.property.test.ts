import { createHmac, randomUUID } from "node:crypto";
import { DeleteMessageBatchCommand, ReceiveMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, SQSRecord } from "aws-lambda";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { handler as crmOfficeWebhook } from "#functions/webhook-crmoffice";
import { handler as exactWebhook } from "#functions/webhook-exactonline";
import { documentClient } from "#lib/aws/dynamodb";
import { createCrmOfficeConnector } from "#lib/connectors/crmoffice/client";
import { createExactConnector } from "#lib/connectors/exactonline/client";
import { createExactTokenStore } from "#lib/connectors/exactonline/tokens";
import { ChangeEventSchema, type ChangeEvent } from "#lib/events/change-event";
import { LinkStore } from "#lib/links/store";
import { SyncLog } from "#lib/links/sync-log";
import { createLambdaContext } from "#lib/local/lambda-context";
import type { Queues } from "#lib/local/resources";
import { startCrmOfficeSandbox, type CrmOfficeSandbox } from "#lib/sandbox/crmoffice/server";
import { CRMOFFICE_SANDBOX, EXACT_SANDBOX } from "#lib/sandbox/dev-credentials";
import { startExactSandbox, type ExactSandbox } from "#lib/sandbox/exactonline/server";
import type { SyncContext } from "#lib/sync/processor";
import { createRecordHandler } from "#lib/sync/worker";
import { logger } from "#lib/telemetry/index";
import { WEBHOOK_EVENTS } from "#lib/connectors/crmoffice/record-types";
import { setEnv } from "../support/env";
import { createTestQueues, createTestTable, useTestAws } from "../support/aws";
import { authorise, testCipher } from "../connectors/support/exact-sandbox";
import { changeEvent as anyChangeEvent } from "../support/events";

/*
 * Hostile input. The two webhook handlers, as deployed (API Gateway v2 events, in-process),
 * enqueueing to a real queue: whatever arrives (bodies, headers, sizes, base64 or not, forged,
 * garbage or replayed signatures) they answer without a 5xx or a throw, refuse everything
 * invalid with a 4xx, and enqueue exactly the valid deliveries. Then records that break their
 * system's schema, read by the worker: unsyncable with a reason, never a crash or a dead letter.
 */
let restoreEnv: () => void = () => undefined;
let queues: Queues;
let sqs: SQSClient;
/** Record ids of the valid deliveries, in the order they were accepted. */
const accepted: string[] = [];

beforeAll(async () => {
  useTestAws();
  queues = await createTestQueues({ visibilityTimeoutSeconds: 30 });
  sqs = new SQSClient({});
  restoreEnv = setEnv({
    // The webhook handlers keep the deliveries they took there.
    TABLE_NAME: await createTestTable(),
    EVENTS_QUEUE_URL: queues.queueUrl,
    EXACT_BASE_URL: "http://127.0.0.1:9",
    EXACT_DIVISION: String(EXACT_SANDBOX.division),
    EXACT_CLIENT_ID: EXACT_SANDBOX.clientId,
    EXACT_CLIENT_SECRET: EXACT_SANDBOX.clientSecret,
    EXACT_REDIRECT_URI: EXACT_SANDBOX.redirectUri,
    EXACT_WEBHOOK_SECRET: EXACT_SANDBOX.webhookSecret,
    CRMOFFICE_BASE_URL: "http://127.0.0.1:9",
    CRMOFFICE_CLIENT_ID: CRMOFFICE_SANDBOX.clientId,
    CRMOFFICE_CLIENT_SECRET: CRMOFFICE_SANDBOX.clientSecret,
    CRMOFFICE_WEBHOOK_SECRET: CRMOFFICE_SANDBOX.webhookSecret,
  });
  // Hundreds of refusals are the point here; their log lines are not.
  logger.setLogLevel("ERROR");
});

afterAll(() => {
  restoreEnv();
  sqs?.destroy();
});

type Target = "exactonline" | "crmoffice";
const handlers = { exactonline: exactWebhook, crmoffice: crmOfficeWebhook };

/** An API Gateway HTTP API (payload v2) event, as the local adapter and AWS build it. */
function apiEvent(
  target: Target,
  body: string | undefined,
  headers: Record<string, string>,
  isBase64Encoded: boolean,
): APIGatewayProxyEventV2 {
  const path = `/webhooks/${target}`;
  const now = new Date();
  return {
    version: "2.0",
    routeKey: `POST ${path}`,
    rawPath: path,
    rawQueryString: "",
    headers,
    requestContext: {
      accountId: "000000000000",
      apiId: "local",
      domainName: "localhost",
      domainPrefix: "localhost",
      http: { method: "POST", path, protocol: "HTTP/1.1", sourceIp: "127.0.0.1", userAgent: "fast-check" },
      requestId: randomUUID(),
      routeKey: `POST ${path}`,
      stage: "$default",
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
    },
    ...(body === undefined ? {} : { body }),
    isBase64Encoded,
  };
}

/** Invokes a handler; a throw fails the property (it would be a 5xx from API Gateway). */
async function deliver(
  target: Target,
  body: string | undefined,
  headers: Record<string, string> = {},
  isBase64Encoded = false,
): Promise<number> {
  const encoded = isBase64Encoded && body !== undefined ? Buffer.from(body, "utf8").toString("base64") : body;
  const answer = (await handlers[target](
    apiEvent(target, encoded, headers, isBase64Encoded),
    createLambdaContext({ functionName: `webhook-${target}` }),
  )) as APIGatewayProxyStructuredResultV2;
  const status = answer.statusCode ?? 0;
  expect(status, `answer ${JSON.stringify(answer)}`).toBeGreaterThanOrEqual(200);
  expect(status).toBeLessThan(500);
  return status;
}

const hmacHex = (secret: string, text: string) => createHmac("sha256", secret).update(text, "utf8").digest("hex");
const exactBody = (contentText: string, hashCode = hmacHex(EXACT_SANDBOX.webhookSecret, contentText).toUpperCase()) =>
  `{"Content":${contentText},"HashCode":"${hashCode}"}`;
const crmSignature = (body: string, t = Math.floor(Date.now() / 1000), secret: string = CRMOFFICE_SANDBOX.webhookSecret) =>
  `t=${t},v1=${hmacHex(secret, `${t}.${body}`)}`;

/** Everything on the queue now (and deleted): the events the deliveries enqueued. */
async function drainQueue(): Promise<unknown[]> {
  const bodies: unknown[] = [];
  for (;;) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queues.queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
    );
    if (Messages.length === 0) return bodies;
    bodies.push(...Messages.map((message) => JSON.parse(message.Body ?? "null") as unknown));
    await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: queues.queueUrl,
        Entries: Messages.map((message, index) => ({ Id: String(index), ReceiptHandle: message.ReceiptHandle })),
      }),
    );
  }
}

/** Arbitrary header maps (lower-case names, as API Gateway v2 gives them), sometimes with the real header names. */
const headersArb = (names: string[]) =>
  fc.dictionary(
    fc.oneof(
      fc.constantFrom(...names, "content-type", "content-length", "x-forwarded-for"),
      fc.string({ minLength: 1, maxLength: 20 }).map((name) => name.toLowerCase()),
    ),
    fc.string({ maxLength: 200 }),
    { maxKeys: 6 },
  );

/** Bodies of every kind: text, unicode, JSON of any shape, near-miss envelopes. */
const bodyArb = fc.oneof(
  fc.string({ maxLength: 500 }),
  fc.string({ unit: "grapheme", maxLength: 200 }),
  fc.string({ unit: "binary", maxLength: 200 }),
  fc.json({ maxDepth: 3 }),
  fc.jsonValue({ maxDepth: 3 }).map((value) => JSON.stringify({ Content: value, HashCode: "0".repeat(64) })),
  fc.record({ id: fc.string(), type: fc.string(), occurredAt: fc.string(), data: fc.anything() }).map((value) => JSON.stringify(value)),
);

describe("webhook handlers under arbitrary input", () => {
  it("never throw or answer 5xx, refuse with 4xx, and enqueue nothing for unsigned or forged deliveries", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom<Target>("exactonline", "crmoffice"),
        fc.option(bodyArb, { nil: undefined }),
        headersArb(["crmoffice-signature"]),
        fc.boolean(),
        async (target, body, headers, base64) => {
          const status = await deliver(target, body, headers, base64);
          // Exact's subscription check is an empty POST: answered 200, nothing enqueued.
          const emptyExact = target === "exactonline" && (body ?? "").trim() === "";
          expect(emptyExact ? [200] : [400, 401, 413]).toContain(status);
        },
      ),
      { numRuns: 300 },
    );
    expect(await drainQueue()).toEqual([]);
  });

  it("refuses valid signatures over garbage (400 or 401), garbage signatures (401) and replayed timestamps (401)", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          // Exact: a correctly signed Content that is not a notification (any JSON object text, or braces around anything).
          fc
            .oneof(
              fc.json({ maxDepth: 3 }).filter((text) => text.startsWith("{")),
              fc.string({ maxLength: 300 }).map((text) => `{${text}}`),
            )
            .map((content) => ({ target: "exactonline" as const, body: exactBody(content), headers: {} })),
          // CRMOffice: a correctly signed, fresh body that is not a notification.
          fc
            .oneof(fc.string({ maxLength: 300 }), fc.json({ maxDepth: 3 }))
            .map((body) => ({ target: "crmoffice" as const, body, headers: { "crmoffice-signature": crmSignature(body) } })),
          // Garbage signatures over a valid notification.
          fc.tuple(fc.uuid(), fc.oneof(fc.stringMatching(/^[0-9A-F]{64}$/), fc.string({ maxLength: 80 }))).map(([key, hash]) => ({
            target: "exactonline" as const,
            body: exactBody(
              JSON.stringify({
                Topic: "Contacts",
                ClientId: EXACT_SANDBOX.clientId,
                Division: EXACT_SANDBOX.division,
                Action: "Update",
                Key: key,
              }),
              hash,
            ),
            headers: {},
          })),
          fc.tuple(fc.uuid(), fc.oneof(fc.stringMatching(/^[0-9a-f]{64}$/), fc.string({ maxLength: 120 }))).map(([id, v1]) => {
            const body = JSON.stringify({ id: `evt-${id}`, type: "contact.updated", occurredAt: new Date().toISOString(), data: { id } });
            return {
              target: "crmoffice" as const,
              body,
              headers: { "crmoffice-signature": `t=${Math.floor(Date.now() / 1000)},v1=${v1}` },
            };
          }),
          // A captured delivery replayed (or sent from a clock) more than five minutes off.
          fc.tuple(fc.uuid(), fc.integer({ min: 301, max: 10 * 365 * 86_400 }), fc.boolean()).map(([id, skew, future]) => {
            const body = JSON.stringify({ id: `evt-${id}`, type: "contact.updated", occurredAt: new Date().toISOString(), data: { id } });
            return {
              target: "crmoffice" as const,
              body,
              headers: { "crmoffice-signature": crmSignature(body, Math.floor(Date.now() / 1000) + (future ? skew : -skew)) },
            };
          }),
          // Signed with another secret.
          fc.uuid().map((id) => {
            const body = JSON.stringify({ id: `evt-${id}`, type: "contact.updated", occurredAt: new Date().toISOString(), data: { id } });
            return {
              target: "crmoffice" as const,
              body,
              headers: { "crmoffice-signature": crmSignature(body, undefined, "not-the-secret") },
            };
          }),
        ),
        fc.boolean(),
        async ({ target, body, headers }, base64) => {
          expect([400, 401]).toContain(await deliver(target, body, headers, base64));
        },
      ),
      { numRuns: 300 },
    );
    expect(await drainQueue()).toEqual([]);
  });

  it("refuses bodies over 1 MB with 413, plain or base64, signed or not", async () => {
    const big = "x".repeat(1024 * 1024 + 1);
    const bigNotification = JSON.stringify({
      id: "evt-big",
      type: "contact.updated",
      occurredAt: new Date().toISOString(),
      data: { id: "c-1" },
      padding: big,
    });
    for (const base64 of [false, true]) {
      expect(await deliver("exactonline", big, {}, base64)).toBe(413);
      expect(await deliver("crmoffice", big, {}, base64)).toBe(413);
      expect(await deliver("crmoffice", bigNotification, { "crmoffice-signature": crmSignature(bigNotification) }, base64)).toBe(413);
      expect(await deliver("exactonline", exactBody(`{"Padding":"${big}"}`), {}, base64)).toBe(413);
    }
    expect(await drainQueue()).toEqual([]);
  });

  it("among all that, enqueues each valid delivery once, as a valid change event, plain or base64", async () => {
    accepted.length = 0;
    const exactValid = fc.record({
      Topic: fc.constantFrom("Contacts", "Items"),
      Action: fc.constantFrom("Create", "Update", "Delete"),
      Key: fc.uuid(),
      // Within the day a notification is taken (older ones are answered 200 and not taken: test/security).
      EventCreatedOn: fc.option(
        fc.integer({ min: 0, max: 23 * 3_600_000 }).map((ago) => new Date(Date.now() - ago).toISOString()),
        { nil: undefined },
      ),
    });
    const crmValid = fc.record({
      id: fc.uuid().map((id) => `evt-${id}`),
      type: fc.constantFrom(...WEBHOOK_EVENTS),
      data: fc.record({ id: fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/) }),
    });
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          exactValid.map((content) => ({
            target: "exactonline" as const,
            valid: true,
            recordId: content.Key.toLowerCase(),
            body: exactBody(JSON.stringify({ ...content, ClientId: EXACT_SANDBOX.clientId, Division: EXACT_SANDBOX.division })),
            headers: {},
          })),
          crmValid.map((notification) => {
            const body = JSON.stringify({ ...notification, occurredAt: new Date().toISOString() });
            return {
              target: "crmoffice" as const,
              valid: true,
              recordId: notification.data.id,
              body,
              headers: { "crmoffice-signature": crmSignature(body) },
            };
          }),
          bodyArb.map((body) => ({
            target: "crmoffice" as const,
            valid: false,
            recordId: "",
            body,
            headers: { "crmoffice-signature": crmSignature(`${body} `) },
          })),
          // Another division's notification, correctly signed: not ours.
          fc.uuid().map((key) => ({
            target: "exactonline" as const,
            valid: false,
            recordId: "",
            body: exactBody(
              JSON.stringify({
                Topic: "Contacts",
                ClientId: EXACT_SANDBOX.clientId,
                Division: EXACT_SANDBOX.division + 1,
                Action: "Update",
                Key: key,
              }),
            ),
            headers: {},
          })),
        ),
        fc.boolean(),
        async ({ target, valid, recordId, body, headers }, base64) => {
          const status = await deliver(target, body, headers, base64);
          if (valid) {
            expect(status).toBe(202);
            accepted.push(`${target}/${recordId}`);
          } else {
            expect([400, 401]).toContain(status);
          }
        },
      ),
      { numRuns: 200 },
    );
    const enqueued = await drainQueue();
    const events = enqueued.map((body) => ChangeEventSchema.parse(body));
    expect(events.map((event) => `${event.system}/${event.recordId}`).sort()).toEqual([...accepted].sort());
    expect(accepted.length).toBeGreaterThan(20);
  });
});

describe("records that break their system's schema", () => {
  let exactSandbox: ExactSandbox;
  let crmSandbox: CrmOfficeSandbox;
  let ctx: SyncContext;
  let tableName: string;
  /**
   * GET answers to replace: what the system "sends" for that record. CRMOffice's by path; Exact's,
   * read with a filtered list query, by the record's Guid in the `$filter`.
   */
  const tampered = new Map<string, string>();
  const exactRead = (id: string) => `exactonline:${id}`;

  beforeAll(async () => {
    tableName = await createTestTable();
    exactSandbox = await startExactSandbox({ port: 0, seed: "none", rateLimit: { perMinute: 100_000, perDay: 1_000_000 } });
    crmSandbox = await startCrmOfficeSandbox({ port: 0, seed: "none" });
    // The real sandboxes behind a fetch that can swap one record's answer for a broken one.
    const tamperingFetch = (async (input: string | URL | Request, init?: RequestInit) => {
      const url = new URL(input instanceof Request ? input.url : String(input));
      const filteredId = /guid'([^']+)'/.exec(url.searchParams.get("$filter") ?? "")?.[1];
      const key = filteredId && tampered.has(exactRead(filteredId)) ? exactRead(filteredId) : decodeURIComponent(url.pathname);
      const broken = (init?.method ?? "GET") === "GET" ? tampered.get(key) : undefined;
      if (broken !== undefined) return new Response(broken, { status: 200, headers: { "content-type": "application/json" } });
      return fetch(input, init);
    }) as typeof fetch;
    const exactConfig = {
      baseUrl: exactSandbox.url,
      division: exactSandbox.division,
      clientId: exactSandbox.clientId,
      clientSecret: exactSandbox.clientSecret,
      redirectUri: exactSandbox.redirectUri,
      tableName,
      cipher: testCipher(),
    };
    const tokens = createExactTokenStore(exactConfig);
    await authorise(tokens);
    ctx = {
      store: new LinkStore(documentClient(), tableName),
      log: new SyncLog(documentClient(), tableName, 30),
      connectors: {
        exactonline: createExactConnector({ ...exactConfig, tokens, fetch: tamperingFetch }),
        crmoffice: createCrmOfficeConnector({
          baseUrl: crmSandbox.url,
          clientId: CRMOFFICE_SANDBOX.clientId,
          clientSecret: CRMOFFICE_SANDBOX.clientSecret,
          fetch: tamperingFetch,
        }),
      },
      settings: { EXACT_DEFAULT_ACCOUNT_ID: EXACT_SANDBOX.defaultAccountId, propagateDeletes: [] },
      now: Date.now,
      createLeaseMs: 5_000,
    };
  }, 60_000);

  afterAll(async () => {
    await exactSandbox?.stop();
    await crmSandbox?.stop();
  });

  /** The worker's per-message handler, as functions/worker.ts builds it; a throw would mean a retry and in the end a dead letter. */
  const handle = (event: ChangeEvent, receiveCount = 1) => {
    const requeued: ChangeEvent[] = [];
    const handler = createRecordHandler({
      context: async () => ctx,
      requeue: async (requeuedEvent) => void requeued.push(requeuedEvent),
      recordFailure: async () => undefined,
      maxReceiveCount: () => 5,
      postponeLimits: () => ({ maxPostpones: 100, maxPostponeMs: 3_600_000 }),
      deadLetter: async (deadEvent) => void requeued.push(deadEvent),
    });
    const record = {
      messageId: randomUUID(),
      body: JSON.stringify(event),
      attributes: { ApproximateReceiveCount: String(receiveCount) },
    } as unknown as SQSRecord;
    return { done: handler(record), requeued };
  };
  const changeEvent = (system: "exactonline" | "crmoffice", recordType: "contact", recordId: string): ChangeEvent =>
    ChangeEventSchema.parse(anyChangeEvent(system, recordType, recordId));

  const validCrmContact = (id: string) => ({
    id,
    givenName: "Brutt",
    familyName: "Skjema",
    email: `${id}@example.com`,
    directPhone: null,
    mobilePhone: null,
    company: null,
    createdAt: "2026-01-01T00:00:00Z",
    modifiedAt: "2026-01-02T00:00:00Z",
  });
  /** Ways a record can break CRMOffice's documented shape. */
  const brokenCrmContact = fc.oneof(
    fc
      .constantFrom("givenName", "familyName", "email", "directPhone", "mobilePhone")
      .chain((field) =>
        fc
          .oneof(
            fc.integer(),
            fc.boolean(),
            fc.array(fc.string(), { maxLength: 2 }),
            fc.dictionary(fc.string(), fc.string(), { maxKeys: 2 }),
          )
          .map((value) => ({ kind: `${field} of the wrong type`, change: { [field]: value } as Record<string, unknown> })),
      ),
    fc
      .constantFrom("id", "modifiedAt")
      .map((field) => ({ kind: `${field} missing`, change: { [field]: undefined } as Record<string, unknown> })),
    fc
      .string({ maxLength: 30 })
      .filter((text) => Number.isNaN(Date.parse(text)))
      .map((text) => ({ kind: "modifiedAt not a date", change: { modifiedAt: text } as Record<string, unknown> })),
    fc.constant({ kind: "company of the wrong shape", change: { company: "acme" } as Record<string, unknown> }),
  );

  it("a CRMOffice contact whose answer breaks the schema is unsyncable with the reason, not retried", async () => {
    await fc.assert(
      fc.asyncProperty(brokenCrmContact, async ({ change }) => {
        const id = randomUUID();
        const wire = { ...validCrmContact(id), ...change };
        tampered.set(`/contacts/${id}`, JSON.stringify(wire));
        const { done, requeued } = handle(changeEvent("crmoffice", "contact", id));
        await expect(done).resolves.toBeUndefined();
        expect(requeued).toEqual([]);
        const [decision] = await ctx.log.history({ side: "crmoffice", type: "contact", id });
        expect(decision).toMatchObject({ kind: "unsyncable" });
        expect(decision?.reason).toMatch(/crmoffice .*(schema|unexpected shape)/);
        expect(decision?.reason).not.toContain("@example.com");
      }),
      { numRuns: 25 },
    );
  });

  it("so is an answer that is not JSON at all, or not an object", async () => {
    for (const broken of ["<html>maintenance</html>", "[]", "null", '"contact"', "{"]) {
      const id = randomUUID();
      tampered.set(`/contacts/${id}`, broken);
      const { done } = handle(changeEvent("crmoffice", "contact", id));
      await expect(done).resolves.toBeUndefined();
      expect((await ctx.log.history({ side: "crmoffice", type: "contact", id }))[0]).toMatchObject({ kind: "unsyncable" });
    }
  });

  it("an Exact contact whose answer breaks the schema is unsyncable with the reason, not retried", async () => {
    for (const change of [
      { Modified: "yesterday" },
      { ID: "not-a-guid" },
      { FirstName: 42 },
      { Email: { text: "x" } },
      { Modified: undefined },
    ]) {
      const id = randomUUID();
      const wire = {
        ID: id,
        Account: EXACT_SANDBOX.defaultAccountId,
        FirstName: "Brutt",
        LastName: "Skjema",
        Email: `${id}@example.com`,
        Modified: "/Date(1767225600000)/",
        ...change,
      };
      tampered.set(exactRead(id), JSON.stringify({ d: { results: [wire] } }));
      const { done } = handle(changeEvent("exactonline", "contact", id));
      await expect(done).resolves.toBeUndefined();
      const [decision] = await ctx.log.history({ side: "exactonline", type: "contact", id });
      expect(decision).toMatchObject({ kind: "unsyncable" });
      expect(decision?.reason).toMatch(/exactonline .*(schema|unexpected shape)/);
    }
  });

  it("a linked partner whose answer breaks the schema makes the change unsyncable, and a repaired record syncs again", async () => {
    const made = await createCrmContact(crmSandbox.url, { givenName: "Par", familyName: "Tner", email: "partner.breaks@example.com" });
    await expect(handle(changeEvent("crmoffice", "contact", made.id)).done).resolves.toBeUndefined();
    const link = await ctx.store.findLink("contacts", { side: "crmoffice", type: "contact", id: made.id });
    expect(link).toMatchObject({ state: "linked" });
    const exactId = link?.ids.exactonline ?? "";
    await updateCrmContact(crmSandbox.url, made.id, { givenName: "Par", familyName: "Tner-Ny", email: "partner.breaks@example.com" });
    const exactPath = exactRead(exactId);
    tampered.set(
      exactPath,
      JSON.stringify({ d: { results: [{ ID: exactId, LastName: ["not", "text"], Modified: "/Date(1767225600000)/" }] } }),
    );
    await expect(handle(changeEvent("crmoffice", "contact", made.id)).done).resolves.toBeUndefined();
    const history = await ctx.log.history({ side: "crmoffice", type: "contact", id: made.id });
    expect(history.at(-1)).toMatchObject({ kind: "unsyncable" });
    tampered.delete(exactPath);
    await expect(handle(changeEvent("crmoffice", "contact", made.id)).done).resolves.toBeUndefined();
    expect((await ctx.log.history({ side: "crmoffice", type: "contact", id: made.id })).at(-1)).toMatchObject({ kind: "updated" });
  });

  it("an oversize value the other system refuses (a 2 MB name) is unsyncable with the refusal, not retried", async () => {
    const id = randomUUID();
    tampered.set(`/contacts/${id}`, JSON.stringify({ ...validCrmContact(id), givenName: "x".repeat(2 * 1024 * 1024) }));
    const { done } = handle(changeEvent("crmoffice", "contact", id));
    await expect(done).resolves.toBeUndefined();
    const [decision] = await ctx.log.history({ side: "crmoffice", type: "contact", id });
    expect(decision).toMatchObject({ kind: "unsyncable" });
    expect(decision?.reason).toMatch(/exactonline refused/);
  });
});

async function crmToken(baseUrl: string): Promise<string> {
  const response = await fetch(`${baseUrl}/connect/token`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      grant_type: "client_credentials",
      client_id: CRMOFFICE_SANDBOX.clientId,
      client_secret: CRMOFFICE_SANDBOX.clientSecret,
      scope: "crmoffice",
    }),
  });
  return ((await response.json()) as { access_token: string }).access_token;
}

async function createCrmContact(baseUrl: string, body: Record<string, string>): Promise<{ id: string }> {
  const response = await fetch(`${baseUrl}/contacts`, {
    method: "POST",
    headers: { authorization: `Bearer ${await crmToken(baseUrl)}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return (await response.json()) as { id: string };
}

async function updateCrmContact(baseUrl: string, id: string, body: Record<string, string>): Promise<void> {
  const response = await fetch(`${baseUrl}/contacts/${id}`, {
    method: "PUT",
    headers: { authorization: `Bearer ${await crmToken(baseUrl)}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  expect(response.ok).toBe(true);
}
