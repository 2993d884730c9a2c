import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import type { ExactTokenStore } from "#lib/connectors/exactonline/tokens";
import { signState, verifyState } from "#lib/http/oauth-state";
import { jsonResponse } from "#lib/http/responses";

export interface ExactAuthorizationDeps {
  tokens: () => Promise<{ store: ExactTokenStore; stateSecret: string }>;
}

/**
 * GET /oauth/exactonline/start sends the person to Exact's consent page; Exact sends them back
 * to GET /oauth/exactonline/callback?code=…, where the first token pair is stored. After that
 * the worker refreshes the tokens itself.
 */
export function createExactAuthorization(deps: ExactAuthorizationDeps) {
  return {
    start: async (): Promise<APIGatewayProxyStructuredResultV2> => {
      const { store, stateSecret } = await deps.tokens();
      return { statusCode: 302, headers: { location: store.authorizeUrl(signState(stateSecret)) }, body: "" };
    },
    callback: async (event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> => {
      const { store, stateSecret } = await deps.tokens();
      const { code, state } = event.queryStringParameters ?? {};
      if (!code || !state || !verifyState(stateSecret, state)) {
        return jsonResponse(400, { error: "invalid_request", message: "missing code, or a state this deployment did not issue" });
      }
      await store.exchangeAuthorizationCode(code);
      return jsonResponse(200, { ok: true, message: "Exact Online is connected; the sync can now read and write it." });
    },
  };
}
