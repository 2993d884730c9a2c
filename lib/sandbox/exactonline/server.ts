/**
 * The Exact Online sandbox: an in-memory HTTP server speaking Exact's REST API (OAuth2,
 * OData resources, the sync API, webhooks, rate limits) as exactonline-api.md describes it,
 * plus the `/_sandbox/` controls of local-stack.md.
 *
 * `POST /_sandbox/reset` empties contacts, items, employees and `sync/Deleted`, and clears
 * faults, stats and rate budgets. It keeps the default Account, issued tokens and webhook
 * subscriptions (so a running stack stays connected), and row versions keep counting up (so
 * a poller's stored Timestamp stays valid). It does not re-seed.
 */
import { z } from "zod";
import { deliveryOptionsSchema, WebhookDeliverer } from "#lib/sandbox/common/deliveries";
import { FaultInjector } from "#lib/sandbox/common/faults";
import { createRouter, HttpError, sendJson, startHttpServer } from "#lib/sandbox/common/http";
import { createApiCallGate, mountSandboxRoutes } from "#lib/sandbox/common/sandbox-routes";
import { EXACT_SANDBOX } from "#lib/sandbox/dev-credentials";
import { recordUri } from "./api-guard";
import type { ExactApp } from "./api-guard";
import { exactErrorBody, OAuthError } from "./errors";
import { OAuthAuthority } from "./oauth";
import { RateLimiter } from "./rate-limit";
import { mountOAuthRoutes } from "./routes-oauth";
import { mountResourceRoutes } from "./routes-resources";
import { mountSandboxEmployeeRoutes } from "./routes-sandbox";
import { mountSyncRoutes } from "./routes-sync";
import { mountWebhookRoutes } from "./routes-webhooks";
import { seedDemo } from "./seed";
import { ExactCallStats } from "./stats";
import type { ExactStatsSnapshot } from "./stats";
import { ExactStore } from "./store";
import { WebhookHub } from "./webhooks";

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
  rateLimit: z
    .object({ perMinute: z.number().int().positive().default(60), perDay: z.number().int().positive().default(5000) })
    .default({ perMinute: 60, perDay: 5000 }),
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
  const stats = new ExactCallStats(() => rateLimiter.refused());
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

  const app: ExactApp = { division, store, oauth, rateLimiter, webhooks };
  const reset = () => {
    store.clear();
    faults.clear();
    stats.reset();
    rateLimiter.reset();
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
      if (error instanceof OAuthError) sendJson(res, error.status, error.body());
      else if (error instanceof HttpError) sendJson(res, error.status, exactErrorBody(error.message), error.headers);
      else throw error;
    });
  mountSandboxRoutes(router, { faults, stats, reset, errorBody: (_status, message) => exactErrorBody(message) });
  mountSandboxEmployeeRoutes(router, app);
  mountOAuthRoutes(router, oauth);
  mountResourceRoutes(router, app);
  mountSyncRoutes(router, app);
  mountWebhookRoutes(router, app);

  const admit = createApiCallGate({
    stats,
    faults,
    errorBody: (_status, message) => exactErrorBody(message),
    faultHeaders: (status) => (status === 429 ? rateLimiter.injectedLimitHeaders() : {}),
  });
  const server = await startHttpServer(
    async (req, res) => {
      if (await admit(req, res)) await router.handle(req, res);
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
