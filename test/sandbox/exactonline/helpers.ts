/** Starting the Exact sandbox in-process and talking to it the way a client would. */
import { startExactSandbox } from "#lib/sandbox/exactonline/server";
import type { ExactSandbox, ExactSandboxOptions } from "#lib/sandbox/exactonline/server";

export interface TokenPair {
  access_token: string;
  token_type: string;
  expires_in: string;
  refresh_token: string;
}

/** A clock tests can move; starts at a fixed instant in the middle of a minute. */
export function testClock(start = Date.UTC(2024, 4, 1, 10, 0, 30)) {
  const clock = { now: start, advance: (ms: number) => (clock.now += ms), read: () => clock.now };
  return clock;
}

export async function requestCode(sandbox: ExactSandbox, state = "xyz"): Promise<Response> {
  const url = new URL("/api/oauth2/auth", sandbox.url);
  url.searchParams.set("client_id", sandbox.clientId);
  url.searchParams.set("redirect_uri", sandbox.redirectUri);
  url.searchParams.set("response_type", "code");
  url.searchParams.set("state", state);
  return fetch(url, { redirect: "manual" });
}

export async function tokenRequest(sandbox: ExactSandbox, fields: Record<string, string>): Promise<Response> {
  return fetch(`${sandbox.url}/api/oauth2/token`, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ client_id: sandbox.clientId, client_secret: sandbox.clientSecret, ...fields }),
  });
}

/** Runs the code flow end to end: auth redirect, then code → tokens. */
export async function authorize(sandbox: ExactSandbox): Promise<TokenPair> {
  const redirect = await requestCode(sandbox);
  const code = new URL(redirect.headers.get("location") ?? "").searchParams.get("code") ?? "";
  const response = await tokenRequest(sandbox, { grant_type: "authorization_code", code, redirect_uri: sandbox.redirectUri });
  if (response.status !== 200) throw new Error(`token exchange failed: ${response.status} ${await response.text()}`);
  return (await response.json()) as TokenPair;
}

export interface ExactTestClient {
  sandbox: ExactSandbox;
  tokens: TokenPair;
  /** Base of the division's API, e.g. `http://127.0.0.1:1234/api/v1/3183061`. */
  base: string;
  /** Calls `path` (absolute, or relative to the division base) with the bearer token and JSON headers. */
  api(path: string, init?: RequestInit & { json?: unknown }): Promise<Response>;
}

export async function startClient(options: ExactSandboxOptions = {}): Promise<ExactTestClient> {
  const sandbox = await startExactSandbox({ port: 0, rateLimit: { perMinute: 10_000, perDay: 100_000 }, ...options });
  const tokens = await authorize(sandbox);
  const base = `${sandbox.url}/api/v1/${sandbox.division}`;
  const api: ExactTestClient["api"] = (path, init = {}) => {
    const { json, headers, ...rest } = init;
    const url = path.startsWith("http") ? path : `${base}/${path}`;
    return fetch(url, {
      ...rest,
      headers: {
        Authorization: `Bearer ${tokens.access_token}`,
        Accept: "application/json",
        ...(json === undefined ? {} : { "Content-Type": "application/json" }),
        ...(headers as Record<string, string> | undefined),
      },
      body: json === undefined ? rest.body : JSON.stringify(json),
    });
  };
  return { sandbox, tokens, base, api };
}

/** Asks a POST or PUT for the written record back. */
export const REPRESENTATION = { Prefer: "return=representation" } as const;

/** Calls a `/_sandbox/` control route of the sandbox. */
export function control(sandbox: ExactSandbox, path: string, init: RequestInit = {}): Promise<Response> {
  return fetch(`${sandbox.url}/_sandbox/${path}`, { ...init, headers: init.body ? { "Content-Type": "application/json" } : {} });
}

/** The OData error text of a response. */
export async function errorText(response: Response): Promise<string> {
  const body = (await response.json()) as { error: { code: string; message: { lang: string; value: string } } };
  return body.error.message.value;
}

export const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
