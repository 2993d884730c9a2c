import { SendMessageBatchCommand, SendMessageCommand } from "@aws-sdk/client-sqs";
import { sqsClient } from "#lib/aws/sqs";
import { ChangeEventSchema, type ChangeEvent } from "#lib/events/change-event";

/** SQS's own bounds: 10 messages a batch, 900 s of delay. */
const MAX_BATCH = 10;
const MAX_DELAY_SECONDS = 900;

export class EnqueueError extends Error {
  override name = "EnqueueError";
}

/** Puts one change event on the queue; `delaySeconds` postpones it; `reason` says why it is there (a dead letter's). */
export async function enqueueChangeEvent(queueUrl: string, event: ChangeEvent, delaySeconds = 0, reason?: string): Promise<void> {
  await sqsClient().send(
    new SendMessageCommand({
      QueueUrl: queueUrl,
      MessageBody: JSON.stringify(ChangeEventSchema.parse(event)),
      DelaySeconds: Math.min(MAX_DELAY_SECONDS, Math.max(0, Math.ceil(delaySeconds))),
      ...(reason ? { MessageAttributes: { reason: { DataType: "String", StringValue: reason.slice(0, 1000) } } } : {}),
    }),
  );
}

/** Puts many events on the queue, ten a call; throws if any one of them was not accepted. */
export async function enqueueChangeEvents(queueUrl: string, events: readonly ChangeEvent[]): Promise<void> {
  for (let start = 0; start < events.length; start += MAX_BATCH) {
    const batch = events.slice(start, start + MAX_BATCH);
    const result = await sqsClient().send(
      new SendMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: batch.map((event, index) => ({ Id: String(index), MessageBody: JSON.stringify(ChangeEventSchema.parse(event)) })),
      }),
    );
    if (result.Failed?.length) throw new EnqueueError(`${result.Failed.length} of ${batch.length} events were not enqueued`);
  }
}
