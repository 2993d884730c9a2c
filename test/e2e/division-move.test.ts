/**
 * A division moved to another database gets every sync Timestamp renumbered from 1: a poller
 * that kept its cursors would wait for ever (every new row is below them). The poller checks the
 * division's move date, restarts the feeds whose cursors are older than the move, reads the
 * rows again as echoes (pages read, nothing written), and goes on seeing new changes.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { documentClient } from "#lib/aws/dynamodb";
import { CursorStore } from "#lib/links/cursors";
import { pollCursorName } from "#lib/poller/exact-poller";
import { EXACT_SANDBOX } from "#lib/sandbox/dev-credentials";
import { eventually } from "../support/sandbox-users";
import { startTestStack, writeCalls, type TestStack, itCausedNoExactErrorBlock } from "../support/stack";

let t: TestStack;
const EMPLOYEE_ID = "7c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f";

beforeAll(async () => {
  // Feeds read every half second; the division checked every two.
  t = await startTestStack({ pollIntervalMs: 500 });
}, 60_000);

afterAll(async () => {
  await t?.stack.stop();
});

async function editEmployeeInExact(fields: Record<string, unknown>): Promise<void> {
  const response = await fetch(`${t.stack.urls.exactonline}/_sandbox/employees/${EMPLOYEE_ID}`, {
    method: "PUT",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(fields),
  });
  expect(response.ok).toBe(true);
}

const employee = {
  FirstName: "Flytt",
  LastName: "Divisjon",
  BusinessEmail: "flytt.divisjon@example.com",
  BusinessPhone: "+47 22 11 11 11",
};
const employeeContact = async () => (await t.crm.list("/contacts?email=flytt.divisjon%40example.com"))[0];
const feedPosition = async () =>
  (await new CursorStore(documentClient(), t.stack.tableName).read(pollCursorName(EXACT_SANDBOX.division, "sync/employee")))?.position ?? 0;

describe("a division moved to another database", () => {
  it("is recovered without a write: the feeds start again from 1, and a change after the move is synced", async () => {
    await editEmployeeInExact(employee);
    await t.exact.post("crm/Contacts", {
      Account: EXACT_SANDBOX.defaultAccountId,
      FirstName: "Alt",
      LastName: "Klar",
      Email: "alt.klar@example.com",
    });
    await eventually(employeeContact, 15_000, "the employee in CRMOffice");
    await eventually(
      async () => (await t.crm.list("/contacts?email=alt.klar%40example.com")).length === 1,
      15_000,
      "the contact in CRMOffice",
    );
    await t.settled();
    const before = await feedPosition();
    expect(before).toBeGreaterThan(100);

    const moved = await fetch(`${t.stack.urls.exactonline}/_sandbox/move-division`, { method: "POST" });
    expect(moved.ok).toBe(true);
    const writesBefore = [writeCalls(t.stack.exactSandbox.stats()), writeCalls(t.stack.crmofficeSandbox.stats())];
    // The poller notices the move and reads the renumbered feed from the start.
    await eventually(async () => (await feedPosition()) < before, 15_000, "the employee feed to start again");
    await t.settled();
    // Every row read again was in step already: echoes, nothing written anywhere.
    expect([writeCalls(t.stack.exactSandbox.stats()), writeCalls(t.stack.crmofficeSandbox.stats())]).toEqual(writesBefore);

    // And the feed goes on: an edit made in Exact after the move reaches CRMOffice.
    await editEmployeeInExact({ ...employee, BusinessPhone: "+47 22 99 99 99" });
    await eventually(async () => (await employeeContact())?.directPhone === "+47 22 99 99 99", 15_000, "the edit after the move");
  }, 90_000);
});

itCausedNoExactErrorBlock(() => t.stack);
