import { z } from "zod";
import { deliveryOptionsSchema, WebhookDeliverer } from "#lib/sandbox/common/deliveries";
import { FaultInjector } from "#lib/sandbox/common/faults";
import { createRouter, HttpError, sendJson, startHttpServer } from "#lib/sandbox/common/http";
import type { ErrorHandler, NotFoundHandler } from "#lib/sandbox/common/http";
import { createApiCallGate, mountSandboxRoutes } from "#lib/sandbox/common/sandbox-routes";
import { CallStats } from "#lib/sandbox/common/stats";
import type { StatsSnapshot } from "#lib/sandbox/common/stats";
import { CRMOFFICE_SANDBOX } from "#lib/sandbox/dev-credentials";
import { CrmOfficeTokenService } from "./auth";
import { MonotonicClock } from "./clock";
import { CrmOfficeApiError, errorBody, OAuthTokenError } from "./errors";
import { IdSequence } from "./ids";
import { mountCrmOfficeRoutes } from "./routes";
import { seedDemoData } from "./seed";
import { CrmOfficeStore } from "./store";
import { CrmOfficeWebhooks } from "./webhooks";

export const CRMOFFICE_SANDBOX_DEFAULT_PORT = 3002;

const optionsSchema = z.object({
  port: z.number().int().min(0).max(65535).default(CRMOFFICE_SANDBOX_DEFAULT_PORT),
  host: z.string().min(1).default("127.0.0.1"),
  seed: z.enum(["demo", "none"]).default("none"),
  clientId: z.string().min(1).default(CRMOFFICE_SANDBOX.clientId),
  clientSecret: z.string().min(1).default(CRMOFFICE_SANDBOX.clientSecret),
  accessTokenTtlSeconds: z.number().int().min(1).default(3600),
  delivery: deliveryOptionsSchema.optional(),
  /** The sandbox's clock (epoch ms): token expiry, write times, signature times. */
  now: z.custom<() => number>((value) => typeof value === "function").default(() => Date.now),
  /** Chance source for `delivery.duplicateRate`. */
  random: z.custom<() => number>((value) => typeof value === "function").default(() => Math.random),
});

export type CrmOfficeSandboxOptions = z.input<typeof optionsSchema>;

export interface CrmOfficeSandbox {
  /** Base URL without a trailing slash. */
  url: string;
  port: number;
  /** Cancels pending deliveries and closes the server. */
  stop(): Promise<void>;
  /** Resolves once every webhook delivery queued so far has succeeded or used up its retries. */
  drainDeliveries(): Promise<void>;
  stats(): StatsSnapshot;
  /** Same as `POST /_sandbox/reset`. */
  reset(): void;
}

const answerError: ErrorHandler = (_req, res, error) => {
  if (error instanceof CrmOfficeApiError) {
    sendJson(res, error.status, { error: error.code, message: error.message }, error.headers);
  } else if (error instanceof OAuthTokenError) {
    sendJson(res, error.status, { error: error.code, error_description: error.description }, error.headers);
  } else if (error instanceof HttpError) {
    sendJson(res, error.status, errorBody(error.status, error.message), error.headers);
  } else {
    throw error;
  }
};

const answerNotFound: NotFoundHandler = (req, res, { url, allowedMethods }) => {
  if (allowedMethods.length > 0) {
    req.resume();
    sendJson(res, 405, errorBody(405, `${req.method} is not allowed on ${url.pathname}`), { Allow: allowedMethods.join(", ") });
  } else {
    sendJson(res, 404, errorBody(404, `no resource at ${url.pathname}`));
  }
};

/**
 * An in-memory CRMOffice (crmoffice-api.md, local-stack.md). Where the assumed contract is
 * silent, it chooses:
 * - ids are name-based UUIDs from a per-kind counter (ids.ts): the same on every start;
 * - `modifiedSince` keeps records modified at or after it (≥);
 * - unknown body fields and query parameters are refused (400); read-only fields sent back
 *   from a GET are accepted and ignored;
 * - deleting a company sets its contacts' `company` to null (an update of each);
 * - email and orgNr are not unique (a CRM holds duplicates; matching must cope), so no 409.
 * A reset (`POST /_sandbox/reset`) empties contacts and companies, injected faults and
 * stats; it keeps webhook registrations and issued tokens, so a running sync keeps hearing
 * from it after a test resets it. It does not re-seed.
 */
export async function startCrmOfficeSandbox(options: CrmOfficeSandboxOptions = {}): Promise<CrmOfficeSandbox> {
  const settings = optionsSchema.parse(options);
  const stats = new CallStats();
  const faults = new FaultInjector();
  const deliverer = new WebhookDeliverer(stats, settings.delivery, settings.random);
  const ids = new IdSequence();
  const webhooks = new CrmOfficeWebhooks(ids, deliverer, settings.now);
  const store = new CrmOfficeStore(new MonotonicClock(settings.now), ids, (change) => webhooks.publish(change));
  const tokens = new CrmOfficeTokenService({
    clientId: settings.clientId,
    clientSecret: settings.clientSecret,
    accessTokenTtlSeconds: settings.accessTokenTtlSeconds,
    now: settings.now,
  });
  if (settings.seed === "demo") seedDemoData(store);

  const reset = () => {
    store.clear();
    faults.clear();
    stats.reset();
  };

  const router = createRouter().onError(answerError).onNotFound(answerNotFound);
  mountSandboxRoutes(router, { faults, stats, errorBody, reset });
  mountCrmOfficeRoutes(router, { store, tokens, webhooks });
  const passesGate = createApiCallGate({ stats, faults, errorBody });

  const server = await startHttpServer(
    async (req, res) => {
      if (await passesGate(req, res)) await router.handle(req, res);
    },
    { port: settings.port, host: settings.host },
  );
  return {
    url: server.url,
    port: server.port,
    stop: async () => {
      deliverer.stop();
      await server.close();
    },
    drainDeliveries: () => deliverer.drain(),
    stats: () => stats.snapshot(),
    reset,
  };
}
