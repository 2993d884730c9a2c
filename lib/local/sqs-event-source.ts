/**
 * Lambda's SQS event source mapping (with ReportBatchItemFailures), for running the deployed
 * worker handler locally: long-poll the queue, invoke the handler with a real `SQSEvent`, then
 * delete only the messages it did not report in `batchItemFailures`. Everything not deleted
 * becomes visible again after the queue's visibility timeout, and the queue's RedrivePolicy
 * moves it to the dead-letter queue after maxReceiveCount receives, exactly as on AWS.
 */
import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  type Message,
  type SQSClient,
} from "@aws-sdk/client-sqs";
import type { Context, SQSEvent, SQSRecord } from "aws-lambda";
import { z } from "zod";
import { createLambdaContext } from "./lambda-context";
import { consoleRuntimeLog, type RuntimeLog } from "./runtime-log";

/** A deployed SQS handler; its result is checked the way Lambda checks it. */
export type SqsHandler = (event: SQSEvent, context: Context) => Promise<unknown>;

export interface SqsEventSourceOptions {
  sqs: SQSClient;
  queueUrl: string;
  queueArn: string;
  handler: SqsHandler;
  /** Most records per invocation (Lambda's BatchSize). */
  batchSize?: number;
  /** Long-poll wait per ReceiveMessage, 0–20 s. */
  waitTimeSeconds?: number;
  /** Pollers, each invoking the handler with its own batches. */
  concurrency?: number;
  /**
   * Keep gathering up to batchSize for at most this long after the first message (Lambda's
   * MaximumBatchingWindowInSeconds), while messages keep arriving: unlike Lambda, which waits out
   * the window, gathering stops once the queue has had nothing more for `idleMs`, so a lone change
   * is not held back on one machine (in AWS it waits up to the window).
   */
  maximumBatchingWindowMs?: number;
  /** How long the queue must have nothing more before gathering stops (default 100 ms). */
  idleMs?: number;
  /** Names the function in its context; defaults to the queue's name. */
  functionName?: string;
  functionTimeoutMs?: number;
  /** Pause after a failed ReceiveMessage before polling again. */
  errorBackoffMs?: number;
  /**
   * The queue's visibility timeout. Given, the messages of a batch are kept hidden while the
   * handler works on them (their visibility renewed at half of it): in AWS the queue's timeout is
   * six times the function's, so a message never reappears while it is handled; locally it is kept
   * short, so that a failed message comes back within seconds, and this keeps the two the same.
   */
  visibilityTimeoutSeconds?: number;
  log?: RuntimeLog;
}

export interface SqsEventSource {
  /** Stops polling and waits for the batches being handled to finish (and be deleted). */
  stop(): Promise<void>;
}

const SQS_MAX_MESSAGES_PER_CALL = 10;

export function startSqsEventSource({
  sqs,
  queueUrl,
  queueArn,
  handler,
  batchSize = 10,
  waitTimeSeconds = 1,
  concurrency = 2,
  maximumBatchingWindowMs = 0,
  idleMs = 100,
  functionName = queueArn.split(":").at(-1) ?? "worker",
  functionTimeoutMs,
  errorBackoffMs = 1_000,
  visibilityTimeoutSeconds,
  log = consoleRuntimeLog,
}: SqsEventSourceOptions): SqsEventSource {
  const stopping = new AbortController();
  const awsRegion = queueArn.split(":")[3] ?? "";

  const receive = async (maxMessages: number, waitSeconds: number): Promise<Message[]> => {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: Math.min(SQS_MAX_MESSAGES_PER_CALL, maxMessages),
        WaitTimeSeconds: waitSeconds,
        AttributeNames: ["All"],
        MessageSystemAttributeNames: ["All"],
        MessageAttributeNames: ["All"],
      }),
      { abortSignal: stopping.signal },
    );
    return Messages;
  };

  const receiveBatch = async (): Promise<Message[]> => {
    const batch = await receive(batchSize, waitTimeSeconds);
    const windowEnds = Date.now() + maximumBatchingWindowMs;
    let lastArrival = Date.now();
    while (batch.length > 0 && batch.length < batchSize && Date.now() < windowEnds && !stopping.signal.aborted) {
      const more = await receive(batchSize - batch.length, 0);
      if (more.length > 0) {
        batch.push(...more);
        lastArrival = Date.now();
      } else if (Date.now() - lastArrival >= idleMs) {
        break;
      } else {
        await sleep(Math.min(25, windowEnds - Date.now()), stopping.signal);
      }
    }
    return batch;
  };

  const invoke = async (messages: Message[]): Promise<void> => {
    const records = messages.map((message) => toRecord(message, queueArn, awsRegion));
    const context = createLambdaContext({ functionName, timeoutMs: functionTimeoutMs });
    const heartbeat = visibilityTimeoutSeconds
      ? setInterval(() => void keepHidden(records), (visibilityTimeoutSeconds * 1000) / 2)
      : undefined;
    let result: unknown;
    try {
      result = await handler({ Records: records }, context);
    } catch (error) {
      log.error(`sqs: ${functionName} failed a batch of ${records.length}; nothing deleted, SQS delivers it again`, error);
      return;
    } finally {
      clearInterval(heartbeat);
    }
    const failed = reportedFailures(result, records);
    if (failed === "invalid") {
      log.error(`sqs: ${functionName} returned an invalid batch response; the whole batch of ${records.length} counts as failed`);
      return;
    }
    await deleteMessages(records.filter((record) => !failed.has(record.messageId)));
  };

  /** Renews the batch's visibility; a renewal that fails only lets a message come back a little early. */
  const keepHidden = async (records: SQSRecord[]): Promise<void> => {
    for (let start = 0; start < records.length; start += SQS_MAX_MESSAGES_PER_CALL) {
      const chunk = records.slice(start, start + SQS_MAX_MESSAGES_PER_CALL);
      await sqs
        .send(
          new ChangeMessageVisibilityBatchCommand({
            QueueUrl: queueUrl,
            Entries: chunk.map((record, index) => ({
              Id: String(index),
              ReceiptHandle: record.receiptHandle,
              VisibilityTimeout: visibilityTimeoutSeconds,
            })),
          }),
        )
        .catch(() => undefined);
    }
  };

  const deleteMessages = async (records: SQSRecord[]): Promise<void> => {
    for (let start = 0; start < records.length; start += SQS_MAX_MESSAGES_PER_CALL) {
      const chunk = records.slice(start, start + SQS_MAX_MESSAGES_PER_CALL);
      const { Failed = [] } = await sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: chunk.map((record, index) => ({ Id: String(index), ReceiptHandle: record.receiptHandle })),
        }),
      );
      for (const failure of Failed) log.error(`sqs: could not delete a handled message: ${failure.Code} ${failure.Message ?? ""}`);
    }
  };

  const poll = async (): Promise<void> => {
    while (!stopping.signal.aborted) {
      let messages: Message[];
      try {
        messages = await receiveBatch();
      } catch (error) {
        if (stopping.signal.aborted) return;
        log.error(`sqs: ReceiveMessage failed; polling again in ${errorBackoffMs} ms`, error);
        await sleep(errorBackoffMs, stopping.signal);
        continue;
      }
      if (messages.length === 0) continue;
      try {
        await invoke(messages);
      } catch (error) {
        log.error(`sqs: could not hand a batch to ${functionName}`, error);
      }
    }
  };

  const pollers = Array.from({ length: concurrency }, () => poll());
  return {
    async stop() {
      // Abandons the waiting long polls; anything the emulator had already handed to one of
      // them is not lost, it reappears after the visibility timeout like any unhandled receive.
      stopping.abort();
      await Promise.all(pollers);
    },
  };
}

const ReceivedMessageSchema = z.object({
  MessageId: z.string(),
  ReceiptHandle: z.string(),
  Body: z.string().default(""),
  MD5OfBody: z.string(),
  MD5OfMessageAttributes: z.string().optional(),
  Attributes: z
    .object({
      ApproximateReceiveCount: z.string(),
      SentTimestamp: z.string(),
      SenderId: z.string(),
      ApproximateFirstReceiveTimestamp: z.string(),
    })
    .catchall(z.string()),
  MessageAttributes: z
    .record(
      z.string(),
      z.object({
        DataType: z.string(),
        StringValue: z.string().optional(),
        BinaryValue: z.instanceof(Uint8Array).optional(),
        StringListValues: z.array(z.string()).optional(),
        BinaryListValues: z.array(z.instanceof(Uint8Array)).optional(),
      }),
    )
    .default({}),
});

/** One record as Lambda builds it: camel-cased fields, binary values base64, empty list values present. */
function toRecord(message: Message, eventSourceARN: string, awsRegion: string): SQSRecord {
  const received = ReceivedMessageSchema.parse(message);
  const base64 = (bytes: Uint8Array) => Buffer.from(bytes).toString("base64");
  return {
    messageId: received.MessageId,
    receiptHandle: received.ReceiptHandle,
    body: received.Body,
    attributes: received.Attributes,
    messageAttributes: Object.fromEntries(
      Object.entries(received.MessageAttributes).map(([name, attribute]) => [
        name,
        {
          ...(attribute.StringValue !== undefined ? { stringValue: attribute.StringValue } : {}),
          ...(attribute.BinaryValue !== undefined ? { binaryValue: base64(attribute.BinaryValue) } : {}),
          stringListValues: attribute.StringListValues ?? [],
          binaryListValues: (attribute.BinaryListValues ?? []).map(base64),
          dataType: attribute.DataType,
        },
      ]),
    ),
    md5OfBody: received.MD5OfBody,
    ...(received.MD5OfMessageAttributes !== undefined ? { md5OfMessageAttributes: received.MD5OfMessageAttributes } : {}),
    eventSource: "aws:sqs",
    eventSourceARN,
    awsRegion,
  };
}

const BatchResponseSchema = z.object({ batchItemFailures: z.array(z.object({ itemIdentifier: z.string().min(1) })).nullish() }).nullish();

/**
 * Lambda's rules for a ReportBatchItemFailures response: nothing, an empty object or an empty
 * list mean all succeeded; the listed ids failed; anything malformed (not an object, an entry
 * without an itemIdentifier, an empty or unknown id) fails the whole batch.
 */
function reportedFailures(result: unknown, records: SQSRecord[]): Set<string> | "invalid" {
  const parsed = BatchResponseSchema.safeParse(result);
  if (!parsed.success) return "invalid";
  const ids = (parsed.data?.batchItemFailures ?? []).map((failure) => failure.itemIdentifier);
  const known = new Set(records.map((record) => record.messageId));
  return ids.every((id) => known.has(id)) ? new Set(ids) : "invalid";
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted || ms <= 0) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done);
  });
}
