/**
 * The console's two speed figures, in the headless Chromium the browser test uses: the
 * overview's first contentful paint (fresh loads of the page against the bench's stack, with
 * the data the earlier phases left), and how soon a decision shows in the open page after it was
 * logged (changes made in Exact one at a time; the page's own clock against the sync log's `at`).
 */
import { documentClient } from "#lib/aws/dynamodb";
import { startConsole, stackEnvironment } from "#lib/console/server";
import { SyncLog } from "#lib/links/sync-log";
import { EXACT_SANDBOX } from "#lib/sandbox/dev-credentials";
import { launchBrowser } from "#lib/util/headless-chromium";
import { pollUntil } from "./driver";
import { summarize, type LatencySummary } from "./report";
import type { BenchStack } from "./stack";

export interface ConsoleFigures {
  firstPaint: LatencySummary & { loads: number };
  liveUpdate: LatencySummary & { changes: number; missed: number };
}

/** The page records when each decision's row first appears (text: it runs in the page). */
const WATCH_LIVE_LIST = `
  window.seen = {};
  new MutationObserver(() => {
    for (const item of document.querySelectorAll("#live li.decision")) window.seen[item.dataset.record] ??= Date.now();
  }).observe(document.getElementById("live"), { childList: true });
`;

export async function measureConsole(bench: BenchStack, { loads, changes }: { loads: number; changes: number }): Promise<ConsoleFigures> {
  const server = await startConsole({ environment: stackEnvironment(bench.stack), port: 0, log: () => undefined });
  const browser = await launchBrowser();
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const paints: number[] = [];
    for (let load = 0; load <= loads; load++) {
      await page.goto(`${server.url}/`, { waitUntil: "load" });
      const paint = await pollUntil(
        () => page.evaluate(`performance.getEntriesByName("first-contentful-paint")[0]?.startTime`) as Promise<number | undefined>,
        { everyMs: 20, timeoutMs: 2_000 },
      );
      // The first load warms the console's reader of the sync log and the browser.
      if (load > 0) paints.push(paint ?? Number.NaN);
    }

    await page.evaluate(WATCH_LIVE_LIST);
    const log = new SyncLog(documentClient(), bench.stack.tableName, 30);
    const delays: number[] = [];
    let missed = 0;
    for (let change = 0; change < changes; change++) {
      const created = await bench.exact.post("crm/Contacts", {
        Account: EXACT_SANDBOX.defaultAccountId,
        FirstName: "Console",
        LastName: `Bench ${change}`,
        Email: `console.bench.${change}.${Date.now()}@example.com`,
      });
      const id = String(created.ID);
      const seenAt = await pollUntil(() => page.evaluate(`window.seen[${JSON.stringify(id)}]`) as Promise<number | undefined>, {
        everyMs: 20,
        timeoutMs: 10_000,
      });
      const [decision] = await log.history({ side: "exactonline", type: "contact", id });
      if (seenAt === undefined || !decision) missed += 1;
      else delays.push(seenAt - Date.parse(decision.at));
      await bench.quiet({ quietMs: 300 });
    }
    return {
      firstPaint: { ...summarize(paints), loads },
      liveUpdate: { ...summarize(delays), changes, missed },
    };
  } finally {
    await browser.close();
    await server.close();
  }
}
