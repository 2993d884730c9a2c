/**
 * The two public routes of connecting Exact, as an operator does it: `syncctl connect
 * exactonline` prints a one-time link to GET /oauth/exactonline/start?ticket=…; only a valid,
 * unused ticket starts Exact's consent (anything else is 403, and Exact is not called). The start
 * sets a random nonce in an HttpOnly, Secure, SameSite cookie and sends the browser to Exact with a
 * single-use `state`; GET /oauth/exactonline/callback accepts that state only once and only from
 * the browser holding its nonce, then trades the code (one token call) and keeps the tokens only
 * if they reach the configured division (lib/connect/exact-connect.ts).
 */
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import { completeExactConnect, type ExactConnectDeps } from "#lib/connect/exact-connect";
import type { ConnectTickets } from "#lib/connect/tickets";
import { STATE_LIFETIME_MS } from "#lib/connect/tickets";
import { logger } from "#lib/telemetry/logger";

export interface ExactAuthorizationDeps {
  load: () => Promise<{
    tickets: ConnectTickets;
    stateKey: string;
    authorizeUrl: (state: string) => string;
    connect: ExactConnectDeps;
  }>;
}

/** The cookie that binds a state to the browser that started the connect; sent back only to the callback. */
export const NONCE_COOKIE = "exact_connect_nonce";
const CALLBACK_PATH = "/oauth/exactonline/callback";

/** Nothing on these pages may be cached, framed, scripted, or leak the URL (with its ticket) as a referrer. */
const PAGE_HEADERS = {
  "content-type": "text/html; charset=utf-8",
  "cache-control": "no-store",
  "referrer-policy": "no-referrer",
  "content-security-policy": "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
  "x-content-type-options": "nosniff",
};

function page(
  statusCode: number,
  title: string,
  text: string,
  extraHeaders: Record<string, string> = {},
): APIGatewayProxyStructuredResultV2 {
  const escape = (value: string) => value.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
  const body = `<!doctype html><html lang="en"><meta charset="utf-8"><title>${escape(title)}</title><body style="font-family:system-ui;margin:3rem auto;max-width:36rem"><h1>${escape(title)}</h1><p>${escape(text)}</p></body></html>`;
  return { statusCode, headers: { ...PAGE_HEADERS, ...extraHeaders }, body };
}

function cookieValue(event: APIGatewayProxyEventV2, name: string): string | undefined {
  const cookies = event.cookies ?? (event.headers?.cookie ?? "").split(";");
  for (const cookie of cookies) {
    const [key, ...value] = cookie.trim().split("=");
    if (key === name) return value.join("=");
  }
  return undefined;
}

const expiredCookie = `${NONCE_COOKIE}=; Max-Age=0; Path=${CALLBACK_PATH}; HttpOnly; Secure; SameSite=Lax`;

export function createExactAuthorization(deps: ExactAuthorizationDeps) {
  return {
    start: async (event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> => {
      const { tickets, stateKey, authorizeUrl } = await deps.load();
      const ticket = event.queryStringParameters?.ticket ?? "";
      if (!(await tickets.consumeTicket(ticket))) {
        logger.warn("Exact connect refused: no valid ticket");
        return page(
          403,
          "This link does not work",
          "It has expired, has been used already, or was never issued. Ask for a new one: syncctl connect exactonline.",
        );
      }
      const { state, nonce } = await tickets.issueState(stateKey);
      return {
        statusCode: 302,
        headers: {
          location: authorizeUrl(state),
          "cache-control": "no-store",
          "referrer-policy": "no-referrer",
          // Lax, not Strict: the callback is a top-level navigation back from Exact's own site.
          "set-cookie": `${NONCE_COOKIE}=${nonce}; Max-Age=${STATE_LIFETIME_MS / 1000}; Path=${CALLBACK_PATH}; HttpOnly; Secure; SameSite=Lax`,
        },
        body: "",
      };
    },

    callback: async (event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> => {
      const { tickets, stateKey, connect } = await deps.load();
      const { code, state, error } = event.queryStringParameters ?? {};
      const stateOk = state !== undefined && (await tickets.consumeState(stateKey, state, cookieValue(event, NONCE_COOKIE)));
      if (!stateOk) {
        logger.warn("Exact connect refused: the state is unknown, used, expired or from another browser");
        return page(
          403,
          "This sign-in cannot be completed",
          "It was started elsewhere, has been used already, or is too old. Nothing was changed. Ask for a new link: syncctl connect exactonline.",
          {
            "set-cookie": expiredCookie,
          },
        );
      }
      if (error || !code) {
        return page(400, "Exact was not connected", "The consent at Exact was not given. Nothing was changed.", {
          "set-cookie": expiredCookie,
        });
      }
      const outcome = await completeExactConnect(code, connect);
      if (!outcome.connected) {
        logger.warn("Exact connect refused", { reason: outcome.reason });
        return page(400, "Exact was not connected", outcome.reason, { "set-cookie": expiredCookie });
      }
      logger.info("Exact connected", { exactUserId: outcome.connection.exactUserId, division: connect.division });
      return page(
        200,
        "Exact Online is connected",
        `The sync now reads and writes division ${connect.division} as Exact user ${outcome.connection.exactUserId}.`,
        {
          "set-cookie": expiredCookie,
        },
      );
    },
  };
}
