/**
 * The packaged CloudFormation template (`npm run package`) held to what AWS would refuse or what
 * would silently break once deployed.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { FUNCTION_SECRETS } from "#lib/config/secrets";
import { metrics } from "#lib/telemetry/index";
import { crmOfficeDeliveryParser } from "#lib/webhooks/crmoffice";
import { createWebhookReceiver } from "#lib/webhooks/receiver";
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
const DEPLOY_SETTINGS = { HTTP_API_THROTTLE_RATE: "7", HTTP_API_THROTTLE_BURST: "13" };

const WEBHOOKS: FunctionName[] = ["webhookExactonline", "webhookCrmoffice"];
const CONNECT: FunctionName[] = ["exactAuthorizationStart", "exactAuthorizationCallback"];
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

  it("redrives to the dead-letter queue after as many receives as the worker counts (MAX_RECEIVE_COUNT)", () => {
    const redrive = eventsQueue().RedrivePolicy as { deadLetterTargetArn: unknown; maxReceiveCount: unknown };
    const deadLetterQueue = resource(getAttOf(redrive.deadLetterTargetArn) ?? "");
    expect(deadLetterQueue.Type).toBe("AWS::SQS::Queue");
    expect(describeValue(fn("replay").environment.DEAD_LETTER_QUEUE_URL)).toBe(`Ref:${getAttOf(redrive.deadLetterTargetArn)}`);
    expect(Number(redrive.maxReceiveCount)).toBe(Number(fn("worker").environment.MAX_RECEIVE_COUNT));
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
    const receive = createWebhookReceiver({ parse: async () => crmOfficeDeliveryParser(["a-secret"]), enqueue: async () => undefined });
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
