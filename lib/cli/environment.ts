/**
 * Where syncctl's commands point: the local stack of `npm start` (default) or a deployed stage
 * (`--stage NAME`). Either way the result is the process environment the product's own code
 * reads (settings, secrets or their SSM prefix, the AWS SDK's endpoints), so `syncContext()` and
 * the connectors work unchanged, plus the few names the commands need themselves.
 */
import type { Output } from "@aws-sdk/client-cloudformation";
import { GetQueueUrlCommand, SQSClient } from "@aws-sdk/client-sqs";
import { CliError, UsageError } from "#lib/cli/errors";
import { LOCAL_RESOURCE_PREFIX, localPort, queueNames } from "#lib/local/defaults";
import { useLocalAws } from "#lib/local/infrastructure";
import { localProductEnvironment, type ProductEnvironment } from "#lib/local/settings";
import { CONFIGURATION_FUNCTION, requirePublicHttps, settingsFromFunction } from "#lib/cli/stage-settings";

export interface CliEnvironment {
  /** For people: `local stack` or `stage prod`. */
  name: string;
  stage?: string;
  tableName: string;
  queueUrl: string;
  deadLetterQueueUrl: string;
  /** The webhook API's base URL, when known (subscriptions point there). */
  apiUrl?: string;
}

export interface EnvironmentRequest {
  stage?: string | undefined;
  /** The webhook API's base URL; for a stage, overrides the stack's `HttpApiUrl` output. */
  apiUrl?: string | undefined;
}

export function resolveEnvironment(request: EnvironmentRequest = {}): Promise<CliEnvironment> {
  return request.stage === undefined
    ? localEnvironment({ apiUrl: request.apiUrl })
    : stageEnvironment(request.stage, { apiUrl: request.apiUrl });
}

// ---------------------------------------------------------------------------------------------
// The local stack

export interface LocalOverrides {
  /** Where ports are read (WEBHOOK_API_PORT, …; lib/local/defaults.ts); process.env by default. */
  env?: NodeJS.ProcessEnv;
  /** Table name and queue-name prefix; `exact-crmoffice-sync-local` by default. */
  resourcePrefix?: string;
  /** Skip the queue lookups by name. */
  queueUrl?: string;
  deadLetterQueueUrl?: string;
  apiUrl?: string | undefined;
}

const loopback = (port: number) => `http://127.0.0.1:${port}`;

/** The local stack as `npm start` runs it, with the sandboxes' fixed development credentials. */
export async function localEnvironment(overrides: LocalOverrides = {}): Promise<CliEnvironment> {
  const env = overrides.env ?? process.env;
  const prefix = overrides.resourcePrefix ?? LOCAL_RESOURCE_PREFIX;
  const sqsEndpoint = loopback(localPort("sqs", env));
  useLocalAws({ dynamoEndpoint: loopback(localPort("dynamodb", env)), sqsEndpoint });

  const names = queueNames(prefix);
  const queueUrl = overrides.queueUrl ?? (await localQueueUrl(names.queue, sqsEndpoint));
  const deadLetterQueueUrl = overrides.deadLetterQueueUrl ?? (await localQueueUrl(names.deadLetterQueue, sqsEndpoint));
  applyEnv({
    ...localProductEnvironment({
      tableName: prefix,
      queueUrl,
      exactUrl: loopback(localPort("exactonline", env)),
      crmofficeUrl: loopback(localPort("crmoffice", env)),
    }),
    DEAD_LETTER_QUEUE_URL: deadLetterQueueUrl,
    // Secrets from the environment above, not from SSM.
    SSM_PARAMETER_PREFIX: undefined,
  });
  return {
    name: "local stack",
    tableName: prefix,
    queueUrl,
    deadLetterQueueUrl,
    apiUrl: overrides.apiUrl ?? loopback(localPort("api", env)),
  };
}

async function localQueueUrl(name: string, endpoint: string): Promise<string> {
  const sqs = new SQSClient({ maxAttempts: 1 });
  try {
    const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: name }));
    if (!QueueUrl) throw new CliError(`the SQS emulator at ${endpoint} gave no URL for queue ${name}`);
    return QueueUrl;
  } catch (error) {
    if (error instanceof CliError) throw error;
    const errorName = (error as { name?: string }).name ?? "";
    if (errorName.includes("QueueDoesNotExist") || errorName.includes("NonExistentQueue")) {
      throw new CliError(`the local SQS at ${endpoint} has no queue ${name}: is this \`npm start\`'s stack? (or pass --stage NAME)`);
    }
    throw new CliError(`the local stack is not running (no SQS answers at ${endpoint}): start it with \`npm start\`, or pass --stage NAME`);
  } finally {
    sqs.destroy();
  }
}

// ---------------------------------------------------------------------------------------------
// A deployed stage

export const SERVICE = "exact-crmoffice-sync";
export const stackName = (stage: string) => `${SERVICE}-${stage}`;
export const ssmPrefix = (stage: string) => `/${SERVICE}/${stage}`;

/** The CloudFormation outputs syncctl reads (serverless.yml's `Outputs`, and osls's HttpApiUrl). */
export interface StageResources {
  tableName: string;
  queueUrl: string;
  deadLetterQueueUrl: string;
  apiUrl?: string;
}

/** Maps the stack's outputs to the names syncctl uses; throws naming any that are missing. */
export function stageResources(stage: string, outputs: readonly Output[]): StageResources {
  const value = (key: string) => outputs.find((output) => output.OutputKey === key)?.OutputValue || undefined;
  const required = { tableName: "SyncTableName", queueUrl: "EventsQueueUrl", deadLetterQueueUrl: "DeadLetterQueueUrl" } as const;
  const missing = Object.values(required).filter((key) => !value(key));
  if (missing.length)
    throw new CliError(`stack ${stackName(stage)} has no output ${missing.join(", ")}: is it deployed from this serverless.yml?`);
  const apiUrl = value("HttpApiUrl")?.replace(/\/+$/, "");
  return {
    tableName: value(required.tableName) as string,
    queueUrl: value(required.queueUrl) as string,
    deadLetterQueueUrl: value(required.deadLetterQueueUrl) as string,
    ...(apiUrl ? { apiUrl } : {}),
  };
}

/**
 * The settings a stage runs with: the deployed worker's own configuration (division, base URLs,
 * client ids, key, limits: never the operator's shell), the resources from its stack, the secrets
 * from SSM under the stage's prefix.
 */
export function stageSettings(
  stage: string,
  resources: StageResources,
  functionVariables: Record<string, string | undefined>,
): ProductEnvironment {
  return {
    ...settingsFromFunction(functionVariables),
    TABLE_NAME: resources.tableName,
    EVENTS_QUEUE_URL: resources.queueUrl,
    DEAD_LETTER_QUEUE_URL: resources.deadLetterQueueUrl,
    SSM_PARAMETER_PREFIX: ssmPrefix(stage),
  };
}

/** The environment of the stage's deployed worker function, as Lambda holds it. */
async function deployedConfiguration(stage: string): Promise<Record<string, string | undefined>> {
  const { LambdaClient, GetFunctionConfigurationCommand } = await import("@aws-sdk/client-lambda");
  const lambda = new LambdaClient({});
  const functionName = `${stackName(stage)}-${CONFIGURATION_FUNCTION}`;
  try {
    const { Environment } = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: functionName }));
    return Environment?.Variables ?? {};
  } catch (error) {
    throw new CliError(`cannot read the configuration of ${functionName}: ${(error as Error).message}`);
  } finally {
    lambda.destroy();
  }
}

const STAGE_NAME = /^[a-zA-Z0-9-]+$/;

/** A deployed stage; credentials and region come from the standard AWS chain. */
export async function stageEnvironment(stage: string, { apiUrl }: { apiUrl?: string | undefined } = {}): Promise<CliEnvironment> {
  if (!STAGE_NAME.test(stage)) throw new UsageError(`invalid stage name "${stage}" (letters, digits and hyphens)`);
  if (apiUrl !== undefined) requirePublicHttps(apiUrl, "--api-url");
  // Loaded only here: the local stack (the usual case) does not need it.
  const { CloudFormationClient, DescribeStacksCommand } = await import("@aws-sdk/client-cloudformation");
  const cloudFormation = new CloudFormationClient({});
  let outputs: Output[];
  try {
    const { Stacks } = await cloudFormation.send(new DescribeStacksCommand({ StackName: stackName(stage) }));
    outputs = Stacks?.[0]?.Outputs ?? [];
  } catch (error) {
    throw new CliError(`cannot read stack ${stackName(stage)}: ${(error as Error).message}`);
  } finally {
    cloudFormation.destroy();
  }
  const resources = stageResources(stage, outputs);
  if (resources.apiUrl) requirePublicHttps(resources.apiUrl, `stack ${stackName(stage)}'s HttpApiUrl`);
  applyEnv(stageSettings(stage, resources, await deployedConfiguration(stage)));
  return {
    name: `stage ${stage}`,
    stage,
    tableName: resources.tableName,
    queueUrl: resources.queueUrl,
    deadLetterQueueUrl: resources.deadLetterQueueUrl,
    ...((apiUrl ?? resources.apiUrl) ? { apiUrl: apiUrl ?? resources.apiUrl } : {}),
  };
}

function applyEnv(values: ProductEnvironment): void {
  for (const [name, value] of Object.entries(values)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
}
