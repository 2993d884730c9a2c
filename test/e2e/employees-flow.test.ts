import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CrmUser } from "../support/sandbox-users";
import { eventually } from "../support/sandbox-users";
import { startTestStack, writeCalls, type TestStack, itCausedNoExactErrorBlock } from "../support/stack";

/*
 * Flow 1, Exact Employees → CRMOffice Contacts. Exact has no webhook for employees and no API to
 * write them: the poller (every 500 ms here) reads sync/Payroll/Employees and sync/Deleted;
 * edits "in Exact's UI" go through the sandbox's /_sandbox/employees route.
 */
let t: TestStack;
let crm: CrmUser;
const EMPLOYEE_ID = "e0e0e0e0-0000-4000-8000-000000000001";

beforeAll(async () => {
  t = await startTestStack({ pollIntervalMs: 500 });
  ({ crm } = t);
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

const contactOfEmployee = async () => (await crm.list("/contacts?email=astrid.lie%40example.com"))[0];
const base = {
  FirstName: "Astrid",
  LastName: "Lie",
  BusinessEmail: "astrid.lie@example.com",
  BusinessPhone: "+47 22 55 55 55",
  BusinessMobile: "+47 955 55 555",
  // The employee's private numbers: Exact shows them to payroll, a CRM never gets them.
  Phone: "+47 911 11 111",
  Mobile: "+47 922 22 222",
};

describe("Exact Employees → CRMOffice Contacts", () => {
  it("creates a contact for a new employee, found by polling, with the work phone and never the private one", async () => {
    await editEmployeeInExact(base);
    const contact = await eventually(contactOfEmployee, 10_000, "the employee's contact");
    expect(contact).toMatchObject({
      givenName: "Astrid",
      familyName: "Lie",
      directPhone: "+47 22 55 55 55",
      mobilePhone: "+47 955 55 555",
    });
  });

  it("carries the work phone and mobile (BusinessPhone, BusinessMobile), never the private Phone or Mobile", async () => {
    // A change of the private number alone: several polls (every 500 ms) see it while the systems stay quiet.
    await editEmployeeInExact({ ...base, Phone: "+47 933 33 333" });
    await t.settled();
    expect(await contactOfEmployee()).toMatchObject({ directPhone: "+47 22 55 55 55", mobilePhone: "+47 955 55 555" });
  });

  it("carries an edit made in Exact", async () => {
    await editEmployeeInExact({ ...base, LastName: "Lie-Strand" });
    await eventually(async () => (await contactOfEmployee())?.familyName === "Lie-Strand", 10_000, "the new last name");
  });

  it("keeps a CRMOffice edit in CRMOffice, logs why, and never writes to Exact", async () => {
    const contact = (await contactOfEmployee()) as Record<string, unknown> & { id: string };
    const exactWritesBefore = writeCalls(t.stack.exactSandbox.stats());
    await crm.put(`/contacts/${contact.id}`, {
      givenName: "Astrid",
      familyName: "Lie-Strand",
      email: "astrid.lie@example.com",
      directPhone: "+47 22 00 00 01",
      mobilePhone: "+47 955 55 555",
    });
    const kept = await eventually(
      async () => (await t.history({ side: "crmoffice", type: "contact", id: contact.id })).find((entry) => entry.kind === "kept"),
      10_000,
      "the kept decision",
    );
    expect(kept.reason).toMatch(/does not write phone to exactonline/);
    await t.settled();
    expect(writeCalls(t.stack.exactSandbox.stats())).toBe(exactWritesBefore);
    expect(await contactOfEmployee()).toMatchObject({ directPhone: "+47 22 00 00 01" });
  });

  it("lets Exact win when it later changes the same field", async () => {
    await editEmployeeInExact({ ...base, LastName: "Lie-Strand", BusinessPhone: "+47 22 99 99 99" });
    await eventually(async () => (await contactOfEmployee())?.directPhone === "+47 22 99 99 99", 10_000, "Exact's phone");
  });

  it("unlinks and keeps the contact when the employee is deleted in Exact", async () => {
    const contact = (await contactOfEmployee()) as { id: string };
    const response = await fetch(`${t.stack.urls.exactonline}/_sandbox/employees/${EMPLOYEE_ID}`, { method: "DELETE" });
    expect(response.ok).toBe(true);
    const unlinked = await eventually(
      async () => (await t.history({ side: "exactonline", type: "employee", id: EMPLOYEE_ID })).find((entry) => entry.kind === "unlinked"),
      10_000,
      "the unlink",
    );
    expect(unlinked.partner).toMatchObject({ side: "crmoffice", id: contact.id });
    await t.settled();
    expect(await crm.get(`/contacts/${contact.id}`)).toMatchObject({ givenName: "Astrid" });
  });
});

itCausedNoExactErrorBlock(() => t.stack);
