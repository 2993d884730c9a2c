import { randomUUID } from "node:crypto";
import { ChangeMessageVisibilityBatchCommand, DeleteMessageCommand, ReceiveMessageCommand, type Message } from "@aws-sdk/client-sqs";
import { sqsClient } from "#lib/aws/sqs";
import { ChangeEventSchema, type ChangeEvent } from "#lib/events/change-event";
import { enqueueChangeEvent } from "#lib/events/queue";
import { FLOWS, flowNamed } from "#lib/flows/index";

/**
 * Moves dead-lettered change events back to the main queue (`syncctl replay` and the replay
 * Lambda). SQS's own redrive (StartMessageMoveTask) cannot filter by flow and the local SQS
 * emulator lacks it, so this receives from the dead-letter queue, sends each chosen event back
 * as a new message, and deletes the dead letter only after the send succeeded: a crash in
 * between leaves a duplicate, which the state-based worker handles harmlessly, never a loss.
 *
 * Messages it leaves (other flows, malformed, a dry run) are held hidden while the run lasts, so
 * each is examined once, then made visible again at once when the run ends.
 */
export interface ReplayOptions {
  deadLetterQueueUrl: string;
  queueUrl: string;
  /** Only events of this flow (their system and record type are one of its two sides). */
  flow?: string | undefined;
  /** Move at most this many events. */
  limit?: number | undefined;
  /** Only these dead letters (SQS message ids, as a dry run lists them), e.g. the ones a person picked. */
  messageIds?: readonly string[] | undefined;
  /** List what would move; move nothing. */
  dryRun?: boolean | undefined;
  /** How long examined messages stay hidden from others during the run; they are released at its end. */
  visibilityTimeoutSeconds?: number;
  /** Stops before the next receive (the messages in hand are finished first). */
  signal?: AbortSignal | undefined;
  now?: () => number;
}

export interface ReplayedEvent {
  messageId: string;
  system: ChangeEvent["system"];
  recordType: string;
  recordId: string;
  action: ChangeEvent["action"];
  /** Every flow the record type takes part in. */
  flows: string[];
  correlationId: string;
  /** SQS's ApproximateReceiveCount of the dead letter (this run's receive included). */
  receiveCount: number;
  /** Seconds since the event was first sent (SQS's SentTimestamp). */
  ageSeconds: number;
  /** The event id of the copy put on the main queue; absent in a dry run. */
  replayEventId?: string;
}

export interface MalformedMessage {
  messageId: string;
  reason: string;
}

export interface ReplaySummary {
  dryRun: boolean;
  flow: string | null;
  /** Distinct dead letters looked at. */
  examined: number;
  /** Sent back to the main queue and deleted from the dead-letter queue (0 in a dry run). */
  moved: number;
  /** Left in the dead-letter queue: events of other flows, or not among the chosen message ids. */
  skipped: number;
  /** Left in the dead-letter queue: bodies that are not a change event. */
  malformed: number;
  /** Stopped by the signal before the dead-letter queue was exhausted or the limit reached. */
  interrupted: boolean;
  /** The events moved, or in a dry run the ones that would move. */
  events: ReplayedEvent[];
  malformedMessages: MalformedMessage[];
}

export class UnknownFlowError extends Error {
  override name = "UnknownFlowError";
  constructor(flow: string) {
    super(`unknown flow "${flow}" (flows: ${FLOWS.map((known) => known.name).join(", ")})`);
  }
}

/** SQS's bound on messages per receive and per batch call. */
const MAX_MESSAGES = 10;

/** The flows whose sides include this event's system and record type. */
export function flowsOfEvent(event: Pick<ChangeEvent, "system" | "recordType">): string[] {
  return FLOWS.filter((flow) => flow[event.system].type === event.recordType).map((flow) => flow.name);
}

/** The change event in a dead letter, or why there is none. */
export function parseDeadLetter(body: string | undefined): { event: ChangeEvent } | { reason: string } {
  let json: unknown;
  try {
    json = JSON.parse(body ?? "");
  } catch {
    return { reason: "body is not JSON" };
  }
  const parsed = ChangeEventSchema.safeParse(json);
  if (parsed.success) return { event: parsed.data };
  const fields = [...new Set(parsed.error.issues.map((issue) => issue.path.join(".") || "(body)"))].join(", ");
  return { reason: `not a change event (invalid: ${fields})` };
}

/** A replay's summary before it has looked at any message (also what an empty queue shows). */
export function emptyReplaySummary(options: Pick<ReplayOptions, "dryRun" | "flow">): ReplaySummary {
  return {
    dryRun: options.dryRun ?? false,
    flow: options.flow ?? null,
    examined: 0,
    moved: 0,
    skipped: 0,
    malformed: 0,
    interrupted: false,
    events: [],
    malformedMessages: [],
  };
}

export async function replayDeadLetters(options: ReplayOptions): Promise<ReplaySummary> {
  if (options.flow !== undefined && !flowNamed(options.flow)) throw new UnknownFlowError(options.flow);
  if (options.limit !== undefined && !(Number.isInteger(options.limit) && options.limit > 0))
    throw new RangeError(`limit must be a positive integer, got ${options.limit}`);
  const now = options.now ?? Date.now;
  const sqs = sqsClient();
  const summary = emptyReplaySummary(options);
  const seen = new Set<string>();
  /** Dead letters to make visible again when the run ends: message id → latest receipt handle. */
  const held = new Map<string, string>();
  const chosen = options.messageIds === undefined ? undefined : new Set(options.messageIds);
  // A choice of messages ends the run once each of them is handled.
  const limit = chosen === undefined ? options.limit : Math.min(options.limit ?? Infinity, chosen.size);
  const remaining = () => (limit === undefined ? MAX_MESSAGES : limit - summary.events.length);

  try {
    while (remaining() > 0) {
      if (options.signal?.aborted) {
        summary.interrupted = true;
        break;
      }
      const { Messages: messages = [] } = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: options.deadLetterQueueUrl,
          MaxNumberOfMessages: Math.min(MAX_MESSAGES, remaining()),
          VisibilityTimeout: options.visibilityTimeoutSeconds ?? 30,
          // Long polling asks every SQS server, so an empty answer means an empty queue.
          WaitTimeSeconds: 1,
          MessageSystemAttributeNames: ["ApproximateReceiveCount", "SentTimestamp"],
        }),
      );
      let fresh = 0;
      for (const message of messages) {
        const messageId = message.MessageId ?? "";
        // Held from now on; a moved message leaves the hold once it is deleted.
        held.set(messageId, message.ReceiptHandle ?? "");
        if (seen.has(messageId)) continue; // examined earlier, back after its hold ran out (a long run)
        seen.add(messageId);
        fresh += 1;
        summary.examined += 1;
        const parsed = parseDeadLetter(message.Body);
        if ("reason" in parsed) {
          summary.malformed += 1;
          summary.malformedMessages.push({ messageId, reason: parsed.reason });
          continue;
        }
        const flows = flowsOfEvent(parsed.event);
        if ((options.flow !== undefined && !flows.includes(options.flow)) || (chosen !== undefined && !chosen.has(messageId))) {
          summary.skipped += 1;
          continue;
        }
        const described = describe(message, parsed.event, flows, now());
        if (summary.dryRun) {
          summary.events.push(described);
          continue;
        }
        const replayEventId = randomUUID();
        // The same change, observed again: a new event id, the correlation id it always had.
        await enqueueChangeEvent(options.queueUrl, { ...parsed.event, eventId: replayEventId, source: "replay" });
        await sqs.send(new DeleteMessageCommand({ QueueUrl: options.deadLetterQueueUrl, ReceiptHandle: message.ReceiptHandle }));
        held.delete(messageId);
        summary.moved += 1;
        summary.events.push({ ...described, replayEventId });
      }
      if (fresh === 0) break;
    }
  } finally {
    await release(options.deadLetterQueueUrl, held);
  }
  return summary;
}

function describe(message: Message, event: ChangeEvent, flows: string[], now: number): ReplayedEvent {
  const sent = Number(message.Attributes?.SentTimestamp);
  return {
    messageId: message.MessageId ?? "",
    system: event.system,
    recordType: event.recordType,
    recordId: event.recordId,
    action: event.action,
    flows,
    correlationId: event.correlationId,
    receiveCount: Number(message.Attributes?.ApproximateReceiveCount ?? 0),
    ageSeconds:
      Number.isFinite(sent) && sent > 0
        ? Math.max(0, Math.round((now - sent) / 1000))
        : Math.max(0, Math.round((now - Date.parse(event.observedAt)) / 1000)),
  };
}

/**
 * Makes the held dead letters visible again at once. Best effort: one that could not be
 * released becomes visible by itself when its visibility timeout ends.
 */
async function release(queueUrl: string, held: Map<string, string>): Promise<void> {
  const receipts = [...held.values()];
  for (let start = 0; start < receipts.length; start += MAX_MESSAGES) {
    const batch = receipts.slice(start, start + MAX_MESSAGES);
    await sqsClient()
      .send(
        new ChangeMessageVisibilityBatchCommand({
          QueueUrl: queueUrl,
          Entries: batch.map((receipt, index) => ({ Id: String(index), ReceiptHandle: receipt, VisibilityTimeout: 0 })),
        }),
      )
      .catch(() => undefined);
  }
}
