import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { SQSClient } from "@aws-sdk/client-sqs";

/*
 * Endpoints come from the SDK's own settings (AWS_ENDPOINT_URL_DYNAMODB, AWS_ENDPOINT_URL_SQS),
 * so the same code talks to AWS in Lambda and to DynamoDB Local and the SQS emulator locally.
 * Clients are created once per process (outside the handler) and reused across invocations.
 */
let dynamo: DynamoDBDocumentClient | undefined;
let sqs: SQSClient | undefined;

export function documentClient(): DynamoDBDocumentClient {
  dynamo ??= DynamoDBDocumentClient.from(new DynamoDBClient({ maxAttempts: 3 }), {
    marshallOptions: { removeUndefinedValues: true },
  });
  return dynamo;
}

export function sqsClient(): SQSClient {
  sqs ??= new SQSClient({ maxAttempts: 3 });
  return sqs;
}
