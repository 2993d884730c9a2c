import { jsonResponse } from "#lib/http/responses";

/** GET /health: the webhook API is up. */
export const handler = async () => jsonResponse(200, { ok: true });
