import { SQSClient } from "@aws-sdk/client-sqs";

/*
 * The endpoint comes from the SDK's own settings (AWS_ENDPOINT_URL_SQS), so the same code talks
 * to AWS in Lambda and to the SQS emulator on this machine. One client per process, created on
 * first use and reused across invocations.
 */
let client: SQSClient | undefined;

export function sqsClient(): SQSClient {
  client ??= new SQSClient({ maxAttempts: 3 });
  return client;
}
