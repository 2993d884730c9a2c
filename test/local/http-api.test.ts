import { request } from "node:http";
import type { APIGatewayProxyEventV2, Context } from "aws-lambda";
import { afterEach, describe, expect, it } from "vitest";
import { API_GATEWAY_MAX_BODY_BYTES, InvalidRouteKeyError, startHttpApi, type HttpApi, type HttpApiHandler } from "#lib/local/http-api";
import type { RuntimeLog } from "#lib/local/runtime-log";

describe("startHttpApi", () => {
  let api: HttpApi | undefined;
  const errors: string[] = [];
  const log: RuntimeLog = { error: (message) => errors.push(message) };

  afterEach(async () => {
    await api?.close();
    api = undefined;
    errors.length = 0;
  });

  const serve = async (routes: Record<string, HttpApiHandler>) => {
    api = await startHttpApi({ port: 0, host: "127.0.0.1", routes, log });
    return api;
  };

  /** Captures the event and context of each call, answering 200. */
  const recorder = () => {
    const calls: Array<{ event: APIGatewayProxyEventV2; context: Context }> = [];
    const handler: HttpApiHandler = async (event, context) => {
      calls.push({ event, context });
      return { statusCode: 200, body: "ok" };
    };
    return { calls, handler };
  };

  it("turns a request into a payload 2.0 event with the raw body kept byte for byte", async () => {
    const { calls, handler } = recorder();
    const { port } = await serve({ "POST /webhooks/exactonline": handler });
    // Key order, spacing and non-ASCII must survive: signatures are computed over these bytes.
    const body = '{ "Topic":"Accounts",\n  "Key": "ü-€-✓",  "n": 1.50 }\r\n';
    // Raw node:http so the repeated header really arrives as two header lines.
    const response = await send(port, {
      method: "POST",
      path: "/webhooks/exactonline?division=123&tag=a&tag=b",
      headers: {
        "Content-Type": "application/json; charset=utf-8",
        "X-Exact-Signature": "ABC123",
        "X-Multi": ["one", "two"],
        Cookie: "a=1; b=2",
        "User-Agent": "exact-webhooks/1.0",
      },
      body: Buffer.from(body),
    });
    expect(response).toEqual({ status: 200, body: "ok" });

    const { event, context } = calls[0]!;
    expect(event).toMatchObject({
      version: "2.0",
      routeKey: "POST /webhooks/exactonline",
      rawPath: "/webhooks/exactonline",
      rawQueryString: "division=123&tag=a&tag=b",
      queryStringParameters: { division: "123", tag: "a,b" },
      cookies: ["a=1", "b=2"],
      body,
      isBase64Encoded: false,
      requestContext: {
        http: { method: "POST", path: "/webhooks/exactonline", sourceIp: "127.0.0.1", userAgent: "exact-webhooks/1.0" },
        routeKey: "POST /webhooks/exactonline",
        stage: "$default",
      },
    });
    expect(event.headers).toMatchObject({
      "content-type": "application/json; charset=utf-8",
      "x-exact-signature": "ABC123",
      "x-multi": "one,two",
      "content-length": String(Buffer.byteLength(body)),
      "x-forwarded-for": "127.0.0.1",
      "x-forwarded-port": String(port),
      "x-forwarded-proto": "http",
    });
    expect(Object.keys(event.headers).every((name) => name === name.toLowerCase())).toBe(true);
    expect(event.headers.cookie).toBeUndefined();
    expect(event.requestContext.requestId).toMatch(/\S{8,}/);
    expect(Math.abs(event.requestContext.timeEpoch - Date.now())).toBeLessThan(5_000);
    expect(event.requestContext.time).toMatch(/^\d{2}\/[A-Z][a-z]{2}\/\d{4}:\d{2}:\d{2}:\d{2} \+0000$/);
    expect(context.functionName).toBe("post-webhooks-exactonline");
    expect(context.getRemainingTimeInMillis()).toBeGreaterThan(0);
  });

  it("base64-encodes a body whose content type is not text, as API Gateway does", async () => {
    const { calls, handler } = recorder();
    const { url } = await serve({ "POST /upload": handler });
    const bytes = Buffer.from([0, 159, 146, 150, 255]);
    await fetch(`${url}/upload`, { method: "POST", headers: { "content-type": "application/octet-stream" }, body: bytes });
    await fetch(`${url}/upload`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "a=1&b=%C3%BC",
    });

    expect(calls[0]!.event).toMatchObject({ body: bytes.toString("base64"), isBase64Encoded: true });
    expect(calls[1]!.event).toMatchObject({ body: Buffer.from("a=1&b=%C3%BC").toString("base64"), isBase64Encoded: true });
  });

  it("leaves body undefined and query parameters out for a bare GET", async () => {
    const { calls, handler } = recorder();
    const { url } = await serve({ "GET /health": handler });
    await fetch(`${url}/health`);
    const { event } = calls[0]!;
    expect(event.body).toBeUndefined();
    expect(event.isBase64Encoded).toBe(false);
    expect(event.rawQueryString).toBe("");
    expect(event.queryStringParameters).toBeUndefined();
  });

  it("writes the handler's structured response: status, headers, cookies, base64 bodies", async () => {
    const { url } = await serve({
      "GET /json": async () => ({
        statusCode: 202,
        headers: { "Content-Type": "application/json", "X-Count": 3 },
        body: '{"queued":true}',
      }),
      "GET /binary": async () => ({
        statusCode: 200,
        headers: { "content-type": "image/png" },
        body: Buffer.from([137, 80, 78, 71]).toString("base64"),
        isBase64Encoded: true,
      }),
      "GET /cookies": async () => ({ statusCode: 204, cookies: ["session=abc; HttpOnly", "theme=dark"] }),
    });

    const json = await fetch(`${url}/json`);
    expect(json.status).toBe(202);
    expect(json.headers.get("content-type")).toBe("application/json");
    expect(json.headers.get("x-count")).toBe("3");
    expect(await json.json()).toEqual({ queued: true });

    const binary = await fetch(`${url}/binary`);
    expect(Buffer.from(await binary.arrayBuffer())).toEqual(Buffer.from([137, 80, 78, 71]));

    const cookies = await fetch(`${url}/cookies`);
    expect(cookies.status).toBe(204);
    expect(cookies.headers.getSetCookie()).toEqual(["session=abc; HttpOnly", "theme=dark"]);
  });

  it("answers 200 application/json with the result itself when the handler returns no statusCode", async () => {
    const { url } = await serve({
      "GET /object": async () => ({ status: "up" }),
      "GET /string": async () => "plain words",
    });
    const object = await fetch(`${url}/object`);
    expect(object.status).toBe(200);
    expect(object.headers.get("content-type")).toBe("application/json");
    expect(await object.json()).toEqual({ status: "up" });
    expect(await (await fetch(`${url}/string`)).text()).toBe("plain words");
  });

  it("answers 404 {message: Not Found} for a route it does not have (method and path both count)", async () => {
    const { url } = await serve({ "POST /webhooks/crmoffice": async () => ({ statusCode: 200 }) });
    for (const [method, path] of [
      ["POST", "/webhooks/other"],
      ["GET", "/webhooks/crmoffice"],
    ] as const) {
      const response = await fetch(`${url}${path}`, { method });
      expect(response.status).toBe(404);
      expect(await response.json()).toEqual({ message: "Not Found" });
    }
  });

  it("answers 500 {message: Internal Server Error} and logs when the handler throws or answers nonsense", async () => {
    const { url } = await serve({
      "POST /boom": async () => {
        throw new Error("database on fire");
      },
      "POST /nonsense": async () => ({ statusCode: "teapot" }),
    });
    for (const path of ["/boom", "/nonsense"]) {
      const response = await fetch(`${url}${path}`, { method: "POST", body: "{}" });
      expect(response.status).toBe(500);
      expect(await response.json()).toEqual({ message: "Internal Server Error" });
    }
    expect(errors).toEqual([
      expect.stringContaining("POST /boom failed"),
      expect.stringContaining("POST /nonsense returned an invalid response"),
    ]);
  });

  it("answers 413 without calling the handler when the body is over API Gateway's 10 MB", async () => {
    const { calls, handler } = recorder();
    const { port } = await serve({ "POST /webhooks/crmoffice": handler });
    const upload = (size: number, chunked = false) =>
      send(port, {
        method: "POST",
        path: "/webhooks/crmoffice",
        headers: { "content-type": "text/plain" },
        body: Buffer.alloc(size, "a"),
        chunked,
      });
    expect((await upload(API_GATEWAY_MAX_BODY_BYTES)).status).toBe(200);

    const declared = await upload(API_GATEWAY_MAX_BODY_BYTES + 1);
    expect(declared).toEqual({ status: 413, body: '{"message":"Request Entity Too Large"}' });
    const chunked = await upload(API_GATEWAY_MAX_BODY_BYTES + 1, true);
    expect(chunked).toEqual({ status: 413, body: '{"message":"Request Entity Too Large"}' });
    expect(calls).toHaveLength(1);
  });

  it("refuses route keys that are not METHOD /path", async () => {
    await expect(startHttpApi({ port: 0, routes: { "/no-method": async () => ({}) } })).rejects.toBeInstanceOf(InvalidRouteKeyError);
  });
});

interface RawRequest {
  method: string;
  path: string;
  headers?: Record<string, string | string[]>;
  body: Buffer;
  /** Send without content-length (transfer-encoding: chunked). */
  chunked?: boolean;
}

/** A raw node:http request: repeated headers stay separate lines, and an early answer is still read. */
function send(port: number, { method, path, headers = {}, body, chunked = false }: RawRequest): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: "127.0.0.1",
        port,
        path,
        method,
        headers: { ...headers, ...(chunked ? { "transfer-encoding": "chunked" } : { "content-length": body.length }) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }));
      },
    );
    // The server may close while we are still sending; the answer has come by then.
    req.on("error", (error: NodeJS.ErrnoException) => (error.code === "EPIPE" || error.code === "ECONNRESET" ? undefined : reject(error)));
    for (let offset = 0; offset < body.length; offset += 1024 * 1024) req.write(body.subarray(offset, offset + 1024 * 1024));
    req.end();
  });
}
