/**
 * `/api/oauth2/auth` (auto-approving) and `/api/oauth2/token` (form-encoded, like Exact's).
 * Every token call is counted per client id: Exact allows a key only so many a day.
 */
import { readBody } from "#lib/sandbox/common/http";
import type { Router } from "#lib/sandbox/common/http";
import { sendJson } from "#lib/sandbox/common/http";
import { OAuthError } from "./errors";
import type { OAuthAuthority } from "./oauth";
import type { ExactCallStats } from "./stats";

const MAX_FORM_BYTES = 16 * 1024;

export function mountOAuthRoutes(router: Router, oauth: OAuthAuthority, stats: ExactCallStats, clientId: string): void {
  router.add("GET", "/api/oauth2/auth", (_req, res, { url }) => {
    res.writeHead(302, { Location: oauth.authorize(url.searchParams), "Content-Length": "0" });
    res.end();
  });
  router.add("POST", "/api/oauth2/token", async (req, res) => {
    const isForm = /application\/x-www-form-urlencoded/i.test(req.headers["content-type"] ?? "");
    const form = new URLSearchParams(isForm ? (await readBody(req, MAX_FORM_BYTES)).toString("utf8") : "");
    stats.countTokenCall(form.get("client_id") === clientId ? clientId : "unknown");
    if (!isForm) throw new OAuthError("invalid_request", "The token request must be application/x-www-form-urlencoded");
    sendJson(res, 200, oauth.exchange(form), { "Cache-Control": "no-store" });
  });
}
