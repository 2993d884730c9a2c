import { createHash } from "node:crypto";
import { GetQueueAttributesCommand, ReceiveMessageCommand, SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import type { SQSEvent, SQSRecord } from "aws-lambda";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { Queues } from "#lib/local/resources";
import type { RuntimeLog } from "#lib/local/runtime-log";
import { startSqsEventSource, type SqsEventSource, type SqsHandler } from "#lib/local/sqs-event-source";
import { createTestQueues, useTestAws } from "../support/aws";

const quietLog: RuntimeLog = { error: () => {} };

describe("startSqsEventSource", () => {
  let sqs: SQSClient;
  let running: SqsEventSource | undefined;

  beforeAll(() => {
    useTestAws();
    sqs = new SQSClient({});
  });
  afterEach(async () => {
    await running?.stop();
    running = undefined;
  });
  afterAll(() => sqs.destroy());

  const start = (queues: Queues, handler: SqsHandler, batchSize = 10) => {
    running = startSqsEventSource({
      sqs,
      queueUrl: queues.queueUrl,
      queueArn: queues.queueArn,
      handler,
      batchSize,
      waitTimeSeconds: 1,
      concurrency: 1,
      log: quietLog,
    });
  };
  const send = async (queueUrl: string, body: string) => {
    const { MessageId } = await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: body }));
    return MessageId!;
  };
  const depth = async (queueUrl: string) => {
    const { Attributes = {} } = await sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: queueUrl,
        AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
      }),
    );
    return Number(Attributes.ApproximateNumberOfMessages) + Number(Attributes.ApproximateNumberOfMessagesNotVisible);
  };

  it("invokes the handler with Lambda's SQS event shape", async () => {
    const queues = await createTestQueues();
    const body = JSON.stringify({ system: "crmoffice", id: "c-1", note: "ünïcode ✓" });
    const messageId = (
      await sqs.send(
        new SendMessageCommand({
          QueueUrl: queues.queueUrl,
          MessageBody: body,
          MessageAttributes: {
            source: { DataType: "String", StringValue: "webhook" },
            blob: { DataType: "Binary", BinaryValue: Uint8Array.from([1, 2, 255]) },
          },
        }),
      )
    ).MessageId;
    const events: SQSEvent[] = [];
    start(queues, async (event) => {
      events.push(event);
    });
    await expect.poll(() => events.length, { timeout: 5_000 }).toBe(1);

    const record = events[0]!.Records[0]!;
    expect(events[0]!.Records).toHaveLength(1);
    expect(record).toMatchObject({
      messageId,
      body,
      md5OfBody: createHash("md5").update(body).digest("hex"),
      eventSource: "aws:sqs",
      eventSourceARN: queues.queueArn,
      awsRegion: "eu-west-1",
      messageAttributes: {
        source: { stringValue: "webhook", stringListValues: [], binaryListValues: [], dataType: "String" },
        blob: { binaryValue: Buffer.from([1, 2, 255]).toString("base64"), stringListValues: [], binaryListValues: [], dataType: "Binary" },
      },
    });
    expect(record.receiptHandle).toEqual(expect.any(String));
    expect(record.attributes.ApproximateReceiveCount).toBe("1");
    expect(Number(record.attributes.SentTimestamp)).toBeGreaterThan(Date.now() - 60_000);
    expect(Number(record.attributes.ApproximateFirstReceiveTimestamp)).toBeGreaterThanOrEqual(Number(record.attributes.SentTimestamp));
    expect(record.attributes.SenderId).toEqual(expect.any(String));
  });

  it("keeps a batch hidden while it is handled, however long that outlasts the visibility timeout", async () => {
    const queues = await createTestQueues({ visibilityTimeoutSeconds: 1, maxReceiveCount: 5 });
    await send(queues.queueUrl, "slow");
    const received: string[] = [];
    running = startSqsEventSource({
      sqs,
      queueUrl: queues.queueUrl,
      queueArn: queues.queueArn,
      handler: async (event) => {
        received.push(...event.Records.map((record) => record.attributes.ApproximateReceiveCount));
        await new Promise((resolve) => setTimeout(resolve, 3_500));
      },
      waitTimeSeconds: 1,
      concurrency: 2,
      visibilityTimeoutSeconds: 1,
      log: quietLog,
    });
    await expect.poll(() => depth(queues.queueUrl), { timeout: 8_000 }).toBe(0);
    // Handled once, by one of the two pollers: it never came back while the first held it.
    expect(received).toEqual(["1"]);
  });

  it("gathers a burst into one batch, and does not hold a lone message for the window", async () => {
    const queues = await createTestQueues({ visibilityTimeoutSeconds: 5, maxReceiveCount: 5 });
    const batches: number[] = [];
    const lone: number[] = [];
    running = startSqsEventSource({
      sqs,
      queueUrl: queues.queueUrl,
      queueArn: queues.queueArn,
      handler: async (event) => {
        batches.push(event.Records.length);
        if (event.Records.some((record) => record.body === "lone"))
          lone.push(Date.now() - Number(event.Records[0]?.attributes.SentTimestamp));
      },
      batchSize: 80,
      maximumBatchingWindowMs: 2_000,
      waitTimeSeconds: 1,
      concurrency: 1,
      log: quietLog,
    });
    await Promise.all(Array.from({ length: 45 }, (_, index) => send(queues.queueUrl, `burst-${index}`)));
    await expect.poll(() => batches.reduce((sum, size) => sum + size, 0), { timeout: 8_000 }).toBe(45);
    expect(Math.max(...batches)).toBeGreaterThan(10);
    await send(queues.queueUrl, "lone");
    await expect.poll(() => lone.length, { timeout: 5_000 }).toBe(1);
    expect(lone[0]).toBeLessThan(1_500);
  });

  it("deletes what succeeded and delivers reported failures again after the visibility timeout", async () => {
    const queues = await createTestQueues({ visibilityTimeoutSeconds: 1, maxReceiveCount: 5 });
    const ok1 = await send(queues.queueUrl, "ok-1");
    const flaky = await send(queues.queueUrl, "flaky");
    const ok2 = await send(queues.queueUrl, "ok-2");
    const seen: Array<{ id: string; receiveCount: string }> = [];
    start(queues, async (event) => {
      seen.push(...event.Records.map((record) => ({ id: record.messageId, receiveCount: record.attributes.ApproximateReceiveCount })));
      const failFlaky = event.Records.find((record) => record.messageId === flaky && record.attributes.ApproximateReceiveCount === "1");
      return { batchItemFailures: failFlaky ? [{ itemIdentifier: flaky }] : [] };
    });

    await expect.poll(() => seen.some((s) => s.id === flaky && s.receiveCount === "2"), { timeout: 5_000 }).toBe(true);
    await expect.poll(() => depth(queues.queueUrl), { timeout: 5_000 }).toBe(0);
    expect(seen.filter((s) => s.id === ok1)).toHaveLength(1);
    expect(seen.filter((s) => s.id === ok2)).toHaveLength(1);
    expect(seen.filter((s) => s.id === flaky)).toHaveLength(2);
    expect(await depth(queues.dlqUrl)).toBe(0);
  });

  it("moves a message that always fails to the dead-letter queue after maxReceiveCount receives", async () => {
    const queues = await createTestQueues({ visibilityTimeoutSeconds: 1, maxReceiveCount: 2 });
    const poison = await send(queues.queueUrl, "poison");
    let attempts = 0;
    start(queues, async (event) => {
      attempts += event.Records.length;
      return { batchItemFailures: event.Records.map((record) => ({ itemIdentifier: record.messageId })) };
    });

    await expect.poll(() => depth(queues.dlqUrl), { timeout: 8_000, interval: 200 }).toBe(1);
    expect(attempts).toBe(2);
    expect(await depth(queues.queueUrl)).toBe(0);
    const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queues.dlqUrl }));
    expect(Messages.map((message) => [message.MessageId, message.Body])).toEqual([[poison, "poison"]]);
  });

  it("deletes nothing when the handler throws, so the whole batch comes back", async () => {
    const queues = await createTestQueues({ visibilityTimeoutSeconds: 1, maxReceiveCount: 5 });
    await send(queues.queueUrl, "a");
    await send(queues.queueUrl, "b");
    const batches: SQSRecord[][] = [];
    start(
      queues,
      async (event) => {
        batches.push(event.Records);
        if (batches.length === 1) throw new Error("worker crashed");
      },
      2,
    );

    await expect.poll(() => depth(queues.queueUrl), { timeout: 6_000 }).toBe(0);
    const received = batches.flat();
    expect(received.map((record) => record.body).sort()).toEqual(["a", "a", "b", "b"]);
    expect(received.filter((record) => record.attributes.ApproximateReceiveCount === "2")).toHaveLength(2);
  });

  it("fails the whole batch when a reported itemIdentifier is empty or unknown (Lambda's rule)", async () => {
    const queues = await createTestQueues({ visibilityTimeoutSeconds: 1, maxReceiveCount: 5 });
    await send(queues.queueUrl, "x");
    await send(queues.queueUrl, "y");
    const responses = [{ batchItemFailures: [{ itemIdentifier: "not-in-this-batch" }] }, { batchItemFailures: [{ itemIdentifier: "" }] }];
    const batches: SQSRecord[][] = [];
    start(
      queues,
      async (event) => {
        batches.push(event.Records);
        return responses[batches.length - 1] ?? {};
      },
      2,
    );

    await expect.poll(() => depth(queues.queueUrl), { timeout: 8_000 }).toBe(0);
    expect(batches.flat().filter((record) => record.attributes.ApproximateReceiveCount === "3")).toHaveLength(2);
  });

  it("stop() waits for the batch being handled, then deletes it", async () => {
    const queues = await createTestQueues({ visibilityTimeoutSeconds: 5, maxReceiveCount: 5 });
    await send(queues.queueUrl, "slow");
    let started = false;
    let finished = false;
    start(queues, async () => {
      started = true;
      await new Promise((resolve) => setTimeout(resolve, 300));
      finished = true;
    });
    await expect.poll(() => started, { timeout: 5_000 }).toBe(true);
    await running!.stop();
    running = undefined;
    expect(finished).toBe(true);
    expect(await depth(queues.queueUrl)).toBe(0);
  });
});
