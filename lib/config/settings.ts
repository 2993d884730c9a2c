import * as z from "#lib/util/zod-mini";
import { FLOWS, flowNamed } from "#lib/flows/index";
import type { PollSchedule } from "#lib/poller/exact-poller";

/**
 * Non-secret settings, read from the environment once per process. Names are the ones in
 * `.env.example`, in `serverless.yml` and in the local stack.
 */
const SettingsSchema = z.object({
  TABLE_NAME: z.string().check(z.minLength(1)),
  EVENTS_QUEUE_URL: z.string().check(z.url()),
  EXACT_BASE_URL: z.string().check(z.url()),
  EXACT_DIVISION: z.coerce.number().check(z.int(), z.positive()),
  EXACT_CLIENT_ID: z.string().check(z.minLength(1)),
  EXACT_REDIRECT_URI: z.string().check(z.url()),
  EXACT_DEFAULT_ACCOUNT_ID: z.union([
    z.optional(z.string().check(z.uuid())),
    z.pipe(
      z.literal(""),
      z.transform(() => undefined),
    ),
  ]),
  CRMOFFICE_BASE_URL: z.string().check(z.url()),
  CRMOFFICE_CLIENT_ID: z.string().check(z.minLength(1)),
  /** Flows (comma-separated names) whose deletes are carried to the other system; default none. */
  PROPAGATE_DELETES: z
    .pipe(
      z._default(z.string(), ""),
      z.transform((names: string) =>
        names
          .split(",")
          .map((name) => name.trim())
          .filter(Boolean),
      ),
    )
    .check(
      z.refine((names) => names.every((name) => flowNamed(name)), {
        message: `names a flow that does not exist (flows: ${FLOWS.map((flow) => flow.name).join(", ")})`,
      }),
    ),
  /** Exact's call budget per app and division, shared by all workers (the governor); Exact's standard contract is 60 and 5,000. */
  EXACT_CALLS_PER_MINUTE: z._default(z.coerce.number().check(z.int(), z.positive()), 60),
  EXACT_CALLS_PER_DAY: z._default(z.coerce.number().check(z.int(), z.positive()), 5000),
  /** Calls of each window the governor leaves unspent (other apps of the same key, clock skew). */
  EXACT_CALLS_SAFETY_MARGIN: z._default(z.coerce.number().check(z.int(), z.gte(0)), 0),
  /** Days a sync-log entry is kept before DynamoDB's TTL removes it. */
  SYNC_LOG_RETENTION_DAYS: z._default(z.coerce.number().check(z.int(), z.positive()), 30),
  /** Per request to Exact or CRMOffice (ms): a slower answer counts as failed and is retried. */
  HTTP_TIMEOUT_MS: z._default(z.coerce.number().check(z.int(), z.positive()), 15_000),
  /**
   * How long a claimed create or a write reservation belongs to the worker that took it (ms);
   * past it, another worker may take over (the first one died). Must outlast the writes it
   * covers: at least two HTTP timeouts.
   */
  SYNC_LEASE_MS: z._default(z.coerce.number().check(z.int(), z.positive()), 30_000),
  /**
   * The Exact poller's intervals (minutes; fractions allowed, the local stack uses seconds). The
   * defaults cost about 140 of Exact's 5,000 daily calls and 96 token refreshes a day when
   * nothing changes; every interval a multiple of the employees' one, so one refresh serves each wake.
   */
  EXACT_POLL_EMPLOYEES_MINUTES: z._default(z.coerce.number().check(z.positive()), 15),
  EXACT_POLL_FALLBACK_MINUTES: z._default(z.coerce.number().check(z.positive()), 60),
  EXACT_POLL_DELETED_MINUTES: z._default(z.coerce.number().check(z.positive()), 60),
  EXACT_DIVISION_CHECK_MINUTES: z._default(z.coerce.number().check(z.positive()), 60),
  EXACT_POLL_MAX_BACKOFF_MINUTES: z._default(z.coerce.number().check(z.positive()), 240),
  /**
   * Exact's tokens are encrypted before they are stored: with the stage's KMS key in AWS (its id or
   * ARN), or, where no KMS runs (the local stack), with this AES-256 key (base64). One is required.
   */
  TOKEN_KMS_KEY_ID: z.optional(z.string().check(z.minLength(1))),
  TOKEN_ENCRYPTION_KEY: z.optional(z.string().check(z.regex(/^[A-Za-z0-9+/]{43}=$/, "a base64 AES-256 key"))),
  /**
   * An Exact notification whose EventCreatedOn is older than this (hours) is answered 200 and not
   * taken: a replayed capture costs nothing. Exact publishes no redelivery schedule; senders that do
   * retry for hours to a day or two, and the poller's fallback reads every change within the hour anyway.
   */
  EXACT_WEBHOOK_MAX_AGE_HOURS: z._default(z.coerce.number().check(z.positive()), 24),
  /** How long a taken webhook delivery is remembered (days): longer than any redelivery. */
  WEBHOOK_DEDUPE_DAYS: z._default(z.coerce.number().check(z.int(), z.positive()), 7),
  /**
   * A change put back to wait more often than this, or for longer than this many hours since it was
   * first seen, goes to the dead-letter queue with the reason instead of circling for ever. The
   * hours outlast a day's Exact budget running out (the longest honest wait, until the day resets).
   */
  SYNC_MAX_POSTPONES: z._default(z.coerce.number().check(z.int(), z.positive()), 100),
  SYNC_MAX_POSTPONE_HOURS: z._default(z.coerce.number().check(z.positive()), 26),
  /** The queue's redrive maxReceiveCount (serverless.yml): the receive after which a failure is dead-lettered. */
  MAX_RECEIVE_COUNT: z._default(z.coerce.number().check(z.int(), z.positive()), 5),
  /** The dead-letter queue (the replay function's source). */
  DEAD_LETTER_QUEUE_URL: z.optional(z.string().check(z.url())),
});

export type Settings = z.infer<typeof SettingsSchema>;
/** Every setting's name: the one list of them (`.env.example` and `serverless.yml` are held to it by a test). */
export const SETTING_NAMES = Object.keys(SettingsSchema.shape) as (keyof Settings)[];
export type SettingName = keyof Settings;

export class ConfigurationError extends Error {
  override name = "ConfigurationError";
}

export function parseSettings(env: NodeJS.ProcessEnv): Settings {
  const parsed = SettingsSchema.safeParse(env);
  if (!parsed.success) {
    const names = parsed.error.issues.map((issue) => issue.path.join(".")).join(", ");
    throw new ConfigurationError(`missing or invalid settings: ${names}`);
  }
  return parsed.data;
}

let cached: Settings | undefined;
/** The poller's schedule from the settings. */
export function pollSchedule(config: Settings): PollSchedule {
  return {
    employeesMinutes: config.EXACT_POLL_EMPLOYEES_MINUTES,
    fallbackMinutes: config.EXACT_POLL_FALLBACK_MINUTES,
    deletedMinutes: config.EXACT_POLL_DELETED_MINUTES,
    divisionCheckMinutes: config.EXACT_DIVISION_CHECK_MINUTES,
    maxBackoffMinutes: config.EXACT_POLL_MAX_BACKOFF_MINUTES,
  };
}

export function settings(): Settings {
  cached ??= parseSettings(process.env);
  return cached;
}
