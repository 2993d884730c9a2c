/**
 * The AWS services the product uses, on this machine: DynamoDB Local and the SQS emulator, and
 * the environment that points the AWS SDK at them (lib/aws/dynamodb.ts and lib/aws/sqs.ts read nothing else).
 */
import { startDynamoDbLocal } from "./dynamodb-local";
import { LOCAL_AWS_REGION, LOCAL_CREDENTIALS } from "./local-aws";
import { startSqsEmulator } from "./sqs-emulator";

export interface LocalInfrastructure {
  dynamoEndpoint: string;
  sqsEndpoint: string;
  /** Stops both; the DynamoDB Local Java process has exited when this resolves. */
  stop(): Promise<void>;
}

export interface InfrastructureOptions {
  /** 0 picks a free port. */
  dynamoPort: number;
  /** 0 picks a free port. */
  sqsPort: number;
  host?: string;
}

export async function startInfrastructure({
  dynamoPort,
  sqsPort,
  host = "127.0.0.1",
}: InfrastructureOptions): Promise<LocalInfrastructure> {
  const [dynamo, sqs] = await Promise.allSettled([
    startDynamoDbLocal({ port: dynamoPort, host }),
    startSqsEmulator({ port: sqsPort, host }),
  ]);
  if (dynamo.status === "rejected" || sqs.status === "rejected") {
    // Do not leave the half that did start running.
    await Promise.all([dynamo, sqs].map((started) => (started.status === "fulfilled" ? started.value.stop() : undefined)));
    throw dynamo.status === "rejected" ? dynamo.reason : (sqs as PromiseRejectedResult).reason;
  }
  return {
    dynamoEndpoint: dynamo.value.endpoint,
    sqsEndpoint: sqs.value.endpoint,
    stop: async () => {
      await Promise.all([dynamo.value.stop(), sqs.value.stop()]);
    },
  };
}

/**
 * Points every AWS SDK client created afterwards in this process at the local services, with
 * the local region and dummy credentials (the emulators accept any). Call it before the first
 * client is created: lib/aws/dynamodb.ts and lib/aws/sqs.ts create their clients once per process.
 */
export function useLocalAws({ dynamoEndpoint, sqsEndpoint }: { dynamoEndpoint: string; sqsEndpoint: string }): void {
  process.env.AWS_ENDPOINT_URL_DYNAMODB = dynamoEndpoint;
  process.env.AWS_ENDPOINT_URL_SQS = sqsEndpoint;
  process.env.AWS_REGION = LOCAL_AWS_REGION;
  process.env.AWS_DEFAULT_REGION = LOCAL_AWS_REGION;
  process.env.AWS_ACCESS_KEY_ID = LOCAL_CREDENTIALS.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY = LOCAL_CREDENTIALS.secretAccessKey;
  // A real session token from the developer's shell must not travel to the emulators.
  delete process.env.AWS_SESSION_TOKEN;
}
