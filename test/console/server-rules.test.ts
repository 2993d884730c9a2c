/*
 * The console server's rules, checked over plain HTTP against the local stack: it listens on
 * loopback only and answers only for its own host name; an action without the session's CSRF
 * token (or from another site) is refused and changes nothing; field values appear in no URL
 * and no log line, also on the pages that show them.
 */
import { request } from "node:http";
import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { queueDepth } from "#lib/cli/commands/status";
import { startConsole, type ConsoleServer, stackEnvironment } from "#lib/console/server";
import { eventually } from "../support/sandbox-users";
import { startTestStack, type TestStack } from "../support/stack";

let t: TestStack;
let server: ConsoleServer;
const log: string[] = [];

beforeAll(async () => {
  // No default Account: a contact born in CRMOffice stays unsyncable, with values to review.
  t = await startTestStack({ withoutDefaultAccount: true });
  server = await startConsole({ environment: stackEnvironment(t.stack), port: 0, log: (line) => log.push(line) });
}, 60_000);

afterAll(async () => {
  await server?.close();
  await t?.stack.stop();
});

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One request with exactly these headers (fetch would not send a foreign Host). */
function send(method: string, path: string, headers: Record<string, string> = {}, body = ""): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(`${server.url}${path}`, { method, headers: { ...headers, "content-length": Buffer.byteLength(body) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString("utf8") }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

/** A session as a browser gets one: its cookie and the CSRF token from a page's form. */
async function session(): Promise<{ cookie: string; csrf: string }> {
  const page = await send("GET", "/history");
  const cookie = String(page.headers["set-cookie"]).split(";")[0] ?? "";
  const csrf = /name="csrf" value="([^"]+)"/.exec(page.body)?.[1] ?? "";
  expect(cookie).toMatch(/^syncctl_console=/);
  expect(csrf).not.toBe("");
  return { cookie, csrf };
}

const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();
const formHeaders = (cookie?: string) => ({
  "content-type": "application/x-www-form-urlencoded",
  ...(cookie ? { cookie } : {}),
});

describe("the console server", () => {
  it("listens on 127.0.0.1 only: another loopback address finds nothing there", async () => {
    const { hostname, port } = new URL(server.url);
    expect(hostname).toBe("127.0.0.1");
    const refused = await new Promise<string>((resolve) => {
      const socket = connect({ host: "127.0.0.2", port: Number(port) });
      socket.on("connect", () => {
        socket.destroy();
        resolve("connected");
      });
      socket.on("error", (error: NodeJS.ErrnoException) => resolve(error.code ?? "error"));
    });
    expect(refused).toBe("ECONNREFUSED");
  });

  it("answers only for its own host name, so a page on another site cannot reach it through DNS rebinding", async () => {
    const { port } = new URL(server.url);
    expect((await send("GET", "/", { host: `attacker.example:${port}` })).status).toBe(421);
    expect((await send("GET", "/history", { host: `localhost:${port}` })).status).toBe(200);
  });

  it("refuses an action without the session's CSRF token, with a wrong one, or from another site, and changes nothing", async () => {
    const record = { flow: "contacts", system: "crmoffice", type: "contact", id: "no-such-contact-1" };
    const { cookie, csrf } = await session();
    const attempts: [string, Record<string, string>, Record<string, string>][] = [
      ["no session, no token", formHeaders(), record],
      ["a session but no token", formHeaders(cookie), record],
      ["a wrong token", formHeaders(cookie), { ...record, csrf: `${csrf.slice(0, -2)}xx` }],
      ["another session's token", formHeaders((await session()).cookie), { ...record, csrf }],
      ["the right token from another site", { ...formHeaders(cookie), origin: "http://attacker.example" }, { ...record, csrf }],
    ];
    for (const [what, headers, fields] of attempts) {
      const answer = await send("POST", "/unsyncable/retry", headers, form(fields));
      expect(answer.status, what).toBe(403);
      expect(answer.headers.location, what).toBeUndefined();
    }
    // Nothing was put on the queue: the worker never heard of the record.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(await queueDepth(t.stack.queueUrl)).toBe(0);
    expect(await t.history({ side: "crmoffice", type: "contact", id: record.id })).toEqual([]);

    // The same request with the session's token is carried out: the worker looks at the record.
    const accepted = await send("POST", "/unsyncable/retry", formHeaders(cookie), form({ ...record, csrf }));
    expect(accepted.status).toBe(303);
    expect(accepted.headers.location).toBe("/unsyncable");
    const decisions = await eventually(async () => {
      const found = await t.history({ side: "crmoffice", type: "contact", id: record.id });
      return found.length > 0 ? found : undefined;
    });
    expect(decisions[0]).toMatchObject({ kind: "ignored", reason: "record is gone and was not linked" });
  });

  it("refuses a form larger than it reads", async () => {
    const { cookie, csrf } = await session();
    const answer = await send("POST", "/history/find", formHeaders(cookie), form({ csrf, field: "email", value: "x".repeat(70_000) }));
    expect(answer.status).toBe(413);
  });

  it("shows field values only in the page: never in a link, a form's address or a log line", async () => {
    const values = { givenName: "Ragnhild", familyName: "Vestre", email: "ragnhild.vestre@example.com", directPhone: "+47 55 66 77 88" };
    const contact = await t.crm.post("/contacts", values);
    await eventually(
      async () => (await t.history({ side: "crmoffice", type: "contact", id: String(contact.id) })).some((d) => d.kind === "unsyncable"),
      10_000,
      "the contact to be unsyncable (no default Account)",
    );
    const { cookie, csrf } = await session();
    const unsyncable = await send("GET", "/unsyncable", { cookie });
    expect(unsyncable.status).toBe(200);
    expect(unsyncable.body).toContain("Ragnhild"); // the review shows the values, as syncctl unsyncable does
    const found = await send("POST", "/history/find", formHeaders(cookie), form({ csrf, field: "email", value: values.email }));
    expect(found.status).toBe(200);
    expect(found.body).toContain(String(contact.id));

    const addresses = [unsyncable.body, found.body].flatMap((body) =>
      [...body.matchAll(/(?:href|action|src)="([^"]*)"/g)].map((match) => match[1] ?? ""),
    );
    expect(addresses.length).toBeGreaterThan(5);
    const leaks = (text: string) =>
      Object.values(values).some(
        (value) => text.includes(value) || text.includes(encodeURIComponent(value)) || text.includes(value.replace(/ /g, "+")),
      );
    expect(addresses.filter(leaks)).toEqual([]);
    expect(log.some((line) => line.includes("POST /history/find"))).toBe(true);
    expect(log.filter(leaks)).toEqual([]);
  });
});
