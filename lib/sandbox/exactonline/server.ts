/**
 * The Exact Online sandbox: an in-memory HTTP server speaking Exact's REST API (OAuth2,
 * OData resources, the sync API, divisions, webhooks, rate limits, the error block) as
 * exactonline-api.md describes it, plus the `/_sandbox/` controls of local-stack.md.
 *
 * `POST /_sandbox/reset` empties contacts, items, employees and `sync/Deleted`, and clears
 * faults, stats, rate budgets and error blocks. It keeps the default Account, issued tokens,
 * webhook subscriptions (so a running stack stays connected) and the division's
 * `DivisionMoveDate`, and row versions keep counting up (so a poller's stored Timestamp stays
 * valid). It does not re-seed.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { z } from "zod";
import { deliveryOptionsSchema, WebhookDeliverer } from "#lib/sandbox/common/deliveries";
import { FaultInjector } from "#lib/sandbox/common/faults";
import { createRouter, HttpError, sendJson, startHttpServer } from "#lib/sandbox/common/http";
import type { Router } from "#lib/sandbox/common/http";
import { createApiCallGate, mountSandboxRoutes } from "#lib/sandbox/common/sandbox-routes";
import { EXACT_SANDBOX } from "#lib/sandbox/dev-credentials";
import { recordUri } from "./api-guard";
import type { ExactApp } from "./api-guard";
import { blockedMessage, callerOf, ErrorBlock, isCountedClientError } from "./error-block";
import { exactErrorBody, OAuthError, outagePage } from "./errors";
import { OAuthAuthority } from "./oauth";
import { RateLimiter } from "./rate-limit";
import { mountDivisionRoutes } from "./routes-divisions";
import { mountOAuthRoutes } from "./routes-oauth";
import { mountResourceRoutes } from "./routes-resources";
import { mountSandboxExtraRoutes } from "./routes-sandbox";
import { mountSyncRoutes } from "./routes-sync";
import { mountWebhookRoutes } from "./routes-webhooks";
import { seedDemo } from "./seed";
import { ExactCallStats } from "./stats";
import type { ExactStatsSnapshot } from "./stats";
import { ExactStore } from "./store";
import { WebhookHub } from "./webhooks";

const resetUnit = z.enum(["ms", "s"]);

const rateLimitSchema = z.object({
  perMinute: z.number().int().positive().default(60),
  perDay: z.number().int().positive().default(5000),
  /** `X-RateLimit-Minutely-Reset` in epoch milliseconds (most reports) or seconds. */
  minutelyResetUnit: resetUnit.default("ms"),
  /**
   * `X-RateLimit-Reset` (daily) in epoch milliseconds (most reports, and what widely used clients
   * expect) or seconds (one recording in the spec).
   */
  dailyResetUnit: resetUnit.default("ms"),
});

const optionsSchema = z.object({
  port: z.number().int().min(0).max(65535).default(3001),
  host: z.string().default("127.0.0.1"),
  seed: z.enum(["demo", "none"]).default("none"),
  division: z.number().int().positive().default(EXACT_SANDBOX.division),
  clientId: z.string().min(1).default(EXACT_SANDBOX.clientId),
  clientSecret: z.string().min(1).default(EXACT_SANDBOX.clientSecret),
  webhookSecret: z.string().min(1).default(EXACT_SANDBOX.webhookSecret),
  redirectUri: z.string().url().default(EXACT_SANDBOX.redirectUri),
  accessTokenTtlSeconds: z.number().int().positive().default(600),
  refreshNotBeforeSeconds: z.number().int().min(0).default(570),
  rateLimit: rateLimitSchema.default(rateLimitSchema.parse({})),
  /** Send Edm.Int64 values (the sync API's Timestamp) as JSON strings, as OData v2 writers do. */
  int64AsString: z.boolean().default(false),
  delivery: deliveryOptionsSchema.default(deliveryOptionsSchema.parse({})),
  /** The sandbox's clock (epoch ms); injectable so tests can move time. */
  now: z.custom<() => number>((value) => typeof value === "function").default(() => Date.now),
  /** Chance source for `delivery.duplicateRate`. */
  random: z.custom<() => number>((value) => typeof value === "function").default(() => Math.random),
});

export type ExactSandboxOptions = z.input<typeof optionsSchema>;

export interface ExactSandbox {
  /** Base URL, e.g. `http://127.0.0.1:3001`; the API is under `/api/v1/…`. */
  url: string;
  port: number;
  division: number;
  clientId: string;
  clientSecret: string;
  webhookSecret: string;
  redirectUri: string;
  /** Same as `POST /_sandbox/reset`. */
  reset(): void;
  stats(): ExactStatsSnapshot;
  /** Resolves when every queued webhook delivery has finished (succeeded or given up). */
  drainDeliveries(): Promise<void>;
  /** Cancels pending deliveries and closes the server and its connections. */
  stop(): Promise<void>;
}

export async function startExactSandbox(input: ExactSandboxOptions = {}): Promise<ExactSandbox> {
  const options = optionsSchema.parse(input);
  const { division, now } = options;
  const errorBlock = new ErrorBlock(now);
  const stats = new ExactCallStats({ rateLimited: () => rateLimiter.refused(), blocked: () => errorBlock.blockedEndpoints() });
  const faults = new FaultInjector();
  const deliverer = new WebhookDeliverer(stats, options.delivery, options.random);
  const store = new ExactStore(division, now);
  const rateLimiter = new RateLimiter(options.rateLimit, now);
  const oauth = new OAuthAuthority({ ...options, division });
  let baseUrl = "";
  const webhooks = new WebhookHub(
    {
      webhookSecret: options.webhookSecret,
      division,
      validationTimeoutMs: options.delivery.timeoutMs,
      now,
      endpointOf: (kind, id) => recordUri(baseUrl, division, kind, id),
    },
    deliverer,
  );
  store.onChange((change) => webhooks.notify(change));
  if (options.seed === "demo") seedDemo(store);

  const app: ExactApp = { division, store, now, format: { int64AsString: options.int64AsString }, oauth, rateLimiter, webhooks };
  const reset = () => {
    store.clear();
    faults.clear();
    stats.reset();
    rateLimiter.reset();
    errorBlock.reset();
  };

  const router = createRouter({ caseInsensitive: true })
    .onNotFound((_req, res, { allowedMethods }) => {
      if (allowedMethods.length > 0) {
        sendJson(res, 405, exactErrorBody("Method not allowed."), { Allow: allowedMethods.join(", ") });
      } else {
        sendJson(res, 404, exactErrorBody("Not found: no such resource."));
      }
    })
    .onError((_req, res, error) => {
      if (error instanceof OAuthError) sendJson(res, error.status, error.body(), error.headers);
      else if (error instanceof HttpError) sendJson(res, error.status, exactErrorBody(error.message), error.headers);
      else throw error;
    });
  mountSandboxRoutes(router, { faults, stats, reset, errorBody: (_status, message) => exactErrorBody(message) });
  mountSandboxExtraRoutes(router, app);
  mountOAuthRoutes(router, oauth, stats, options.clientId);
  mountResourceRoutes(router, app);
  mountDivisionRoutes(router, app);
  mountSyncRoutes(router, app);
  mountWebhookRoutes(router, app);

  const admit = createApiCallGate({
    stats,
    faults,
    errorBody: (_status, message) => exactErrorBody(message),
    faultHeaders: (status) => (status === 429 ? rateLimiter.injectedLimitHeaders() : {}),
    outagePage,
  });
  const serve = errorBlockedRouting(router, { oauth, errorBlock, stats });
  const server = await startHttpServer(
    async (req, res) => {
      if (await admit(req, res)) await serve(req, res);
    },
    { port: options.port, host: options.host },
  );
  baseUrl = server.url;

  return {
    url: server.url,
    port: server.port,
    division,
    clientId: options.clientId,
    clientSecret: options.clientSecret,
    webhookSecret: options.webhookSecret,
    redirectUri: options.redirectUri,
    reset,
    stats: () => stats.snapshot(),
    drainDeliveries: () => deliverer.drain(),
    stop: async () => {
      deliverer.stop();
      await server.close();
    },
  };
}

const API_PREFIX = /^\/api\/v1\//i;

/**
 * Routes a call through the error block: an `/api/v1/…` call to an endpoint blocked for its
 * app answers 403 at once (not charged, not counted again); any other call is routed, and an
 * answered 400/401/403/404 is counted in the stats and, when its app is known, towards the block.
 * Injected faults never get here.
 */
function errorBlockedRouting(
  router: Router,
  { oauth, errorBlock, stats }: { oauth: OAuthAuthority; errorBlock: ErrorBlock; stats: ExactCallStats },
): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  return async (req, res) => {
    const path = new URL(req.url ?? "/", "http://sandbox").pathname;
    if (!API_PREFIX.test(path)) return router.handle(req, res);
    const method = (req.method ?? "GET").toUpperCase();
    const caller = callerOf(req, (authorization) => oauth.identify(authorization));
    const blockedUntil = caller && errorBlock.blockedUntil(caller);
    if (caller && blockedUntil !== undefined) {
      req.resume();
      stats.countClientError(method, path);
      sendJson(res, 403, exactErrorBody(blockedMessage(caller.endpoint, blockedUntil)));
      return;
    }
    await router.handle(req, res);
    if (!isCountedClientError(res.statusCode)) return;
    stats.countClientError(method, path);
    if (caller) errorBlock.countError(caller);
  };
}
