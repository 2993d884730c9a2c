/**
 * `npm start`: the whole sync on this machine. Every address can be moved with an environment
 * variable (see README); SANDBOX_SEED=none starts both systems empty.
 */
import { CRMOFFICE_SANDBOX, EXACT_SANDBOX } from "#lib/sandbox/dev-credentials";
import { printLogsReadably } from "#lib/local/readable-logs";
import { startLocalStack } from "#lib/local/stack";
import { localPort } from "#lib/local/defaults";
import { stackEnvironment, startConsole } from "#lib/console/server";

const seed = process.env.SANDBOX_SEED === "none" ? "none" : "demo";
const startedAt = performance.now();
printLogsReadably();

const stack = await startLocalStack({
  seed,
});
const operatorConsole = await startConsole({ environment: stackEnvironment(stack), port: localPort("console") });

console.log(`
Exact Online ⇄ CRMOffice sync is running (ready in ${((performance.now() - startedAt) / 1000).toFixed(1)} s, seed: ${seed})

  webhook API         ${stack.urls.api}   (POST /webhooks/exactonline, POST /webhooks/crmoffice, GET /health)
  Exact Online        ${stack.urls.exactonline}   division ${EXACT_SANDBOX.division}
                      client id ${EXACT_SANDBOX.clientId}, secret ${EXACT_SANDBOX.clientSecret}
                      webhook secret ${EXACT_SANDBOX.webhookSecret}
  CRMOffice           ${stack.urls.crmoffice}   client id ${CRMOFFICE_SANDBOX.clientId}, secret ${CRMOFFICE_SANDBOX.clientSecret}
                      webhook secret ${CRMOFFICE_SANDBOX.webhookSecret}
  DynamoDB Local      ${stack.urls.dynamodb}   table ${stack.tableName}
  SQS emulator        ${stack.urls.sqs}   queue ${stack.queueUrl}
                      dead letters ${stack.deadLetterQueueUrl}
  console             ${operatorConsole.url}/   overview, unsyncable records, dead letters, record history

These are sandbox development credentials; they open nothing else. Ctrl+C stops everything.
`);

let stopping = false;
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    console.log("stopping…");
    void operatorConsole
      .close()
      .then(() => stack.stop())
      .then(() => process.exit(0));
  });
}
