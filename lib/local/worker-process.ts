/**
 * A worker in a process of its own, for runs that kill a worker mid-batch (the fault tests, the
 * soak): the deployed worker handler behind the local SQS event source, against the same
 * emulators, table and sandboxes as the stack that started it (all from the environment the
 * stack put in process.env). Started by `startWorkerProcess` (worker-processes.ts).
 *
 * Run: `node --import tsx lib/local/worker-process.ts` with WORKER_QUEUE_URL set (and
 * optionally WORKER_CONCURRENCY). Prints `ready` once polling, and `batch <n>` to stdout each
 * time it takes `n` messages, before handling them, so the caller knows when it holds messages.
 */
import { GetQueueAttributesCommand, SQSClient } from "@aws-sdk/client-sqs";
import type { Context, SQSEvent } from "aws-lambda";
import { handler } from "#functions/worker";
import { startSqsEventSource } from "#lib/local/sqs-event-source";

const queueUrl = process.env.WORKER_QUEUE_URL;
if (!queueUrl) throw new Error("WORKER_QUEUE_URL is not set");

const sqs = new SQSClient({});
const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ["QueueArn"] }));
const source = startSqsEventSource({
  sqs,
  queueUrl,
  queueArn: Attributes?.QueueArn ?? "",
  handler: async (event: SQSEvent, context: Context) => {
    process.stdout.write(`batch ${event.Records.length}\n`);
    return handler(event, context);
  },
  concurrency: Number(process.env.WORKER_CONCURRENCY ?? 2),
  functionTimeoutMs: 30_000,
  functionName: "worker-child",
  log: { error: (message) => process.stderr.write(`${message}\n`) },
});
process.on("SIGTERM", () => {
  void source.stop().then(() => process.exit(0));
});
process.stdout.write("ready\n");
