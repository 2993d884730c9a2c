/** `/api/oauth2/auth` (auto-approving) and `/api/oauth2/token` (form-encoded, like Exact's). */
import { readBody } from "#lib/sandbox/common/http";
import type { Router } from "#lib/sandbox/common/http";
import { sendJson } from "#lib/sandbox/common/http";
import { OAuthError } from "./errors";
import type { OAuthAuthority } from "./oauth";

const MAX_FORM_BYTES = 16 * 1024;

export function mountOAuthRoutes(router: Router, oauth: OAuthAuthority): void {
  router.add("GET", "/api/oauth2/auth", (_req, res, { url }) => {
    res.writeHead(302, { Location: oauth.authorize(url.searchParams), "Content-Length": "0" });
    res.end();
  });
  router.add("POST", "/api/oauth2/token", async (req, res) => {
    if (!/application\/x-www-form-urlencoded/i.test(req.headers["content-type"] ?? "")) {
      throw new OAuthError("invalid_request", "The token request must be application/x-www-form-urlencoded");
    }
    const form = new URLSearchParams((await readBody(req, MAX_FORM_BYTES)).toString("utf8"));
    sendJson(res, 200, oauth.exchange(form), { "Cache-Control": "no-store" });
  });
}
