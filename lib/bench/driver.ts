/**
 * The bench's users of both sandboxes (lib/sandbox/users.ts). Every request carries the
 * DRIVER_HEADER, so the call trace can leave the driver's calls out of the product's, and each
 * user counts what it sent.
 */
import { crmUser, exactUser, type CrmUser, type ExactUser } from "#lib/sandbox/users";
import { DRIVER_HEADER } from "./calls";

export interface SandboxUser {
  /** Requests sent so far (every kind, token requests included). */
  readonly sent: number;
}

export type ExactDriver = ExactUser & SandboxUser;
export type CrmDriver = CrmUser & SandboxUser;

/** A fetch that marks every request as the driver's and counts them. */
function markedFetch(): { fetch: typeof fetch; sent: () => number } {
  let sent = 0;
  return {
    fetch: (url, init = {}) => {
      sent += 1;
      return fetch(url, { ...init, headers: { ...(init.headers as Record<string, string>), [DRIVER_HEADER]: "1" } });
    },
    sent: () => sent,
  };
}

/** Signs in through the Exact sandbox's OAuth code flow (as the app's own client: the same budget). */
export async function exactDriver(baseUrl: string): Promise<ExactDriver> {
  const counted = markedFetch();
  const user = await exactUser(baseUrl, { fetch: counted.fetch });
  return Object.defineProperty({ ...user }, "sent", { get: counted.sent, enumerable: true }) as ExactDriver;
}

/** Signs in to the CRMOffice sandbox with client credentials. */
export async function crmDriver(baseUrl: string): Promise<CrmDriver> {
  const counted = markedFetch();
  const user = await crmUser(baseUrl, { fetch: counted.fetch });
  return Object.defineProperty({ ...user }, "sent", { get: counted.sent, enumerable: true }) as CrmDriver;
}

/** Polls `check` every `everyMs` until it returns a value (not undefined/false), or undefined after `timeoutMs`. */
export async function pollUntil<T>(
  check: () => Promise<T | undefined | false>,
  { everyMs, timeoutMs }: { everyMs: number; timeoutMs: number },
): Promise<T | undefined> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (performance.now() > deadline) return undefined;
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
