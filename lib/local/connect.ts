/**
 * Connects Exact on the local stack the way an operator does it: a one-time link from
 * `ConnectTickets` (what `syncctl connect exactonline` prints), followed as a browser follows it —
 * the start route, the sandbox's consent page (which approves at once), and back to the callback
 * with the cookie the start set. The sandbox sends the browser back to the app's registered
 * redirect URI; its path and query are what the callback is called with here, on the stack's own
 * API address.
 */
import { documentClient } from "#lib/aws/dynamodb";
import { ConnectTickets, connectLink } from "#lib/connect/tickets";

export async function connectExactLikeAnOperator(apiUrl: string, tableName: string): Promise<void> {
  const { ticket } = await new ConnectTickets(documentClient(), tableName).issueTicket();
  const start = await fetch(connectLink(apiUrl, ticket), { redirect: "manual" });
  const consentUrl = start.headers.get("location");
  const cookie = start.headers.get("set-cookie")?.split(";")[0];
  if (start.status !== 302 || !consentUrl || !cookie) throw new Error(`the connect link did not lead to Exact (HTTP ${start.status})`);
  const consent = await fetch(consentUrl, { redirect: "manual" });
  const back = consent.headers.get("location");
  if (!back) throw new Error(`Exact's consent gave no way back (HTTP ${consent.status})`);
  const { pathname, search } = new URL(back);
  const callback = await fetch(`${apiUrl}${pathname}${search}`, { headers: { cookie }, redirect: "manual" });
  if (callback.status !== 200)
    throw new Error(`connecting Exact failed (HTTP ${callback.status}): ${(await callback.text()).replace(/<[^>]+>/g, " ").trim()}`);
}
