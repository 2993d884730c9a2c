import { GetQueueAttributesCommand, SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sqsClient } from "#lib/aws/sqs";
import { createQueues } from "#lib/local/resources";
import { startSqsEmulator } from "#lib/local/sqs-emulator";
import { uniqueName, useTestAws } from "../support/aws";

describe("createQueues", () => {
  let sqs: SQSClient;
  beforeAll(() => {
    useTestAws();
    sqs = new SQSClient({});
  });
  afterAll(() => sqs.destroy());

  it("creates the dead-letter queue and a main queue that redrives to it", async () => {
    const name = uniqueName("events");
    const queues = await createQueues(sqs, { name, visibilityTimeoutSeconds: 7, maxReceiveCount: 4 });

    expect(queues.queueArn).toBe(`arn:aws:sqs:eu-west-1:000000000000:${name}`);
    expect(queues.dlqArn).toBe(`arn:aws:sqs:eu-west-1:000000000000:${name}-dlq`);
    const { Attributes } = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: queues.queueUrl, AttributeNames: ["VisibilityTimeout", "RedrivePolicy"] }),
    );
    expect(Attributes?.VisibilityTimeout).toBe("7");
    expect(JSON.parse(Attributes?.RedrivePolicy ?? "{}")).toEqual({ deadLetterTargetArn: queues.dlqArn, maxReceiveCount: 4 });
  });

  it("is safe to repeat and returns the same queues", async () => {
    const options = { name: uniqueName("events"), visibilityTimeoutSeconds: 5, maxReceiveCount: 3 };
    expect(await createQueues(sqs, options)).toEqual(await createQueues(sqs, options));
  });

  it("hands out queue URLs that the product's SDK client (endpoint from the environment) can use", async () => {
    const { queueUrl } = await createQueues(sqs, { name: uniqueName("events"), visibilityTimeoutSeconds: 5, maxReceiveCount: 3 });
    await expect(sqsClient().send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: "{}" }))).resolves.toHaveProperty("MessageId");
  });
});

describe("startSqsEmulator", () => {
  it("listens on the given host on a free port and stops", async () => {
    const emulator = await startSqsEmulator({ port: 0, host: "127.0.0.1" });
    expect(emulator.endpoint).toBe(`http://127.0.0.1:${emulator.port}`);
    const health = await fetch(`${emulator.endpoint}/health`);
    expect(health.status).toBe(200);
    await emulator.stop();
    await expect(fetch(`${emulator.endpoint}/health`)).rejects.toThrow();
  });
});
