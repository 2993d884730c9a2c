import middy from "@middy/core";
import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import { documentClient } from "#lib/aws/dynamodb";
import { exactConfig } from "#lib/config/connector-config";
import { FUNCTION_SECRETS, loadSecrets } from "#lib/config/secrets";
import { settings } from "#lib/config/settings";
import { fixedAccessToken } from "#lib/connect/exact-connect";
import { ConnectTickets } from "#lib/connect/tickets";
import { createExactConnector } from "#lib/connectors/exactonline/client";
import { createExactTokenStore } from "#lib/connectors/exactonline/tokens";
import { createExactAuthorization } from "#lib/http/exact-authorization";
import { logger } from "#lib/telemetry/logger";
import { once } from "#lib/util/once";

const authorization = createExactAuthorization({
  load: once(async () => {
    const config = settings();
    const secrets = await loadSecrets(FUNCTION_SECRETS.exactAuthorizationCallback);
    const exact = exactConfig(config, secrets);
    const tokens = createExactTokenStore(exact);
    return {
      tickets: new ConnectTickets(documentClient(), config.TABLE_NAME),
      stateKey: secrets.EXACT_OAUTH_STATE_KEY,
      authorizeUrl: (state: string) => tokens.authorizeUrl(state),
      connect: {
        tokens,
        connectorFor: (accessToken: string) => createExactConnector({ ...exact, tokens: fixedAccessToken(accessToken) }),
        division: config.EXACT_DIVISION,
      },
    };
  }),
});

/** GET /oauth/exactonline/start?ticket=… */
export const start = middy(authorization.start).use(injectLambdaContext(logger, { resetKeys: true }));
/** GET /oauth/exactonline/callback */
export const callback = middy(authorization.callback).use(injectLambdaContext(logger, { resetKeys: true }));
