/*
 * The operator's console in a real browser (headless Chromium from npm, lib/util/headless-chromium.ts)
 * against the local stack, driven as a person would: open the overview and watch it follow a
 * change made in a sandbox, open a record's history, settle an ambiguous match by picking the
 * candidate, replay a dead letter. It also measures the overview's first paint and how soon a
 * logged decision shows on the page, and saves screenshots of the overview and a history page
 * (CONSOLE_SCREENSHOT_DIR, default .local/screenshots; `npm run docs:console` writes the README's into docs/).
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startConsole, stackEnvironment, type ConsoleServer } from "#lib/console/server";
import { EXACT_SANDBOX } from "#lib/sandbox/dev-credentials";
import { launchBrowser } from "#lib/util/headless-chromium";
import { eventually } from "../support/sandbox-users";
import { startTestStack, type TestStack } from "../support/stack";

const SCREENSHOTS = process.env.CONSOLE_SCREENSHOT_DIR ?? join(".local", "screenshots");
const ACCOUNT = { Account: EXACT_SANDBOX.defaultAccountId };

/** Values typed into the sandboxes: none may appear in a URL the browser asks for or in the console's log. */
const VALUES = {
  newcomer: { FirstName: "Solveig", LastName: "Haugland", Email: "solveig.haugland@example.com", Phone: "+47 22 33 44 55" },
  dupEmail: "tvilling@example.com",
  failing: { FirstName: "Torstein", LastName: "Brekke", Email: "torstein.brekke@example.com" },
};

let t: TestStack;
let console_: ConsoleServer;
let browser: Browser;
let page: Page;
const consoleLog: string[] = [];
const requestedUrls: string[] = [];
const figures: Record<string, unknown> = {};

beforeAll(async () => {
  // No default Account: contacts born in CRMOffice stay there (unsyncable), so two of them can
  // wait for an Exact contact that matches both. Messages hide 1 s, so a failing event is
  // dead-lettered (5 receives) within seconds.
  t = await startTestStack({ withoutDefaultAccount: true, visibilityTimeoutSeconds: 1 });
  console_ = await startConsole({ environment: stackEnvironment(t.stack), port: 0, log: (line) => consoleLog.push(line) });
  browser = await launchBrowser();
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.on("request", (request) => requestedUrls.push(request.url()));
  mkdirSync(SCREENSHOTS, { recursive: true });
}, 90_000);

afterAll(async () => {
  await browser?.close();
  await console_?.close();
  await t?.stack.stop();
  console.log(`console figures: ${JSON.stringify(figures)}`);
});

const flowFigure = (flow: string, figure: string) => page.locator(`tr[data-flow="${flow}"] [data-figure="${figure}"]`);

/** Waits until the figure at `selector` reads `text` (the live updates redraw it). */
const figureReads = (selector: string, text: string, timeout: number) =>
  page.locator(selector, { hasText: new RegExp(`^\\s*${text}\\s*$`) }).waitFor({ timeout });

/** First contentful paint of a fresh load of `path`, in ms from the navigation's start. */
async function firstPaint(path: string): Promise<number> {
  await page.goto(`${console_.url}${path}`, { waitUntil: "load" });
  return page.evaluate(async () => {
    for (let tries = 0; tries < 50; tries++) {
      const [paint] = performance.getEntriesByName("first-contentful-paint");
      if (paint) return paint.startTime;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return Number.NaN;
  });
}

describe("the console in a browser", () => {
  it("paints the overview quickly, complete with its figures", async () => {
    await firstPaint("/"); // the console's first read of the sync log and the browser's warm-up
    const paints: number[] = [];
    for (let load = 0; load < 5; load++) paints.push(await firstPaint("/"));
    paints.sort((a, b) => a - b);
    figures.firstPaintMs = { median: Math.round(paints[2] ?? NaN), max: Math.round(paints[4] ?? NaN), all: paints.map(Math.round) };
    // The target is 300 ms (the bench's figure); this bound only catches a page that waits for something.
    expect(paints[4]).toBeLessThan(2_000);
    await expect(page.locator("h1").textContent()).resolves.toBe("Overview");
    await expect(flowFigure("contacts", "links").innerText()).resolves.toBe("0");
  });

  it("follows a change made in a sandbox: the decision appears live and the flow's counts move", async () => {
    // Note when each decision's row appears, as the person watching would see it.
    // (Browser-side code is given as text: it runs in the page, not in Node.)
    await page.evaluate(`
      window.seen = {};
      new MutationObserver(() => {
        for (const item of document.querySelectorAll("#live li.decision")) window.seen[item.dataset.record + "#" + item.dataset.kind] ??= Date.now();
      }).observe(document.getElementById("live"), { childList: true });
    `);
    const created = await t.exact.post("crm/Contacts", { ...ACCOUNT, ...VALUES.newcomer });
    const exactId = String(created.ID);

    const row = page.locator(`#live li.decision[data-record="${exactId}"][data-kind="created"]`);
    await row.waitFor({ timeout: 10_000 });
    await figureReads('tr[data-flow="contacts"] [data-figure="links"]', "1", 10_000);
    expect(await flowFigure("contacts", "decisions").innerText()).not.toBe("0");

    const [decision] = await t.history({ side: "exactonline", type: "contact", id: exactId });
    expect(decision?.kind).toBe("created");
    const seenAt = await page.evaluate(`window.seen[${JSON.stringify(`${exactId}#created`)}]`);
    const delayMs = Number(seenAt) - Date.parse(decision?.at ?? "");
    figures.liveUpdateMs = delayMs;
    expect(delayMs).toBeGreaterThanOrEqual(0);
    expect(delayMs).toBeLessThan(5_000);
  });

  it("opens a record's history from the live list: the timeline with the partner and the fields written", async () => {
    const created = await t.exact.list(`crm/Contacts?$filter=Email eq '${VALUES.newcomer.Email}'&$select=ID`);
    const exactId = String(created[0]?.ID);
    await page.locator(`#live li.decision[data-record="${exactId}"] a.record`).first().click();
    await page.waitForURL(/\/history\?/);
    const timeline = page.locator("ol.timeline li.decision");
    expect(await timeline.count()).toBe(1);
    const entry = await timeline.first().innerText();
    expect(entry).toContain("created");
    expect(entry).toMatch(/with crmoffice contact/);
    expect(entry).toMatch(/fields written: crmoffice .*firstName/);
    // The partner's own history is one click away.
    const [crmContact] = await t.crm.list(`/contacts?email=${encodeURIComponent(VALUES.newcomer.Email)}`);
    expect(await page.locator(`ol.timeline a.record`).first().getAttribute("href")).toContain(String(crmContact?.id));
  });

  it("settles an ambiguous match by picking the candidate: the link is made, logged in both records' histories, and merged", async () => {
    const one = await t.crm.post("/contacts", { givenName: "Tvilling", familyName: "En", email: VALUES.dupEmail });
    const two = await t.crm.post("/contacts", { givenName: "Tvilling", familyName: "To", email: VALUES.dupEmail });
    const exact = await t.exact.post("crm/Contacts", {
      ...ACCOUNT,
      FirstName: "Tvilling",
      LastName: "To",
      Email: VALUES.dupEmail,
      Phone: "+47 900 11 222",
    });
    const exactId = String(exact.ID);
    await eventually(
      async () => (await t.history({ side: "exactonline", type: "contact", id: exactId })).some((entry) => entry.kind === "unsyncable"),
      10_000,
      "the Exact contact to be found ambiguous",
    );

    await page.getByRole("link", { name: "Unsyncable records" }).click();
    const card = page.locator(`article.unsyncable[data-record="${exactId}"]`);
    await card.waitFor();
    expect(await card.locator(".reason").innerText()).toMatch(/ambiguous: 2 Contacts in crmoffice match by email/);
    expect(await card.locator("table.values thead th").allInnerTexts()).toHaveLength(4); // field, this record, two candidates
    await card.getByRole("button", { name: new RegExp(`Link to candidate \\d, crmoffice contact ${String(two.id)}`) }).click();
    await page.waitForURL(/\/unsyncable$/);
    expect(await page.locator(".flash").innerText()).toContain(
      `Linked exactonline contact ${exactId} to crmoffice contact ${String(two.id)}`,
    );
    await page.locator(`article.unsyncable[data-record="${exactId}"]`).waitFor({ state: "detached" });

    // In both systems: the chosen CRMOffice contact gets the Exact contact's phone, the other stays as it was.
    await eventually(async () => (await t.crm.get(`/contacts/${String(two.id)}`))?.directPhone === "+47 900 11 222", 10_000, "the merge");
    expect((await t.crm.get(`/contacts/${String(one.id)}`))?.directPhone ?? null).toBeNull();
    expect(await t.exact.list(`crm/Contacts?$filter=Email eq '${VALUES.dupEmail}'&$select=ID`)).toHaveLength(1);

    // Both records' histories show the operator's decision; the Exact contact's also the merge.
    await page.getByRole("link", { name: "Record history" }).click();
    await page.locator('form[action="/history/find"] select[name="field"]').selectOption("email");
    await page.locator('form[action="/history/find"] input[name="value"]').fill(VALUES.dupEmail);
    await page.locator('form[action="/history/find"]').getByRole("button", { name: "Find" }).click();
    const found = page.locator("ul.found a.record");
    await found.first().waitFor();
    expect((await found.allInnerTexts()).length).toBe(3);
    await page.locator(`ul.found a.record[href*="${String(two.id)}"]`).click();
    expect(await page.locator("ol.timeline").innerText()).toMatch(/linked[\s\S]*linked by the operator/);
    await page.goto(`${console_.url}/history?system=exactonline&type=contact&id=${exactId}`);
    await eventually(async () => {
      await page.reload();
      return (await page.locator("ol.timeline li.decision").count()) >= 3;
    }, 10_000);
    const kinds = await page.locator("ol.timeline li.decision").evaluateAll((items) => items.map((item) => item.getAttribute("data-kind")));
    expect(kinds).toEqual(["unsyncable", "linked", "updated"]);
    await page.screenshot({ path: join(SCREENSHOTS, "console-history.png"), fullPage: true });
  });

  it("replays a dead letter after a dry run, and the dead-letter queue is empty again", async () => {
    // Every create in CRMOffice fails until the fault is cleared: the event is dead-lettered after its fifth receive.
    const faults = `${t.stack.urls.crmoffice}/_sandbox/faults`;
    await fetch(faults, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ status: 500, times: 1000, method: "POST", path: "/contacts" }),
    });
    const exact = await t.exact.post("crm/Contacts", { ...ACCOUNT, ...VALUES.failing });
    const exactId = String(exact.ID);

    await page.goto(console_.url);
    await figureReads('[data-figure="dead-letters"]', "1", 50_000);
    await page.locator('[data-figure="dead-letters"] a').click();
    const row = page.locator(`tr[data-message]`, { hasText: exactId });
    await row.waitFor();
    const cells = await row.locator("td").allInnerTexts();
    expect(cells[2]).toBe("contacts");
    expect(Number(cells[3])).toBeGreaterThanOrEqual(1);
    expect(cells[5]).toMatch(/500/);
    await fetch(faults, { method: "DELETE" });
    await row.getByRole("checkbox").check();
    await page.getByRole("button", { name: "Preview replay of the picked" }).click();
    expect(await page.locator("main p").first().innerText()).toContain("Dry run: these 1 event would move back");
    expect(await t.crm.list(`/contacts?email=${encodeURIComponent(VALUES.failing.Email)}`)).toHaveLength(0);
    await page.getByRole("button", { name: "Replay these 1" }).click();
    expect(await page.locator(".result").innerText()).toContain("Moved 1 dead-lettered event back");
    expect(await page.locator('[data-figure="dead-letters"]').innerText()).toBe("0");

    await eventually(
      async () => (await t.crm.list(`/contacts?email=${encodeURIComponent(VALUES.failing.Email)}`)).length === 1,
      10_000,
      "the replayed create",
    );
    await page.getByRole("link", { name: "Overview" }).click();
    expect(await page.locator('[data-figure="dead-letters"]').innerText()).toBe("0");
    await page.locator(`#live li.decision[data-record="${exactId}"][data-kind="created"]`).waitFor({ timeout: 10_000 });
    await page.screenshot({ path: join(SCREENSHOTS, "console-overview.png"), fullPage: true });
  }, 90_000);

  it("never put a field value in a URL or a log line", () => {
    const values = [...Object.values(VALUES.newcomer), VALUES.dupEmail, ...Object.values(VALUES.failing), "Tvilling", "+47 900 11 222"];
    const encoded = values.flatMap((value) => [value, encodeURIComponent(value), value.replace(/ /g, "+")]);
    expect(requestedUrls.length).toBeGreaterThan(10);
    expect(requestedUrls.filter((url) => encoded.some((value) => url.includes(value)))).toEqual([]);
    expect(consoleLog.filter((line) => encoded.some((value) => line.includes(value)))).toEqual([]);
    expect(consoleLog.some((line) => line.includes("POST /unsyncable/link"))).toBe(true);
  });
});
