/**
 * For test files that need DynamoDB or SQS: the emulators started by test/support/global-setup.ts,
 * and a table and queues of their own (random names, so files can run in parallel).
 */
import { randomUUID } from "node:crypto";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { SQSClient } from "@aws-sdk/client-sqs";
import { inject } from "vitest";
import { useLocalAws } from "#lib/local/infrastructure";
import { createQueues, createTable, type Queues } from "#lib/local/resources";

export class TestAwsNotProvidedError extends Error {
  override name = "TestAwsNotProvidedError";
  constructor() {
    super('The local AWS emulators are not running: add globalSetup: ["./test/support/global-setup.ts"] to vitest.config.ts');
  }
}

/** Points this test process's AWS SDK clients at the run's emulators; returns their endpoints. */
export function useTestAws(): { dynamoEndpoint: string; sqsEndpoint: string } {
  const dynamoEndpoint = inject("dynamoEndpoint");
  const sqsEndpoint = inject("sqsEndpoint");
  if (!dynamoEndpoint || !sqsEndpoint) throw new TestAwsNotProvidedError();
  useLocalAws({ dynamoEndpoint, sqsEndpoint });
  return { dynamoEndpoint, sqsEndpoint };
}

/** A unique resource name for this test, e.g. `test-3f9c1a2b`. */
export function uniqueName(prefix = "test"): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

/** A fresh table with the product's definition (TTL on); returns its name. */
export async function createTestTable(): Promise<string> {
  useTestAws();
  const tableName = uniqueName();
  const client = new DynamoDBClient({});
  try {
    await createTable(client, tableName);
  } finally {
    client.destroy();
  }
  return tableName;
}

/** A fresh queue with its dead-letter queue; short defaults so retries happen within a test. */
export async function createTestQueues({
  visibilityTimeoutSeconds = 1,
  maxReceiveCount = 3,
}: { visibilityTimeoutSeconds?: number; maxReceiveCount?: number } = {}): Promise<Queues> {
  useTestAws();
  const sqs = new SQSClient({});
  try {
    return await createQueues(sqs, { name: uniqueName(), visibilityTimeoutSeconds, maxReceiveCount });
  } finally {
    sqs.destroy();
  }
}
