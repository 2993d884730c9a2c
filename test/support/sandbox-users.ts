/**
 * The sandboxes as a person (or another app) uses them: plain HTTP with their own tokens,
 * independent of the product's connectors, so tests check the product from the outside.
 */
import { CRMOFFICE_SANDBOX, EXACT_SANDBOX } from "#lib/sandbox/dev-credentials";

async function expectOk(response: Response, what: string): Promise<Response> {
  if (!response.ok) throw new Error(`${what}: HTTP ${response.status} ${await response.text()}`);
  return response;
}

export interface ExactUser {
  get(path: string): Promise<unknown>;
  list(path: string): Promise<Record<string, unknown>[]>;
  post(path: string, body: unknown): Promise<Record<string, unknown>>;
  put(path: string, body: unknown): Promise<void>;
  delete(path: string): Promise<void>;
}

/** Signs in through the sandbox's OAuth code flow and calls `/api/v1/{division}/…`. */
export async function exactUser(baseUrl: string): Promise<ExactUser> {
  const auth = new URL("/api/oauth2/auth", baseUrl);
  auth.search = new URLSearchParams({ client_id: EXACT_SANDBOX.clientId, redirect_uri: EXACT_SANDBOX.redirectUri, response_type: "code", state: "test" }).toString();
  const consent = await fetch(auth, { redirect: "manual" });
  const code = new URL(consent.headers.get("location") ?? "").searchParams.get("code") ?? "";
  const tokenResponse = await expectOk(
    await fetch(new URL("/api/oauth2/token", baseUrl), {
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
    get: async (path) => ((await (await expectOk(await fetch(url(path), { headers }), `GET ${path}`)).json()) as { d: unknown }).d,
    list: async (path) => {
      const rows: Record<string, unknown>[] = [];
      let next: string | undefined = url(path);
      while (next) {
        const page = (await (await expectOk(await fetch(next, { headers }), `GET ${path}`)).json()) as { d: { results: Record<string, unknown>[]; __next?: string } };
        rows.push(...page.d.results);
        next = page.d.__next;
      }
      return rows;
    },
    post: async (path, body) => ((await (await expectOk(await fetch(url(path), { method: "POST", headers, body: JSON.stringify(body) }), `POST ${path}`)).json()) as { d: Record<string, unknown> }).d,
    put: async (path, body) => void (await expectOk(await fetch(url(path), { method: "PUT", headers, body: JSON.stringify(body) }), `PUT ${path}`)),
    delete: async (path) => void (await expectOk(await fetch(url(path), { method: "DELETE", headers }), `DELETE ${path}`)),
  };
}

export interface CrmUser {
  get(path: string): Promise<Record<string, unknown> | null>;
  list(path: string): Promise<Record<string, unknown>[]>;
  post(path: string, body: unknown): Promise<Record<string, unknown>>;
  put(path: string, body: unknown): Promise<Record<string, unknown>>;
  delete(path: string): Promise<void>;
}

/** Signs in with client credentials and calls CRMOffice's API. */
export async function crmUser(baseUrl: string): Promise<CrmUser> {
  const tokenResponse = await expectOk(
    await fetch(`${baseUrl}/connect/token`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ grant_type: "client_credentials", client_id: CRMOFFICE_SANDBOX.clientId, client_secret: CRMOFFICE_SANDBOX.clientSecret, scope: "crmoffice offline_access" }),
    }),
    "crmoffice token",
  );
  const { access_token: token } = (await tokenResponse.json()) as { access_token: string };
  const headers = { authorization: `Bearer ${token}`, "content-type": "application/json" };
  const send = async (method: string, path: string, body?: unknown) =>
    expectOk(await fetch(`${baseUrl}${path}`, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) }), `${method} ${path}`);
  return {
    get: async (path) => {
      const response = await fetch(`${baseUrl}${path}`, { headers });
      if (response.status === 404) return null;
      return (await (await expectOk(response, `GET ${path}`)).json()) as Record<string, unknown>;
    },
    list: async (path) => {
      const items: Record<string, unknown>[] = [];
      for (let page = 1; ; page++) {
        const separator = path.includes("?") ? "&" : "?";
        const body = (await (await send("GET", `${path}${separator}page=${page}&pageSize=200`)).json()) as { items: Record<string, unknown>[]; totalCount: number };
        items.push(...body.items);
        if (body.items.length === 0 || items.length >= body.totalCount) return items;
      }
    },
    post: async (path, body) => (await (await send("POST", path, body)).json()) as Record<string, unknown>,
    put: async (path, body) => (await (await send("PUT", path, body)).json()) as Record<string, unknown>,
    delete: async (path) => void (await send("DELETE", path)),
  };
}

/** Polls `check` until it returns a value (not undefined/false), or fails after `timeoutMs`. */
export async function eventually<T>(check: () => Promise<T | undefined | false>, timeoutMs = 10_000, what = "condition"): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ""}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
