import { createHmac } from "node:crypto";
import { GetCommand } from "@aws-sdk/lib-dynamodb";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { documentClient } from "#lib/aws/dynamodb";
import { keys } from "#lib/store/keys";
import type { LocalStack } from "#lib/local/stack";
import { CRMOFFICE_SANDBOX, EXACT_SANDBOX } from "#lib/sandbox/dev-credentials";
import { logger } from "#lib/telemetry/index";
import { eventually, type CrmUser, type ExactUser } from "../support/sandbox-users";
import { setEnv } from "../support/env";
import { startTestStack, type TestStack } from "../support/stack";

/*
 * Log hygiene: everything the product writes to stdout and stderr during a full run through the
 * local stack (creates and updates both ways, a conflict, refused webhooks, an unsyncable
 * record, failed calls and their retries), at DEBUG level so nothing hides, must hold no
 * personal data (names, emails, phone numbers) and no secret or token.
 */
// Before any module is loaded: the logger takes its level when it is created, and returns to it on every invocation.
const previousLogLevel = vi.hoisted(() => {
  const previous = process.env.POWERTOOLS_LOG_LEVEL;
  process.env.POWERTOOLS_LOG_LEVEL = "DEBUG";
  return previous;
});

const captured: string[] = [];
/** Every Authorization header and token answer the product's HTTP calls carried. */
const tokensSeen = new Set<string>();
const restore: (() => void)[] = [];

function capture(): void {
  for (const stream of [process.stdout, process.stderr]) {
    const original = stream.write;
    stream.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
      captured.push(typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8"));
      const callback = rest.find((arg) => typeof arg === "function") as (() => void) | undefined;
      callback?.();
      return true;
    }) as typeof stream.write;
    restore.push(() => (stream.write = original));
  }
  for (const method of ["log", "info", "warn", "error", "debug", "trace"] as const) {
    const original = console[method];
    console[method] = (...args: unknown[]) => {
      captured.push(
        args
          .map((arg) =>
            arg instanceof Error
              ? `${arg.stack ?? ""} ${JSON.stringify(arg)} ${String((arg as { cause?: unknown }).cause ?? "")}`
              : typeof arg === "string"
                ? arg
                : JSON.stringify(arg),
          )
          .join(" "),
      );
    };
    restore.push(() => (console[method] = original));
  }
  // The connectors take `fetch` when they are built: what they send and receive is watched for tokens.
  const originalFetch = globalThis.fetch;
  globalThis.fetch = (async (input: string | URL | Request, init?: RequestInit) => {
    const authorization = new Headers(init?.headers).get("authorization");
    if (authorization?.startsWith("Bearer ")) tokensSeen.add(authorization.slice(7));
    const response = await originalFetch(input, init);
    const url = String(input instanceof Request ? input.url : input);
    if (url.includes("/oauth2/token") || url.includes("/connect/token")) {
      const body = (await response
        .clone()
        .json()
        .catch(() => ({}))) as Record<string, unknown>;
      for (const name of ["access_token", "refresh_token"]) if (typeof body[name] === "string") tokensSeen.add(body[name]);
    }
    return response;
  }) as typeof fetch;
  restore.push(() => (globalThis.fetch = originalFetch));
}

let restoreEnv: () => void = () => undefined;
let t: TestStack;
let stack: LocalStack;
let exact: ExactUser;
let crm: CrmUser;

// Values distinctive enough that finding one in a log can only mean it leaked.
const people = [
  { first: "Zebulon", last: "Quillfeather", email: "zebulon.quillfeather@example.com", phone: "+47 413 57 924", mobile: "+47 987 31 642" },
  {
    first: "Ottoline",
    last: "Vasskjerring",
    email: "ottoline.vasskjerring@example.org",
    phone: "+47 226 19 835",
    mobile: "+47 912 84 273",
  },
];
const renamed = { last: "Quillfeather-Brannvik", phone: "+47 553 90 174", conflictExact: "Zebulonius", conflictCrm: "Zebbe" };
const companies = [
  { name: "Krumkakefabrikken Nordvest AS", code: "NO-918273645" },
  { name: "Lefsebakeriet Uten Orgnr AS", code: null },
];

beforeAll(async () => {
  capture();
  expect(logger.getLevelName()).toBe("DEBUG");
  restoreEnv = setEnv({ SYNC_LEASE_MS: "3000", EXACT_CALLS_PER_MINUTE: "100000", EXACT_CALLS_PER_DAY: "1000000" });
  t = await startTestStack({ log: { error: (message, error) => console.error(message, error) } });
  ({ stack, exact, crm } = t);
}, 60_000);

afterAll(async () => {
  restoreEnv();
  if (previousLogLevel === undefined) delete process.env.POWERTOOLS_LOG_LEVEL;
  else process.env.POWERTOOLS_LOG_LEVEL = previousLogLevel;
  await stack?.stop();
  for (const undo of restore.reverse()) undo();
});

describe("log hygiene", () => {
  it("a full run writes no names, emails, phone numbers, secrets or tokens to its logs", async () => {
    const [zeb, otto] = people as [(typeof people)[number], (typeof people)[number]];
    // Creates both ways, contacts and items.
    await exact.post("crm/Contacts", {
      Account: EXACT_SANDBOX.defaultAccountId,
      FirstName: zeb.first,
      LastName: zeb.last,
      Email: zeb.email,
      Phone: zeb.phone,
      Mobile: zeb.mobile,
    });
    await crm.post("/contacts", {
      givenName: otto.first,
      familyName: otto.last,
      email: otto.email,
      directPhone: otto.phone,
      mobilePhone: otto.mobile,
    });
    await crm.post("/companies", { name: companies[0]?.name, orgNr: companies[0]?.code });
    // Unsyncable: a company without orgNr cannot become an Exact item (Code is required).
    await crm.post("/companies", { name: companies[1]?.name });
    const zebInCrm = await eventually(
      async () => (await crm.list(`/contacts?email=${encodeURIComponent(zeb.email)}`))[0],
      10_000,
      "Zebulon in CRMOffice",
    );
    const ottoInExact = await eventually(
      async () => (await exact.list(`crm/Contacts?$filter=Email eq '${otto.email}'&$select=ID`))[0],
      10_000,
      "Ottoline in Exact",
    );
    await t.settled(1_000);

    // Updates both ways; the CRMOffice write of the next one fails twice (500), then succeeds.
    const otto0 = (await crm.list(`/contacts?email=${encodeURIComponent(otto.email)}`))[0] as Record<string, unknown>;
    await crm.put(`/contacts/${String(otto0.id)}`, {
      givenName: otto.first,
      familyName: otto.last,
      email: otto.email,
      directPhone: renamed.phone,
      mobilePhone: otto.mobile,
    });
    await fetch(`${stack.urls.crmoffice}/_sandbox/faults`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ status: 500, times: 2, method: "PUT" }),
    });
    const zebInExact = (await exact.list(`crm/Contacts?$filter=Email eq '${zeb.email}'&$select=ID`))[0] as { ID: string };
    await exact.put(`crm/Contacts(guid'${zebInExact.ID}')`, { LastName: renamed.last });
    await eventually(
      async () => (await crm.list(`/contacts?email=${encodeURIComponent(zeb.email)}`))[0]?.familyName === renamed.last,
      20_000,
      "the rename in CRMOffice",
    );
    await t.settled(1_000);

    // A conflict: the same field on both sides at once.
    await exact.put(`crm/Contacts(guid'${zebInExact.ID}')`, { FirstName: renamed.conflictExact });
    await crm.put(`/contacts/${String(zebInCrm.id)}`, {
      givenName: renamed.conflictCrm,
      familyName: renamed.last,
      email: zeb.email,
      directPhone: zeb.phone,
      mobilePhone: zeb.mobile,
    });

    // Refused webhooks carrying personal data: forged, replayed, signed but invalid.
    const post = (path: string, body: string, headers: Record<string, string> = {}) =>
      fetch(`${stack.urls.api}${path}`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body });
    const leaky = JSON.stringify({
      id: zeb.email,
      type: `contact.${zeb.first}`,
      occurredAt: zeb.phone,
      data: { id: otto.email, name: otto.last },
    });
    const now = Math.floor(Date.now() / 1000);
    const sign = (t0: number, body: string) =>
      `t=${t0},v1=${createHmac("sha256", CRMOFFICE_SANDBOX.webhookSecret).update(`${t0}.${body}`).digest("hex")}`;
    expect((await post("/webhooks/crmoffice", leaky, { "crmoffice-signature": sign(now, leaky) })).status).toBe(400);
    expect((await post("/webhooks/crmoffice", leaky, { "crmoffice-signature": sign(now - 3_600, leaky) })).status).toBe(401);
    expect((await post("/webhooks/crmoffice", leaky, { "crmoffice-signature": `t=${now},v1=${"ab".repeat(32)}` })).status).toBe(401);
    const content = JSON.stringify({
      Topic: "Contacts",
      ClientId: zeb.email,
      Division: EXACT_SANDBOX.division,
      Action: otto.first,
      Key: otto.phone,
    });
    const hash = createHmac("sha256", EXACT_SANDBOX.webhookSecret).update(content).digest("hex").toUpperCase();
    expect((await post("/webhooks/exactonline", `{"Content":${content},"HashCode":"${hash}"}`)).status).toBe(400);
    expect((await post("/webhooks/exactonline", `{"Content":${content},"HashCode":"${"0".repeat(64)}"}`)).status).toBe(401);
    await t.settled();
    expect(ottoInExact).toBeDefined();

    // The run did produce logs: decisions, refusals and the failures that were retried.
    const logs = captured.join("");
    expect(logs).toContain("webhook refused");
    expect(logs).toContain("change failed; SQS will retry it");
    expect(logs).toMatch(/contacts: exactonline contact \S+ → created/);
    expect(logs).toMatch(/→ unsyncable/);
    expect(logs).toMatch(/conflicts: firstName/);

    // What must never appear.
    const tokenItem = await documentClient().send(new GetCommand({ TableName: stack.tableName, Key: keys.token(EXACT_SANDBOX.division) }));
    for (const name of ["accessToken", "refreshToken"])
      if (typeof tokenItem.Item?.[name] === "string") tokensSeen.add(tokenItem.Item[name]);
    expect(tokensSeen.size).toBeGreaterThanOrEqual(3);
    const secrets = [
      EXACT_SANDBOX.clientSecret,
      EXACT_SANDBOX.webhookSecret,
      CRMOFFICE_SANDBOX.clientSecret,
      CRMOFFICE_SANDBOX.webhookSecret,
      ...tokensSeen,
    ];
    const personal = [
      ...people.flatMap((person) => [person.first, person.last, person.email, person.phone, person.mobile]),
      ...Object.values(renamed),
      ...companies.map((company) => company.name),
      "NO-918273645",
    ];
    const digits = (value: string) => value.replace(/\D/g, "");
    const phones = [...people.flatMap((person) => [person.phone, person.mobile]), renamed.phone].map(digits);
    const leaks = [
      ...secrets.filter((secret) => logs.includes(secret)).map((secret) => `secret or token ${secret.slice(0, 6)}…`),
      ...personal.filter((value) => logs.includes(value)).map((value) => `value ${value}`),
      ...phones.filter((phone) => logs.replace(/[\s().+-]/g, "").includes(phone)).map((phone) => `phone digits ${phone}`),
    ];
    const context = (needle: string) =>
      captured
        .filter((line) => line.includes(needle))
        .slice(0, 2)
        .map((line) => line.slice(0, 400));
    expect(leaks, JSON.stringify(leaks.map((leak) => context(leak.replace(/^(value |phone digits )/, "")).join("\n")))).toEqual([]);
  }, 90_000);
});
