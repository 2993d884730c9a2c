/**
 * The sandboxes as a person (or another app) uses them: plain HTTP with their own tokens,
 * independent of the product's connectors, so tests and the bench check the product from the
 * outside. `fetch` may be wrapped (the bench counts and marks its own requests).
 */
import { CRMOFFICE_SANDBOX, EXACT_SANDBOX } from "#lib/sandbox/dev-credentials";

export class SandboxUserError extends Error {
  override name = "SandboxUserError";
}

async function expectOk(response: Response, what: string): Promise<Response> {
  if (!response.ok) throw new SandboxUserError(`${what}: HTTP ${response.status} ${await response.text()}`);
  return response;
}

export interface SandboxUserOptions {
  fetch?: typeof fetch;
}

export interface ExactUser {
  /** `path` under `/api/v1/{division}/`; the `d` of the answer. */
  get(path: string): Promise<Record<string, unknown>>;
  /** Every row of a list, following `__next`. */
  list(path: string): Promise<Record<string, unknown>[]>;
  /** Creates and answers the stored record: it asks for it (`Prefer: return=representation`), as public clients do. */
  post(path: string, body: unknown): Promise<Record<string, unknown>>;
  put(path: string, body: unknown): Promise<void>;
  delete(path: string): Promise<void>;
}

/** Signs in through the Exact sandbox's OAuth code flow (as the app's own client: the same budget). */
export async function exactUser(baseUrl: string, { fetch: send = fetch }: SandboxUserOptions = {}): Promise<ExactUser> {
  const auth = new URL("/api/oauth2/auth", baseUrl);
  auth.search = new URLSearchParams({
    client_id: EXACT_SANDBOX.clientId,
    redirect_uri: EXACT_SANDBOX.redirectUri,
    response_type: "code",
    state: "user",
  }).toString();
  const consent = await send(auth, { redirect: "manual" });
  const code = new URL(consent.headers.get("location") ?? "", baseUrl).searchParams.get("code") ?? "";
  const tokenResponse = await expectOk(
    await send(new URL("/api/oauth2/token", baseUrl), {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({
        grant_type: "authorization_code",
        code,
        client_id: EXACT_SANDBOX.clientId,
        client_secret: EXACT_SANDBOX.clientSecret,
        redirect_uri: EXACT_SANDBOX.redirectUri,
      }),
    }),
    "exact token",
  );
  const { access_token: token } = (await tokenResponse.json()) as { access_token: string };
  const url = (path: string) => `${baseUrl}/api/v1/${EXACT_SANDBOX.division}/${path}`;
  const headers = { authorization: `Bearer ${token}`, accept: "application/json", "content-type": "application/json" };
  const write = async (method: string, path: string, body?: unknown) =>
    void (await (
      await expectOk(
        await send(url(path), { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) }),
        `${method} ${path}`,
      )
    ).arrayBuffer());
  return {
    get: async (path) =>
      ((await (await expectOk(await send(url(path), { headers }), `GET ${path}`)).json()) as { d: Record<string, unknown> }).d,
    list: async (path) => {
      const rows: Record<string, unknown>[] = [];
      let next: string | undefined = url(path);
      while (next) {
        const page = (await (await expectOk(await send(next, { headers }), `GET ${path}`)).json()) as {
          d: { results: Record<string, unknown>[]; __next?: string };
        };
        rows.push(...page.d.results);
        next = page.d.__next;
      }
      return rows;
    },
    post: async (path, body) =>
      (
        (await (
          await expectOk(
            await send(url(path), { method: "POST", headers: { ...headers, prefer: "return=representation" }, body: JSON.stringify(body) }),
            `POST ${path}`,
          )
        ).json()) as {
          d: Record<string, unknown>;
        }
      ).d,
    put: (path, body) => write("PUT", path, body),
    delete: (path) => write("DELETE", path),
  };
}

export interface CrmUser {
  /** The record, or null on 404. */
  get(path: string): Promise<Record<string, unknown> | null>;
  /** Every item of a list, 200 a page. */
  list(path: string): Promise<Record<string, unknown>[]>;
  post(path: string, body: unknown): Promise<Record<string, unknown>>;
  put(path: string, body: unknown): Promise<Record<string, unknown>>;
  delete(path: string): Promise<void>;
}

/** Signs in to the CRMOffice sandbox with client credentials. */
export async function crmUser(baseUrl: string, { fetch: send = fetch }: SandboxUserOptions = {}): Promise<CrmUser> {
  const tokenResponse = await expectOk(
    await send(`${baseUrl}/connect/token`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({
        grant_type: "client_credentials",
        client_id: CRMOFFICE_SANDBOX.clientId,
        client_secret: CRMOFFICE_SANDBOX.clientSecret,
        scope: "crmoffice offline_access",
      }),
    }),
    "crmoffice token",
  );
  const { access_token: token } = (await tokenResponse.json()) as { access_token: string };
  const headers = { authorization: `Bearer ${token}`, "content-type": "application/json" };
  const call = async (method: string, path: string, body?: unknown) =>
    expectOk(
      await send(`${baseUrl}${path}`, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) }),
      `${method} ${path}`,
    );
  return {
    get: async (path) => {
      const response = await send(`${baseUrl}${path}`, { headers });
      if (response.status === 404) {
        await response.arrayBuffer();
        return null;
      }
      return (await (await expectOk(response, `GET ${path}`)).json()) as Record<string, unknown>;
    },
    list: async (path) => {
      const items: Record<string, unknown>[] = [];
      for (let page = 1; ; page++) {
        const separator = path.includes("?") ? "&" : "?";
        const body = (await (await call("GET", `${path}${separator}page=${page}&pageSize=200`)).json()) as {
          items: Record<string, unknown>[];
          totalCount: number;
        };
        items.push(...body.items);
        if (body.items.length === 0 || items.length >= body.totalCount) return items;
      }
    },
    post: async (path, body) => (await (await call("POST", path, body)).json()) as Record<string, unknown>,
    put: async (path, body) => (await (await call("PUT", path, body)).json()) as Record<string, unknown>,
    delete: async (path) => void (await (await call("DELETE", path)).arrayBuffer()),
  };
}
