/**
 * The README's walk-through, run as a newcomer pastes it into a shell next to `npm start`: the
 * same commands, with only the sandboxes' addresses moved to this test's stack (its ports are
 * free ones, so the test never collides with a running `npm start`).
 */
import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestStack, type TestStack } from "../support/stack";

let t: TestStack;

beforeAll(async () => {
  t = await startTestStack();
}, 60_000);

afterAll(async () => {
  await t?.stack.stop();
});

/** The shell block that follows "Try it:" in the README. */
async function walkThrough(): Promise<string> {
  const readme = await readFile("README.md", "utf8");
  const block = /Try it:\s*```sh\n([\s\S]*?)```/.exec(readme)?.[1];
  if (!block) throw new Error("README.md has no ```sh block after 'Try it:'");
  return block;
}

describe("README walk-through", () => {
  it("makes a contact in Exact and shows it in CRMOffice", async () => {
    const script = (await walkThrough())
      .replaceAll("http://127.0.0.1:3001", t.stack.urls.exactonline)
      .replaceAll("http://127.0.0.1:3002", t.stack.urls.crmoffice);
    const { stdout } = await promisify(execFile)("bash", ["-euo", "pipefail", "-c", script], { timeout: 30_000 });
    // The Exact POST's answer (the stored record), then CRMOffice's list with the synced contact.
    const [exactAnswer, crmAnswer] = stdout.trim().split("\n").filter(Boolean).slice(-2) as [string, string];
    expect(JSON.parse(exactAnswer)).toMatchObject({ d: { FirstName: "Ingrid", LastName: "Berg", Email: "ingrid@example.com" } });
    expect(JSON.parse(crmAnswer)).toMatchObject({ items: [{ givenName: "Ingrid", familyName: "Berg", email: "ingrid@example.com" }] });
  });
});
