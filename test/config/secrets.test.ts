import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Sha256 } from "@smithy/core/checksum";
import { HttpRequest } from "@smithy/core/protocols";
import { SignatureV4 } from "@smithy/signature-v4";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { FUNCTION_SECRETS, loadSecrets, SECRETS_MAX_AGE_SECONDS } from "#lib/config/secrets";
import { setEnv } from "../support/env";

/*
 * The secrets as a deployed function reads them: SSM Parameter Store's GetParameters, signed
 * with SigV4. A small local server stands in for SSM: it checks every request's signature with
 * the AWS SDK's own signer and the credentials the function runs with, and answers as SSM does
 * (values of the names it has, `InvalidParameters` for the others, errors as `__type`).
 */

const REGION = "eu-west-1";
const CREDENTIALS = { accessKeyId: "AKIDSECRETSTEST", secretAccessKey: "secrets-test-secret-key", sessionToken: "secrets-test-session" };
const PREFIX = "/exact-crmoffice-sync/test";
const STORED: Record<string, string> = {
  [`${PREFIX}/EXACT_WEBHOOK_SECRET`]: "exact-webhook-secret-value",
  [`${PREFIX}/CRMOFFICE_WEBHOOK_SECRET`]: "crm-webhook-secret-value",
  [`${PREFIX}/CRMOFFICE_WEBHOOK_SECRET_PREVIOUS`]: "crm-webhook-previous-value",
  [`${PREFIX}/EXACT_CLIENT_SECRET`]: "exact-client-secret-value",
  [`${PREFIX}/CRMOFFICE_CLIENT_SECRET`]: "crm-client-secret-value",
};

interface SeenRequest {
  target: string | undefined;
  names: string[];
  withDecryption: boolean;
  signatureValid: boolean;
}

const seen: SeenRequest[] = [];
/** Answers to give before the normal ones (status, body), one per request. */
const queuedFailures: { status: number; body: unknown }[] = [];
/** The secret key the server checks signatures with: the function's unless a test says otherwise. */
let serverSecretKey = CREDENTIALS.secretAccessKey;

const readBody = async (request: IncomingMessage) => {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
};

/** Signs the request as received again, with the date it carries, and compares the Authorization header. */
async function signatureMatches(request: IncomingMessage, body: string, port: number): Promise<boolean> {
  const authorization = String(request.headers.authorization ?? "");
  const signedHeaders = /SignedHeaders=([^,]+)/.exec(authorization)?.[1]?.split(";") ?? [];
  const amzDate = String(request.headers["x-amz-date"] ?? "");
  const date = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(amzDate);
  if (!date || signedHeaders.length === 0) return false;
  const headers = Object.fromEntries(signedHeaders.map((name) => [name, String(request.headers[name] ?? "")]));
  const signer = new SignatureV4({
    service: "ssm",
    region: REGION,
    sha256: Sha256,
    credentials: { ...CREDENTIALS, secretAccessKey: serverSecretKey },
  });
  const expected = await signer.sign(
    new HttpRequest({
      method: request.method ?? "",
      protocol: "http:",
      hostname: "127.0.0.1",
      port,
      path: request.url ?? "/",
      headers,
      body,
    }),
    { signingDate: new Date(Date.UTC(+date[1]!, +date[2]! - 1, +date[3]!, +date[4]!, +date[5]!, +date[6]!)) },
  );
  return expected.headers.authorization === authorization;
}

let server: Server;
let restoreEnv: () => void;

beforeAll(async () => {
  server = createServer(async (request, response) => {
    const body = await readBody(request);
    const port = (server.address() as AddressInfo).port;
    const payload = JSON.parse(body) as { Names: string[]; WithDecryption: boolean };
    const signatureValid = await signatureMatches(request, body, port);
    seen.push({
      target: request.headers["x-amz-target"] as string | undefined,
      names: payload.Names,
      withDecryption: payload.WithDecryption,
      signatureValid,
    });
    const answer = (status: number, json: unknown) => {
      response.writeHead(status, { "content-type": "application/x-amz-json-1.1" });
      response.end(JSON.stringify(json));
    };
    const failure = queuedFailures.shift();
    if (failure) return answer(failure.status, failure.body);
    if (!signatureValid)
      return answer(400, {
        __type: "com.amazon.coral.service#InvalidSignatureException",
        message: "The request signature we calculated does not match",
      });
    return answer(200, {
      Parameters: payload.Names.filter((name) => name in STORED).map((name) => ({
        Name: name,
        Type: "SecureString",
        Value: STORED[name],
        Version: 1,
      })),
      InvalidParameters: payload.Names.filter((name) => !(name in STORED)),
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  restoreEnv = setEnv({
    AWS_ENDPOINT_URL_SSM: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    AWS_REGION: REGION,
    AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey,
    AWS_SESSION_TOKEN: CREDENTIALS.sessionToken,
  });
});

afterAll(async () => {
  restoreEnv();
  await new Promise((resolve) => server.close(resolve));
});

afterEach(() => {
  vi.useRealTimers();
  seen.length = 0;
  queuedFailures.length = 0;
  serverSecretKey = CREDENTIALS.secretAccessKey;
});

/** A clock of its own per test, far enough apart that nothing one test cached is fresh for the next. */
let clockStart = Date.UTC(2030, 0, 1);
function freshClock(): void {
  vi.useFakeTimers({ toFake: ["Date"] });
  clockStart += 24 * 3_600_000;
  vi.setSystemTime(clockStart);
}

const ssmEnv = { SSM_PARAMETER_PREFIX: PREFIX } as NodeJS.ProcessEnv;

describe("secrets from SSM Parameter Store", () => {
  it("reads only the function's own secrets, decrypted, in one signed GetParameters call; an absent optional one is undefined", async () => {
    freshClock();
    const secrets = await loadSecrets(FUNCTION_SECRETS.webhookExactonline, ssmEnv);
    expect(secrets).toEqual({ EXACT_WEBHOOK_SECRET: "exact-webhook-secret-value" });
    expect(secrets.EXACT_WEBHOOK_SECRET_PREVIOUS).toBeUndefined();
    expect(seen).toEqual([
      {
        target: "AmazonSSM.GetParameters",
        names: [`${PREFIX}/EXACT_WEBHOOK_SECRET`, `${PREFIX}/EXACT_WEBHOOK_SECRET_PREVIOUS`],
        withDecryption: true,
        signatureValid: true,
      },
    ]);
  });

  it("reads a previous webhook secret while one is being rotated", async () => {
    freshClock();
    expect(await loadSecrets(FUNCTION_SECRETS.webhookCrmoffice, ssmEnv)).toEqual({
      CRMOFFICE_WEBHOOK_SECRET: "crm-webhook-secret-value",
      CRMOFFICE_WEBHOOK_SECRET_PREVIOUS: "crm-webhook-previous-value",
    });
  });

  it(`keeps what it read (absent ones too) for ${SECRETS_MAX_AGE_SECONDS} s, then reads again`, async () => {
    freshClock();
    await loadSecrets(FUNCTION_SECRETS.webhookExactonline, ssmEnv);
    vi.setSystemTime(clockStart + SECRETS_MAX_AGE_SECONDS * 1000 - 1);
    await loadSecrets(FUNCTION_SECRETS.webhookExactonline, ssmEnv);
    expect(seen).toHaveLength(1);
    vi.setSystemTime(clockStart + SECRETS_MAX_AGE_SECONDS * 1000);
    await loadSecrets(FUNCTION_SECRETS.webhookExactonline, ssmEnv);
    expect(seen).toHaveLength(2);
    expect(seen[1]?.signatureValid).toBe(true);
  });

  it("asks only for the names it does not hold fresh", async () => {
    freshClock();
    await loadSecrets(["EXACT_CLIENT_SECRET"], ssmEnv);
    expect(await loadSecrets(FUNCTION_SECRETS.worker, ssmEnv)).toEqual({
      EXACT_CLIENT_SECRET: "exact-client-secret-value",
      CRMOFFICE_CLIENT_SECRET: "crm-client-secret-value",
    });
    expect(seen.map((request) => request.names)).toEqual([[`${PREFIX}/EXACT_CLIENT_SECRET`], [`${PREFIX}/CRMOFFICE_CLIENT_SECRET`]]);
  });

  it("names a missing required parameter, never a value", async () => {
    freshClock();
    const failure = loadSecrets(FUNCTION_SECRETS.exactAuthorizationCallback, ssmEnv);
    await expect(failure).rejects.toThrow(`SSM parameters missing or unreadable: ${PREFIX}/EXACT_OAUTH_STATE_KEY`);
    await expect(failure).rejects.not.toThrow(/exact-client-secret-value/);
  });

  it("fails when SSM refuses the signature (signed with other credentials than the server checks)", async () => {
    freshClock();
    serverSecretKey = "another-secret-key";
    await expect(loadSecrets(["EXACT_CLIENT_SECRET"], ssmEnv)).rejects.toThrow(
      "SSM GetParameters answered HTTP 400 (InvalidSignatureException)",
    );
    expect(seen).toHaveLength(1);
  });

  it("tries again after throttling or a server error", async () => {
    freshClock();
    queuedFailures.push(
      { status: 400, body: { __type: "com.amazonaws.ssm#ThrottlingException", message: "Rate exceeded" } },
      { status: 500, body: { __type: "com.amazonaws.ssm#InternalServerError" } },
    );
    expect(await loadSecrets(["EXACT_CLIENT_SECRET"], ssmEnv)).toEqual({ EXACT_CLIENT_SECRET: "exact-client-secret-value" });
    expect(seen).toHaveLength(3);
  });

  it("reads the environment when no SSM prefix is set (the local stack)", async () => {
    const secrets = await loadSecrets(FUNCTION_SECRETS.webhookCrmoffice, {
      CRMOFFICE_WEBHOOK_SECRET: "local",
      CRMOFFICE_WEBHOOK_SECRET_PREVIOUS: "",
    });
    expect(secrets).toEqual({ CRMOFFICE_WEBHOOK_SECRET: "local" });
    await expect(loadSecrets(["EXACT_CLIENT_SECRET"], {})).rejects.toThrow("secret EXACT_CLIENT_SECRET is missing");
    expect(seen).toEqual([]);
  });
});
