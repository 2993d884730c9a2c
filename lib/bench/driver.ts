/**
 * The bench's users of both sandboxes: plain HTTP with their own tokens, as a person (or another
 * app) would use them, independent of the product's connectors (after test/support/sandbox-users.ts).
 * Every request carries the DRIVER_HEADER, so the call trace can leave the driver's calls out of
 * the product's, and each user counts what it sent.
 */
import { CRMOFFICE_SANDBOX, EXACT_SANDBOX } from "#lib/sandbox/dev-credentials";
import { DRIVER_HEADER } from "./calls";

export class DriverCallError extends Error {
  override name = "DriverCallError";
}

async function expectOk(response: Response, what: string): Promise<Response> {
  if (!response.ok) throw new DriverCallError(`${what}: HTTP ${response.status} ${await response.text()}`);
  return response;
}

export interface SandboxUser {
  /** Requests sent so far (every kind, token requests included). */
  readonly sent: number;
}

export interface ExactDriver extends SandboxUser {
  /** `path` under `/api/v1/{division}/`; the `d` of the answer. */
  get(path: string): Promise<Record<string, unknown>>;
  post(path: string, body: unknown): Promise<Record<string, unknown>>;
  put(path: string, body: unknown): Promise<void>;
}

/** Signs in through the Exact sandbox's OAuth code flow (as the app's own client: the same budget). */
export async function exactDriver(baseUrl: string): Promise<ExactDriver> {
  let sent = 0;
  const send = (url: string | URL, init: RequestInit = {}) => {
    sent += 1;
    return fetch(url, { ...init, headers: { ...(init.headers as Record<string, string>), [DRIVER_HEADER]: "1" } });
  };
  const auth = new URL("/api/oauth2/auth", baseUrl);
  auth.search = new URLSearchParams({ client_id: EXACT_SANDBOX.clientId, redirect_uri: EXACT_SANDBOX.redirectUri, response_type: "code", state: "bench" }).toString();
  const consent = await send(auth, { redirect: "manual" });
  const code = new URL(consent.headers.get("location") ?? "", baseUrl).searchParams.get("code") ?? "";
  const tokenResponse = await expectOk(
    await send(new URL("/api/oauth2/token", baseUrl), {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ grant_type: "authorization_code", code, client_id: EXACT_SANDBOX.clientId, client_secret: EXACT_SANDBOX.clientSecret, redirect_uri: EXACT_SANDBOX.redirectUri }),
    }),
    "exact token",
  );
  const { access_token: token } = (await tokenResponse.json()) as { access_token: string };
  const url = (path: string) => `${baseUrl}/api/v1/${EXACT_SANDBOX.division}/${path}`;
  const headers = { authorization: `Bearer ${token}`, accept: "application/json", "content-type": "application/json" };
  return {
    get sent() {
      return sent;
    },
    get: async (path) => ((await (await expectOk(await send(url(path), { headers }), `GET ${path}`)).json()) as { d: Record<string, unknown> }).d,
    post: async (path, body) => ((await (await expectOk(await send(url(path), { method: "POST", headers, body: JSON.stringify(body) }), `POST ${path}`)).json()) as { d: Record<string, unknown> }).d,
    put: async (path, body) => void (await (await expectOk(await send(url(path), { method: "PUT", headers, body: JSON.stringify(body) }), `PUT ${path}`)).arrayBuffer()),
  };
}

export interface CrmDriver extends SandboxUser {
  /** The record, or null on 404. */
  get(path: string): Promise<Record<string, unknown> | null>;
  post(path: string, body: unknown): Promise<Record<string, unknown>>;
  put(path: string, body: unknown): Promise<Record<string, unknown>>;
}

/** Signs in to the CRMOffice sandbox with client credentials. */
export async function crmDriver(baseUrl: string): Promise<CrmDriver> {
  let sent = 0;
  const send = (url: string, init: RequestInit = {}) => {
    sent += 1;
    return fetch(url, { ...init, headers: { ...(init.headers as Record<string, string>), [DRIVER_HEADER]: "1" } });
  };
  const tokenResponse = await expectOk(
    await send(`${baseUrl}/connect/token`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ grant_type: "client_credentials", client_id: CRMOFFICE_SANDBOX.clientId, client_secret: CRMOFFICE_SANDBOX.clientSecret, scope: "crmoffice offline_access" }),
    }),
    "crmoffice token",
  );
  const { access_token: token } = (await tokenResponse.json()) as { access_token: string };
  const headers = { authorization: `Bearer ${token}`, "content-type": "application/json" };
  const call = async (method: string, path: string, body?: unknown) =>
    (await (await expectOk(await send(`${baseUrl}${path}`, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) }), `${method} ${path}`)).json()) as Record<string, unknown>;
  return {
    get sent() {
      return sent;
    },
    get: async (path) => {
      const response = await send(`${baseUrl}${path}`, { headers });
      if (response.status === 404) {
        await response.arrayBuffer();
        return null;
      }
      return (await (await expectOk(response, `GET ${path}`)).json()) as Record<string, unknown>;
    },
    post: (path, body) => call("POST", path, body),
    put: (path, body) => call("PUT", path, body),
  };
}

/** Polls `check` every `everyMs` until it returns a value (not undefined/false), or undefined after `timeoutMs`. */
export async function pollUntil<T>(check: () => Promise<T | undefined | false>, { everyMs, timeoutMs }: { everyMs: number; timeoutMs: number }): Promise<T | undefined> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (performance.now() > deadline) return undefined;
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
