import middy from "@middy/core";
import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import { settings } from "#lib/config/settings";
import { exactConfig } from "#lib/config/connectors";
import { FUNCTION_SECRETS, loadSecrets } from "#lib/config/secrets";
import { createExactTokenStore } from "#lib/connectors/exactonline/tokens";
import { createExactAuthorization } from "#lib/http/exact-authorization";
import { logger } from "#lib/telemetry/index";
import { once } from "#lib/util/once";

const authorization = createExactAuthorization({
  tokens: once(async () => {
    const config = settings();
    const secrets = await loadSecrets(FUNCTION_SECRETS.exactAuthorizationCallback);
    return {
      store: createExactTokenStore(exactConfig(config, secrets)),
      stateSecret: secrets.EXACT_OAUTH_STATE_KEY,
    };
  }),
});

/** GET /oauth/exactonline/start */
export const start = middy(authorization.start).use(injectLambdaContext(logger, { resetKeys: true }));
/** GET /oauth/exactonline/callback */
export const callback = middy(authorization.callback).use(injectLambdaContext(logger, { resetKeys: true }));
