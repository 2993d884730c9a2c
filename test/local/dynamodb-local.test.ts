import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  ConditionalCheckFailedException,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  DynamoDBClient,
  ListTablesCommand,
  TransactionCanceledException,
} from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, GetCommand, PutCommand, TransactWriteCommand } from "@aws-sdk/lib-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LOCAL_AWS_REGION, LOCAL_CREDENTIALS } from "#lib/local/local-aws";
import {
  DynamoDbLocalDownloadError,
  DynamoDbLocalPortInUseError,
  ensureDynamoDbLocal,
  JavaNotFoundError,
  startDynamoDbLocal,
} from "#lib/local/dynamodb-local";
import { INDEX_BY_KIND, TTL_ATTRIBUTE } from "#lib/store/table";
import { createTestTable, useTestAws } from "../support/aws";

describe("DynamoDB Local with the product's table", () => {
  let tableName: string;
  let client: DynamoDBClient;
  let documents: DynamoDBDocumentClient;

  beforeAll(async () => {
    useTestAws();
    tableName = await createTestTable();
    client = new DynamoDBClient({});
    documents = DynamoDBDocumentClient.from(client);
  });
  afterAll(() => client.destroy());

  it("has the table ACTIVE with its index and TTL on the expiry attribute", async () => {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    expect(Table?.TableStatus).toBe("ACTIVE");
    expect(Table?.GlobalSecondaryIndexes?.map((index) => index.IndexName)).toEqual([INDEX_BY_KIND.name]);
    const { TimeToLiveDescription } = await client.send(new DescribeTimeToLiveCommand({ TableName: tableName }));
    expect(TimeToLiveDescription).toMatchObject({ TimeToLiveStatus: "ENABLED", AttributeName: TTL_ATTRIBUTE });
  });

  it("writes both items of a transaction", async () => {
    await documents.send(
      new TransactWriteCommand({
        TransactItems: [
          { Put: { TableName: tableName, Item: { pk: "LINK#tx", sk: "A", n: 1 } } },
          { Put: { TableName: tableName, Item: { pk: "LINK#tx", sk: "B", n: 2 }, ConditionExpression: "attribute_not_exists(pk)" } },
        ],
      }),
    );
    const { Item } = await documents.send(new GetCommand({ TableName: tableName, Key: { pk: "LINK#tx", sk: "B" } }));
    expect(Item).toEqual({ pk: "LINK#tx", sk: "B", n: 2 });
  });

  it("cancels a whole transaction when one condition fails, and says which", async () => {
    await documents.send(new PutCommand({ TableName: tableName, Item: { pk: "REF#taken", sk: "flow" } }));
    const attempt = documents.send(
      new TransactWriteCommand({
        TransactItems: [
          { Put: { TableName: tableName, Item: { pk: "LINK#new", sk: "link" } } },
          { Put: { TableName: tableName, Item: { pk: "REF#taken", sk: "flow" }, ConditionExpression: "attribute_not_exists(pk)" } },
        ],
      }),
    );
    const error = await attempt.catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TransactionCanceledException);
    expect((error as TransactionCanceledException).CancellationReasons?.map((reason) => reason.Code)).toEqual([
      "None",
      "ConditionalCheckFailed",
    ]);
    const { Item } = await documents.send(new GetCommand({ TableName: tableName, Key: { pk: "LINK#new", sk: "link" } }));
    expect(Item).toBeUndefined();
  });

  it("rejects a conditional put on an existing item with ConditionalCheckFailedException", async () => {
    const put = () =>
      documents.send(
        new PutCommand({
          TableName: tableName,
          Item: { pk: "REF#once", sk: "flow", v: 1 },
          ConditionExpression: "attribute_not_exists(pk)",
        }),
      );
    await put();
    await expect(put()).rejects.toBeInstanceOf(ConditionalCheckFailedException);
  });
});

describe("startDynamoDbLocal", () => {
  it("picks a free port for port 0, answers, and is gone after stop()", async () => {
    const dynamo = await startDynamoDbLocal({ port: 0, host: "127.0.0.1" });
    const client = new DynamoDBClient({
      endpoint: dynamo.endpoint,
      region: LOCAL_AWS_REGION,
      credentials: LOCAL_CREDENTIALS,
      maxAttempts: 1,
    });
    try {
      expect(dynamo.port).toBeGreaterThan(0);
      expect(dynamo.endpoint).toBe(`http://127.0.0.1:${dynamo.port}`);
      await expect(client.send(new ListTablesCommand({}))).resolves.toMatchObject({ TableNames: [] });
      await dynamo.stop();
      await expect(client.send(new ListTablesCommand({}))).rejects.toThrow(/ECONNREFUSED/);
    } finally {
      client.destroy();
      await dynamo.stop();
    }
  });

  it("fails at once with DynamoDbLocalPortInUseError when the port is taken (the jar itself would hang)", async () => {
    const holder = createServer();
    await new Promise<void>((resolve) => holder.listen(0, "127.0.0.1", resolve));
    const { port } = holder.address() as AddressInfo;
    try {
      const started = Date.now();
      await expect(startDynamoDbLocal({ port, host: "127.0.0.1", startTimeoutMs: 60_000 })).rejects.toBeInstanceOf(
        DynamoDbLocalPortInUseError,
      );
      expect(Date.now() - started).toBeLessThan(30_000);
    } finally {
      holder.close();
    }
  });
});

describe("ensureDynamoDbLocal", () => {
  let emptyDir: string;
  beforeAll(async () => {
    emptyDir = await mkdtemp(join(tmpdir(), "dynamodb-local-test-"));
  });
  afterAll(() => rm(emptyDir, { recursive: true, force: true }));

  it("says Java is missing when it is not on PATH", async () => {
    const path = process.env.PATH;
    process.env.PATH = emptyDir;
    try {
      await expect(ensureDynamoDbLocal({ dir: join(emptyDir, "jar") })).rejects.toBeInstanceOf(JavaNotFoundError);
    } finally {
      process.env.PATH = path;
    }
  });

  it("says the registry is out of reach when the download fails", async () => {
    const saved = { registry: process.env.npm_config_registry, retries: process.env.npm_config_fetch_retries };
    // Port 9 (discard) on loopback refuses at once; no retries keep the test fast.
    process.env.npm_config_registry = "http://127.0.0.1:9/";
    process.env.npm_config_fetch_retries = "0";
    process.env.npm_config_cache = join(emptyDir, "npm-cache");
    try {
      const error = await ensureDynamoDbLocal({ dir: join(emptyDir, "jar") }).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(DynamoDbLocalDownloadError);
      expect((error as Error).message).toMatch(/registry/);
    } finally {
      restoreEnv("npm_config_registry", saved.registry);
      restoreEnv("npm_config_fetch_retries", saved.retries);
      delete process.env.npm_config_cache;
    }
  });
});

function restoreEnv(name: string, value: string | undefined): void {
  if (value === undefined) delete process.env[name];
  else process.env[name] = value;
}
