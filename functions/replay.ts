import middy from "@middy/core";
import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import type { Context } from "aws-lambda";
import * as z from "#lib/util/zod-mini";
import { flowNamed } from "#lib/flows/index";
import { replayDeadLetters, type ReplaySummary } from "#lib/sync/replay";
import { logger } from "#lib/telemetry/logger";

/** `{ "flow"?: "items", "limit"?: 50, "dryRun"?: true }`; an empty invocation replays everything. */
export const ReplayRequestSchema = z.strictObject({
  flow: z.optional(z.string().check(z.refine((name) => flowNamed(name) !== undefined, { message: "unknown flow" }))),
  limit: z.optional(z.number().check(z.int(), z.positive())),
  dryRun: z.optional(z.boolean()),
});

const EnvironmentSchema = z.object({ EVENTS_QUEUE_URL: z.string().check(z.url()), DEAD_LETTER_QUEUE_URL: z.string().check(z.url()) });

/** Stop receiving this long before the function's timeout, to finish the batch in hand and release the rest. */
const SAFETY_MARGIN_MS = 15_000;

export class InvalidReplayRequestError extends Error {
  override name = "InvalidReplayRequestError";
}

/**
 * Moves dead-lettered change events back to the events queue, on demand (no trigger):
 * `aws lambda invoke --function-name exact-crmoffice-sync-<stage>-replay --payload '{"flow":"items"}' out.json`.
 */
export const handler = middy(async (event: unknown, context: Context): Promise<ReplaySummary> => {
  const request = ReplayRequestSchema.safeParse(event ?? {});
  if (!request.success) {
    throw new InvalidReplayRequestError(
      `invalid request: ${request.error.issues.map((issue) => `${issue.path.join(".") || "(event)"} ${issue.message}`).join("; ")}`,
    );
  }
  const env = EnvironmentSchema.parse(process.env);
  const remainingMs = context.getRemainingTimeInMillis();
  const summary = await replayDeadLetters({
    deadLetterQueueUrl: env.DEAD_LETTER_QUEUE_URL,
    queueUrl: env.EVENTS_QUEUE_URL,
    ...request.data,
    // Examined messages stay hidden for the whole run (each is looked at once) and are released at its end.
    visibilityTimeoutSeconds: Math.ceil(remainingMs / 1000),
    signal: AbortSignal.timeout(Math.max(1_000, remainingMs - SAFETY_MARGIN_MS)),
  });
  const { events: _events, malformedMessages, ...counts } = summary;
  logger.info("replay finished", { ...counts, malformedMessages });
  return summary;
}).use(injectLambdaContext(logger, { resetKeys: true }));
