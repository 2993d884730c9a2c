import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";

/*
 * The endpoint comes from the SDK's own settings (AWS_ENDPOINT_URL_DYNAMODB), so the same code
 * talks to AWS in Lambda and to DynamoDB Local on this machine. One client per process, created
 * on first use and reused across invocations. (One module per AWS client: a function bundles
 * only the clients it uses.)
 */
let client: DynamoDBDocumentClient | undefined;

export function documentClient(): DynamoDBDocumentClient {
  client ??= DynamoDBDocumentClient.from(new DynamoDBClient({ maxAttempts: 3 }), {
    marshallOptions: { removeUndefinedValues: true },
  });
  return client;
}
