/**
 * Creates the product's table and queues through the real AWS SDK calls, so the same code
 * works against DynamoDB Local, the SQS emulator and AWS itself. Both are safe to repeat.
 */
import {
  CreateTableCommand,
  DescribeTimeToLiveCommand,
  ResourceInUseException,
  UpdateTimeToLiveCommand,
  waitUntilTableExists,
  type DynamoDBClient,
} from "@aws-sdk/client-dynamodb";
import { CreateQueueCommand, GetQueueAttributesCommand, type SQSClient } from "@aws-sdk/client-sqs";
import { tableDefinition, TTL_ATTRIBUTE } from "#lib/store/table";

/** Creates the table from `tableDefinition` (unless it exists), waits until ACTIVE, enables TTL. */
export async function createTable(client: DynamoDBClient, tableName: string, { maxWaitSeconds = 60 } = {}): Promise<void> {
  try {
    await client.send(new CreateTableCommand(tableDefinition(tableName)));
  } catch (error) {
    if (!(error instanceof ResourceInUseException)) throw error;
  }
  await waitUntilTableExists({ client, maxWaitTime: maxWaitSeconds, minDelay: 1, maxDelay: 5 }, { TableName: tableName });

  const { TimeToLiveDescription } = await client.send(new DescribeTimeToLiveCommand({ TableName: tableName }));
  // Enabling TTL again is a ValidationException on DynamoDB, so only when it is off.
  if (TimeToLiveDescription?.TimeToLiveStatus !== "ENABLED" && TimeToLiveDescription?.TimeToLiveStatus !== "ENABLING") {
    await client.send(
      new UpdateTimeToLiveCommand({
        TableName: tableName,
        TimeToLiveSpecification: { AttributeName: TTL_ATTRIBUTE, Enabled: true },
      }),
    );
  }
}

export interface QueueOptions {
  /** The main queue's name; its dead-letter queue is `<name>-dlq`. */
  name: string;
  /** How long a received message stays hidden before it is delivered again. */
  visibilityTimeoutSeconds: number;
  /** Receives after which SQS moves a message to the dead-letter queue. */
  maxReceiveCount: number;
}

export interface Queues {
  queueUrl: string;
  queueArn: string;
  dlqUrl: string;
  dlqArn: string;
}

/** An AWS API answered without a field its documentation promises. */
export class UnexpectedAwsResponseError extends Error {
  override name = "UnexpectedAwsResponseError";
}

/** SQS's maximum retention, so dead letters wait for a replay as long as possible. */
const DEAD_LETTER_RETENTION_SECONDS = 14 * 24 * 60 * 60;

/** Creates the dead-letter queue, then the main queue with a RedrivePolicy pointing at it. */
export async function createQueues(sqs: SQSClient, { name, visibilityTimeoutSeconds, maxReceiveCount }: QueueOptions): Promise<Queues> {
  const dlqUrl = await createQueue(sqs, `${name}-dlq`, { MessageRetentionPeriod: String(DEAD_LETTER_RETENTION_SECONDS) });
  const dlqArn = await queueArn(sqs, dlqUrl);
  const queueUrl = await createQueue(sqs, name, {
    VisibilityTimeout: String(visibilityTimeoutSeconds),
    RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount }),
  });
  return { queueUrl, queueArn: await queueArn(sqs, queueUrl), dlqUrl, dlqArn };
}

async function createQueue(sqs: SQSClient, name: string, attributes: Record<string, string>): Promise<string> {
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }));
  if (!QueueUrl) throw new UnexpectedAwsResponseError(`CreateQueue ${name} returned no QueueUrl`);
  return QueueUrl;
}

async function queueArn(sqs: SQSClient, queueUrl: string): Promise<string> {
  const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ["QueueArn"] }));
  const arn = Attributes?.QueueArn;
  if (!arn) throw new UnexpectedAwsResponseError(`GetQueueAttributes returned no QueueArn for ${queueUrl}`);
  return arn;
}
