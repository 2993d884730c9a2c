/** Test helpers: a token, an API client over plain fetch, and a webhook receiver. */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { CRMOFFICE_SANDBOX } from "#lib/sandbox/dev-credentials";

export async function getToken(baseUrl: string): Promise<string> {
  const response = await fetch(`${baseUrl}/connect/token`, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      grant_type: "client_credentials",
      client_id: CRMOFFICE_SANDBOX.clientId,
      client_secret: CRMOFFICE_SANDBOX.clientSecret,
    }),
  });
  if (response.status !== 200) throw new Error(`token request failed: ${response.status}`);
  return ((await response.json()) as { access_token: string }).access_token;
}

export interface ApiResponse {
  status: number;
  headers: Headers;
  // Tests read whatever JSON came back; `any` keeps their assertions short.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any;
}

/** A response's JSON, untyped for short assertions (see ApiResponse.body). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const jsonOf = (response: Response): Promise<any> => response.json();

export type Api = (method: string, path: string, body?: unknown) => Promise<ApiResponse>;

/** Calls the API with a Bearer token and JSON; a string body is sent as is. */
export function apiClient(baseUrl: string, token: string): Api {
  return async (method, path, body) => {
    const response = await fetch(`${baseUrl}${path}`, {
      method,
      headers: {
        Authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { "Content-Type": "application/json" }),
      },
      body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : undefined };
  };
}

export interface ReceivedDelivery {
  headers: Record<string, string | string[] | undefined>;
  rawBody: string;
}

export interface WebhookReceiver {
  url: string;
  received: ReceivedDelivery[];
  /** Answer this many of the next deliveries with 500. */
  failNext(count: number): void;
  close(): Promise<void>;
}

export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const received: ReceivedDelivery[] = [];
  let failuresLeft = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      received.push({ headers: req.headers, rawBody: Buffer.concat(chunks).toString("utf8") });
      const fail = failuresLeft > 0;
      if (fail) failuresLeft -= 1;
      res.writeHead(fail ? 500 : 204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    received,
    failNext: (count) => {
      failuresLeft = count;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
