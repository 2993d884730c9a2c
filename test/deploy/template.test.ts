/**
 * The packaged CloudFormation template (`npm run package`) held to what AWS would refuse or what
 * would silently break once deployed, and to the least privilege the code's own tables call for:
 * the secrets each function reads (FUNCTION_SECRETS) and the item kinds of the table (KEY_PREFIXES).
 */
import { WORKER_BATCH_SIZE, WORKER_BATCHING_WINDOW_SECONDS } from "#lib/sync/batch";
import { beforeAll, describe, expect, it } from "vitest";
import { FUNCTION_SECRETS, SECRET_NAMES, type SecretName } from "#lib/config/secrets";
import { KEY_PREFIXES, type KeyKind } from "#lib/store/keys";
import { metrics } from "#lib/telemetry/index";
import { crmOfficeDeliveryParser } from "#lib/webhooks/crmoffice";
import { createWebhookReceiver } from "#lib/webhooks/receiver";
import { actionsOf, allowed, principalsOf, resourcesOf, roleStatements, type Statement } from "./iam";
import {
  describeValue,
  listOf,
  packagedFunctions,
  packagedTemplate,
  resourcesOfType,
  type PackagedFunction,
  type Template,
} from "./packaged";

type FunctionName = keyof typeof FUNCTION_SECRETS;

/** Deploy-time settings, set to values no default has, to see them reach the template. */
const OPERATORS = ["arn:aws:iam::123456789012:role/sync-operator", "arn:aws:iam::123456789012:role/sync-ci"];
const DEPLOY_SETTINGS = { HTTP_API_THROTTLE_RATE: "7", HTTP_API_THROTTLE_BURST: "13", KMS_OPERATOR_ARNS: OPERATORS.join(",") };

const WEBHOOKS: FunctionName[] = ["webhookExactonline", "webhookCrmoffice"];
const CONNECT: FunctionName[] = ["exactAuthorizationStart", "exactAuthorizationCallback"];
/** The functions that seal and open Exact's tokens with the stage's key. */
const TOKEN_USERS: FunctionName[] = ["worker", "poller", ...CONNECT];
const OAUTH_CLIENT_SECRETS: SecretName[] = ["EXACT_CLIENT_SECRET", "CRMOFFICE_CLIENT_SECRET", "EXACT_OAUTH_STATE_KEY"];

/** The item actions `dynamodb:LeadingKeys` limits (a Scan has no leading key, so the condition would not hold it). */
const KEYED_ITEM_ACTIONS = [
  "dynamodb:GetItem",
  "dynamodb:PutItem",
  "dynamodb:UpdateItem",
  "dynamodb:DeleteItem",
  "dynamodb:Query",
  "dynamodb:ConditionCheckItem",
  "dynamodb:BatchGetItem",
  "dynamodb:BatchWriteItem",
];
const WRITES = ["dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem"];

let template: Template;
let configured: Template;
let functions: Map<string, PackagedFunction>;

beforeAll(async () => {
  template = await packagedTemplate();
  configured = await packagedTemplate(DEPLOY_SETTINGS);
  functions = packagedFunctions(template);
}, 300_000);

const fn = (name: FunctionName) => {
  const found = functions.get(name);
  if (!found) throw new Error(`no function ${name} in the template`);
  return found;
};
const resource = (logicalId: string) => {
  const found = template.Resources[logicalId];
  if (!found) throw new Error(`no resource ${logicalId} in the template`);
  return found;
};
const getAttOf = (value: unknown) => (value as { "Fn::GetAtt"?: [string, string] } | undefined)?.["Fn::GetAtt"]?.[0];
const stageOf = (of: Template) => resourcesOfType(of, "AWS::ApiGatewayV2::Stage")[0]?.[1].Properties ?? {};

/**
 * What a role may do in the table, item kind by item kind, read from its statements; every
 * DynamoDB grant must be on the table itself (not its index) and held to named kinds by
 * `dynamodb:LeadingKeys`, or this throws.
 */
function tableAccess(statements: Statement[]): Map<KeyKind, Set<string>> {
  const access = new Map<KeyKind, Set<string>>();
  for (const statement of allowed(statements)) {
    const actions = actionsOf(statement).filter((action) => action.startsWith("dynamodb:"));
    if (actions.length === 0) continue;
    const unkeyed = actions.filter((action) => !KEYED_ITEM_ACTIONS.includes(action));
    if (unkeyed.length > 0) throw new Error(`${unkeyed.join(", ")}: not limited by dynamodb:LeadingKeys`);
    if (resourcesOf(statement).join() !== "SyncTable.Arn") throw new Error(`DynamoDB on ${resourcesOf(statement).join()}, not the table`);
    const patterns = listOf(statement.Condition?.["ForAllValues:StringLike"]?.["dynamodb:LeadingKeys"] as string | string[] | undefined);
    if (patterns.length === 0) throw new Error(`${actions.join(", ")} on every item: no ForAllValues:StringLike dynamodb:LeadingKeys`);
    for (const pattern of patterns) {
      const kind = (Object.keys(KEY_PREFIXES) as KeyKind[]).find((candidate) => pattern === `${KEY_PREFIXES[candidate]}*`);
      if (!kind) throw new Error(`LeadingKeys pattern ${pattern} is not one item kind's prefix`);
      access.set(kind, new Set([...(access.get(kind) ?? []), ...actions]));
    }
  }
  return access;
}
const accessOf = (name: FunctionName) => tableAccess(roleStatements(template, fn(name).role));
const kindsOf = (access: Map<KeyKind, Set<string>>) => [...access.keys()].sort();

/** The SSM parameters a role may read, as paths. */
function parametersReadBy(statements: Statement[]): string[] {
  return allowed(statements)
    .filter((statement) => actionsOf(statement).some((action) => action.startsWith("ssm:")))
    .flatMap(resourcesOf)
    .map((arn) => arn.replace(/^arn:aws:ssm:\$\{AWS::Region\}:\$\{AWS::AccountId\}:parameter/, ""))
    .sort();
}

describe("the events queue and the worker's event source", () => {
  const workerTimeout = () => Number(fn("worker").properties.Timeout);
  const eventSource = () => {
    const mappings = resourcesOfType(template, "AWS::Lambda::EventSourceMapping").filter(
      ([, mapping]) => getAttOf(mapping.Properties?.FunctionName) === fn("worker").logicalId,
    );
    expect(mappings).toHaveLength(1);
    return mappings[0]![1].Properties ?? {};
  };
  const eventsQueue = () => resource(getAttOf(eventSource().EventSourceArn) ?? "").Properties ?? {};

  it("hides a received change for at least six times the worker's timeout (AWS's advice; less redelivers changes in flight)", () => {
    expect(workerTimeout()).toBeGreaterThan(0);
    expect(Number(eventsQueue().VisibilityTimeout)).toBeGreaterThanOrEqual(6 * workerTimeout());
  });

  it("reports failed records one by one (ReportBatchItemFailures), or one failure would redeliver the whole batch", () => {
    expect(eventSource().FunctionResponseTypes).toEqual(["ReportBatchItemFailures"]);
  });

  it("hands the worker batches as large as one Exact read ahead takes, gathered for the window the local stack mirrors", () => {
    expect(Number(eventSource().BatchSize)).toBe(WORKER_BATCH_SIZE);
    expect(Number(eventSource().MaximumBatchingWindowInSeconds)).toBe(WORKER_BATCHING_WINDOW_SECONDS);
  });

  it("redrives to the dead-letter queue after as many receives as the worker counts (MAX_RECEIVE_COUNT)", () => {
    const redrive = eventsQueue().RedrivePolicy as { deadLetterTargetArn: unknown; maxReceiveCount: unknown };
    const deadLetterQueue = resource(getAttOf(redrive.deadLetterTargetArn) ?? "");
    expect(deadLetterQueue.Type).toBe("AWS::SQS::Queue");
    expect(Number(redrive.maxReceiveCount)).toBe(Number(fn("worker").environment.MAX_RECEIVE_COUNT));
    // The worker dead-letters a change postponed past its limits itself; replay reads them back.
    for (const name of ["worker", "replay"] as const) {
      expect(describeValue(fn(name).environment.DEAD_LETTER_QUEUE_URL)).toBe(`Ref:${getAttOf(redrive.deadLetterTargetArn)}`);
    }
  });
});

describe("IAM", () => {
  const roles = () => resourcesOfType(template, "AWS::IAM::Role");

  it("grants no wildcard action and no wildcard resource (outside CloudWatch Logs), and no managed policy it cannot show", () => {
    expect(roles().length).toBeGreaterThan(5);
    for (const [role, definition] of roles()) {
      expect({ role, managedPolicies: definition.Properties?.ManagedPolicyArns ?? [] }).toEqual({ role, managedPolicies: [] });
      for (const statement of allowed(roleStatements(template, role))) {
        const actions = actionsOf(statement);
        expect({ role, wildcardActions: actions.filter((action) => action.includes("*")) }).toEqual({ role, wildcardActions: [] });
        if (actions.every((action) => action.startsWith("logs:"))) continue;
        expect({ role, wildcardResources: resourcesOf(statement).filter((arn) => arn.includes("*")) }).toEqual({
          role,
          wildcardResources: [],
        });
      }
    }
  });

  it("lets each function write its logs only to its own log group", () => {
    for (const [name, { role, logicalId }] of functions) {
      const logGroups = allowed(roleStatements(template, role))
        .filter((statement) => actionsOf(statement).some((action) => action.startsWith("logs:")))
        .flatMap(resourcesOf);
      const own = describeValue(resource(logicalId).DependsOn)
        .split(",")
        .find((dependency) => dependency.endsWith("LogGroup"));
      expect({ name, logGroups }).toEqual({ name, logGroups: [`${own}.Arn`] });
    }
  });

  it("lets each function use only the queues, and the queue actions, its part of the flow needs", () => {
    const queueAccess = (name: FunctionName) =>
      Object.fromEntries(
        allowed(roleStatements(template, fn(name).role))
          .filter((statement) => actionsOf(statement).some((action) => action.startsWith("sqs:")))
          .flatMap((statement) => resourcesOf(statement).map((queue) => [queue.replace(/\.Arn$/, ""), actionsOf(statement).sort()])),
      );
    const consume = ["sqs:ChangeMessageVisibility", "sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ReceiveMessage"];
    for (const name of [...WEBHOOKS, "poller"] as FunctionName[]) {
      expect({ name, queues: queueAccess(name) }).toEqual({ name, queues: { EventsQueue: ["sqs:SendMessage"] } });
    }
    expect(queueAccess("worker")).toEqual({
      EventsQueue: [...consume, "sqs:SendMessage"].sort(),
      EventsDeadLetterQueue: ["sqs:SendMessage"],
    });
    expect(queueAccess("replay")).toEqual({ EventsDeadLetterQueue: consume, EventsQueue: ["sqs:SendMessage"] });
    for (const name of [...CONNECT, "health"] as FunctionName[]) expect({ name, queues: queueAccess(name) }).toEqual({ name, queues: {} });
  });

  it("deploys exactly the functions of FUNCTION_SECRETS, each webhook function with a role of its own", () => {
    expect([...functions.keys()].sort()).toEqual(Object.keys(FUNCTION_SECRETS).sort());
    for (const webhook of WEBHOOKS) {
      const sharing = [...functions.values()].filter((other) => other.role === fn(webhook).role).map((other) => other.name);
      expect(sharing).toEqual([webhook]);
    }
  });

  it("lets each function read exactly the SSM parameters of its own secrets (FUNCTION_SECRETS), and none without secrets any", () => {
    for (const [name, secrets] of Object.entries(FUNCTION_SECRETS) as [FunctionName, readonly SecretName[]][]) {
      const prefix = String(fn(name).environment.SSM_PARAMETER_PREFIX);
      expect(prefix).toMatch(/^\/exact-crmoffice-sync\/test$/);
      const statements = roleStatements(template, fn(name).role);
      expect({ name, parameters: parametersReadBy(statements) }).toEqual({
        name,
        parameters: secrets.map((secret) => `${prefix}/${secret}`).sort(),
      });
      const ssmActions = allowed(statements)
        .flatMap(actionsOf)
        .filter((action) => action.startsWith("ssm:"));
      expect(ssmActions.filter((action) => !["ssm:GetParameter", "ssm:GetParameters"].includes(action))).toEqual([]);
    }
  });

  it("never lets a webhook function read an OAuth client secret or the state key", () => {
    for (const webhook of WEBHOOKS) {
      const readable = parametersReadBy(roleStatements(template, fn(webhook).role)).map((path) => path.split("/").pop());
      expect(readable.length).toBeGreaterThan(0);
      expect(readable.filter((secret) => OAUTH_CLIENT_SECRETS.includes(secret as SecretName))).toEqual([]);
      expect(readable.every((secret) => SECRET_NAMES.includes(secret as SecretName))).toBe(true);
    }
  });
});

describe("table access by item kind (dynamodb:LeadingKeys)", () => {
  it("lets the webhook functions touch only delivery records (their dedupe)", () => {
    for (const webhook of WEBHOOKS) {
      const access = accessOf(webhook);
      expect(kindsOf(access)).toEqual(["delivery"]);
      expect([...access.get("delivery")!].sort()).toEqual([
        "dynamodb:DeleteItem",
        "dynamodb:GetItem",
        "dynamodb:PutItem",
        "dynamodb:UpdateItem",
      ]);
    }
  });

  it("lets the poller read links and references but not write them; it writes its cursors, the token and the budget", () => {
    const access = accessOf("poller");
    expect(kindsOf(access)).toEqual((["budget", "cursor", "link", "record", "token"] satisfies KeyKind[]).sort());
    for (const kind of ["link", "record"] as const) {
      expect({ kind, writes: [...access.get(kind)!].filter((action) => WRITES.includes(action)) }).toEqual({ kind, writes: [] });
      expect(access.get(kind)).toContain("dynamodb:GetItem");
    }
    for (const kind of ["cursor", "token", "budget"] as const) expect(access.get(kind)).toContain("dynamodb:UpdateItem");
    expect(access.get("token")).not.toContain("dynamodb:DeleteItem");
  });

  it("lets the worker keep links, references, claims, its log, failures and the budget, and use the token without deleting it", () => {
    const access = accessOf("worker");
    expect(kindsOf(access)).toEqual((["budget", "failure", "link", "log", "pending", "record", "token"] satisfies KeyKind[]).sort());
    for (const kind of ["link", "record", "pending"] as const) {
      for (const action of ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"]) {
        expect({ kind, action, allowed: access.get(kind)!.has(action) }).toEqual({ kind, action, allowed: true });
      }
    }
    expect(access.get("token")).toContain("dynamodb:UpdateItem");
    expect([...access.get("token")!].filter((action) => ["dynamodb:DeleteItem", "dynamodb:BatchWriteItem"].includes(action))).toEqual([]);
  });

  it("lets the connect functions keep tickets, OAuth states, the token and the budget, and never delete the token", () => {
    for (const name of CONNECT) {
      const access = accessOf(name);
      expect(kindsOf(access)).toEqual((["budget", "oauthState", "ticket", "token"] satisfies KeyKind[]).sort());
      expect(access.get("token")).not.toContain("dynamodb:DeleteItem");
    }
  });

  it("gives the replay and health functions no table access at all", () => {
    for (const name of ["replay", "health"] as const) {
      const dynamodb = allowed(roleStatements(template, fn(name).role)).filter((statement) =>
        actionsOf(statement).some((action) => action.startsWith("dynamodb:")),
      );
      expect({ name, dynamodb }).toEqual({ name, dynamodb: [] });
    }
  });
});

describe("the stage's KMS key", () => {
  const key = () => {
    const keys = resourcesOfType(template, "AWS::KMS::Key");
    expect(keys).toHaveLength(1);
    return keys[0]!;
  };
  const keyPolicy = (of: Template = template) => {
    const keys = resourcesOfType(of, "AWS::KMS::Key");
    expect(keys).toHaveLength(1);
    return listOf((keys[0]![1].Properties?.KeyPolicy as { Statement: Statement[] }).Statement);
  };
  const rolesOf = (names: readonly FunctionName[]) => [...new Set(names.map((name) => fn(name).role))].sort();
  /** The roles of this template a key policy lets do `action`, and under which conditions. */
  const rolesAllowed = (action: string, statements = keyPolicy()) =>
    statements
      .filter((statement) => statement.Effect === "Allow" && actionsOf(statement).includes(action))
      .flatMap((statement) => principalsOf(statement).map((principal) => ({ principal, condition: statement.Condition })))
      .filter(({ principal }) => template.Resources[principal]?.Type === "AWS::IAM::Role");

  it("is kept when the stack goes (it opens the retained table's tokens), rotates, and has an alias per stage", () => {
    const [logicalId, definition] = key();
    expect(definition.Properties?.EnableKeyRotation).toBe(true);
    expect((definition as { DeletionPolicy?: string }).DeletionPolicy).toBe("Retain");
    expect((definition as { UpdateReplacePolicy?: string }).UpdateReplacePolicy).toBe("Retain");
    const aliases = resourcesOfType(template, "AWS::KMS::Alias").filter(
      ([, alias]) => describeValue(alias.Properties?.TargetKeyId) === `Ref:${logicalId}`,
    );
    expect(aliases.map(([, alias]) => alias.Properties?.AliasName)).toEqual(["alias/exact-crmoffice-sync-test"]);
  });

  it("is the token key (TOKEN_KMS_KEY_ID) of exactly the functions that seal Exact's tokens", () => {
    const [logicalId] = key();
    const withKey = [...functions.values()].filter((candidate) => candidate.environment.TOKEN_KMS_KEY_ID !== undefined);
    expect(withKey.map((candidate) => candidate.name).sort()).toEqual([...TOKEN_USERS].sort());
    for (const user of withKey) expect(describeValue(user.environment.TOKEN_KMS_KEY_ID)).toBe(`${logicalId}.Arn`);
  });

  it("lets exactly the token functions' roles make and open data keys", () => {
    for (const action of ["kms:GenerateDataKey", "kms:Decrypt"]) {
      const unconditional = rolesAllowed(action).filter(({ condition }) => condition === undefined);
      expect({ action, roles: unconditional.map(({ principal }) => principal).sort() }).toEqual({ action, roles: rolesOf(TOKEN_USERS) });
    }
  });

  it("lets every other function that reads a SecureString decrypt only through SSM, and names no other role", () => {
    const readers = (Object.keys(FUNCTION_SECRETS) as FunctionName[]).filter((name) => FUNCTION_SECRETS[name].length > 0);
    const throughSsmOnly = rolesAllowed("kms:Decrypt").filter(({ condition }) => condition !== undefined);
    expect(throughSsmOnly.map(({ principal }) => principal).sort()).toEqual(rolesOf(readers.filter((name) => !TOKEN_USERS.includes(name))));
    for (const { condition } of throughSsmOnly) {
      expect(describeValue(condition?.StringEquals?.["kms:ViaService"])).toBe("ssm.${AWS::Region}.amazonaws.com");
    }
    const named = keyPolicy()
      .flatMap(principalsOf)
      .filter((principal) => template.Resources[principal]?.Type === "AWS::IAM::Role");
    expect([...new Set(named)].sort()).toEqual(rolesOf(readers));
  });

  it("lets the account administer the key but not use it; operators (KMS_OPERATOR_ARNS, the account by default) use it", () => {
    const uses = ["kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey", "kms:ReEncryptFrom", "kms:ReEncryptTo", "kms:CreateGrant"];
    const usersOf = (statements: Statement[]) =>
      statements
        .filter((statement) => statement.Effect === "Allow" && actionsOf(statement).some((action) => uses.includes(action)))
        .flatMap(principalsOf)
        .filter((principal) => configured.Resources[principal]?.Type !== "AWS::IAM::Role");
    expect([...new Set(usersOf(keyPolicy(configured)))].sort()).toEqual([...OPERATORS].sort());
    expect([...new Set(usersOf(keyPolicy()))]).toEqual(["arn:aws:iam::${AWS::AccountId}:root"]);
    for (const statement of keyPolicy(configured)) {
      expect({ sid: statement.Sid, wildcards: actionsOf(statement).filter((action) => action.includes("*")) }).toEqual({
        sid: statement.Sid,
        wildcards: [],
      });
    }
    const administration = keyPolicy(configured).filter((statement) =>
      principalsOf(statement).includes("arn:aws:iam::${AWS::AccountId}:root"),
    );
    expect(administration.flatMap(actionsOf)).toContain("kms:PutKeyPolicy");
  });
});

describe("the HTTP API", () => {
  const routeKeys = () =>
    resourcesOfType(template, "AWS::ApiGatewayV2::Route").map(([logicalId, route]) => [logicalId, String(route.Properties?.RouteKey)]);

  it("throttles every route (rate and burst), set at deploy by HTTP_API_THROTTLE_RATE and HTTP_API_THROTTLE_BURST", () => {
    const defaults = stageOf(template).DefaultRouteSettings as Record<string, unknown>;
    expect(Number(defaults.ThrottlingRateLimit)).toBeGreaterThan(0);
    expect(Number(defaults.ThrottlingBurstLimit)).toBeGreaterThan(0);
    const set = stageOf(configured).DefaultRouteSettings as Record<string, unknown>;
    expect([Number(set.ThrottlingRateLimit), Number(set.ThrottlingBurstLimit)]).toEqual([7, 13]);
  });

  it("throttles the connect routes tighter, and names only routes the stage waits for (AWS refuses settings of a missing route)", () => {
    const stage = resourcesOfType(template, "AWS::ApiGatewayV2::Stage")[0]!;
    const settings = (stage[1].Properties?.RouteSettings ?? {}) as Record<string, Record<string, unknown>>;
    const defaults = stageOf(template).DefaultRouteSettings as Record<string, unknown>;
    for (const routeKey of ["GET /oauth/exactonline/start", "GET /oauth/exactonline/callback"]) {
      expect(Number(settings[routeKey]?.ThrottlingRateLimit)).toBeLessThan(Number(defaults.ThrottlingRateLimit));
      expect(Number(settings[routeKey]?.ThrottlingBurstLimit)).toBeLessThan(Number(defaults.ThrottlingBurstLimit));
    }
    const waitsFor = listOf(stage[1].DependsOn);
    for (const routeKey of Object.keys(settings)) {
      const route = routeKeys().find(([, key]) => key === routeKey);
      expect({ routeKey, exists: route !== undefined }).toEqual({ routeKey, exists: true });
      expect(waitsFor).toContain(route![0]);
    }
  });

  it("reserves concurrency for the webhook and connect functions, so a flood cannot take the account's (or SSM's) share", () => {
    for (const name of [...WEBHOOKS, ...CONNECT, "worker", "poller"] as FunctionName[]) {
      expect({ name, reserved: Number(fn(name).properties.ReservedConcurrentExecutions) > 0 }).toEqual({ name, reserved: true });
    }
  });

  it("writes access logs, without query strings or headers (the OAuth callback's code and state are in its query)", () => {
    const settings = stageOf(template).AccessLogSettings as { DestinationArn: unknown; Format: string } | undefined;
    expect(settings).toBeDefined();
    const logGroup = resource(getAttOf(settings!.DestinationArn) ?? "");
    expect(logGroup.Type).toBe("AWS::Logs::LogGroup");
    expect(Number(logGroup.Properties?.RetentionInDays)).toBeGreaterThan(0);
    const fields = Object.values(JSON.parse(settings!.Format) as Record<string, string>);
    expect(fields).toContain("$context.status");
    expect(fields).toContain("$context.routeKey");
    expect(fields.filter((field) => field.startsWith("$request.") || /querystring|header|path/i.test(field))).toEqual([]);
  });
});

describe("alarms", () => {
  it("alarms on refused webhooks: the metric, namespace and dimension the webhook receiver really emits", async () => {
    const receive = createWebhookReceiver({
      parse: async () => crmOfficeDeliveryParser(["a-secret"]),
      enqueue: async () => undefined,
      deliveries: async () => {
        throw new Error("a refused delivery is never registered");
      },
    });
    const answer = await receive({ body: '{"id":"evt_1"}', headers: {}, isBase64Encoded: false } as never);
    expect(answer.statusCode).toBe(401);
    const emitted = metrics.serializeMetrics() as unknown as {
      _aws: { CloudWatchMetrics: { Dimensions: string[][]; Metrics: { Name: string }[] }[] };
    };
    metrics.clearMetrics();
    const [directive] = emitted._aws.CloudWatchMetrics;
    const metricName = directive!.Metrics.map((metric) => metric.Name).find((name) => /refused/i.test(name));
    expect(metricName).toBeDefined();

    const webhook = fn("webhookCrmoffice").environment;
    const alarms = resourcesOfType(template, "AWS::CloudWatch::Alarm").filter(([, alarm]) => alarm.Properties?.MetricName === metricName);
    expect(alarms).toHaveLength(1);
    const alarm = alarms[0]![1].Properties ?? {};
    expect(alarm.Namespace).toBe(webhook.POWERTOOLS_METRICS_NAMESPACE);
    const dimensions = (alarm.Dimensions as { Name: string; Value: unknown }[]).map(({ Name, Value }) => [Name, describeValue(Value)]);
    expect(dimensions.map(([name]) => name)).toEqual(directive!.Dimensions[0]);
    expect(Object.fromEntries(dimensions).service).toBe(webhook.POWERTOOLS_SERVICE_NAME);
    expect(alarm.ComparisonOperator).toMatch(/^GreaterThan/);
    expect(alarm.TreatMissingData).toBe("notBreaching");
  });
});
