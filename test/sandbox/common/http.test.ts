import { request } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { createRouter, HttpError, readBody, sendEmpty, sendJson, startHttpServer } from "#lib/sandbox/common/http";
import type { RunningServer } from "#lib/sandbox/common/http";

let server: RunningServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe("startHttpServer", () => {
  it("listens on a random port and close() also ends keep-alive connections", async () => {
    server = await startHttpServer((_req, res) => sendJson(res, 200, { ok: true }), { port: 0, host: "127.0.0.1" });
    expect(server.port).toBeGreaterThan(0);
    expect(server.url).toBe(`http://127.0.0.1:${server.port}`);
    const port = server.port;
    // A raw keep-alive request whose socket stays open after the answer (the server would
    // keep it for 5 s); wrapped in an object so awaiting the answer does not await the close.
    const { socketClosed } = await new Promise<{ socketClosed: Promise<void> }>((resolve, reject) => {
      const req = request({ host: "127.0.0.1", port, path: "/", headers: { Connection: "keep-alive" } }, (res) => {
        res.resume();
        res.on("end", () => resolve({ socketClosed: new Promise<void>((done) => req.socket?.once("close", () => done())) }));
      });
      req.on("error", reject);
      req.end();
    });
    const started = Date.now();
    await server.close();
    server = undefined;
    await socketClosed;
    expect(Date.now() - started).toBeLessThan(1000);
    await expect(fetch(`http://127.0.0.1:${port}/`)).rejects.toThrow();
  });

  it("close() does not wait for a request still being handled", async () => {
    server = await startHttpServer(() => new Promise<void>(() => {}), { port: 0, host: "127.0.0.1" });
    let arrived: () => void = () => {};
    const requestArrived = new Promise<void>((resolve) => (arrived = resolve));
    const pending = new Promise<number>((resolve, reject) => {
      const req = request({ host: "127.0.0.1", port: server?.port, path: "/hang" }, (res) => resolve(res.statusCode ?? 0));
      req.on("error", reject);
      req.on("socket", (socket) => socket.once("connect", () => setTimeout(arrived, 20)));
      req.end();
    });
    await requestArrived;
    const started = Date.now();
    await server.close();
    server = undefined;
    expect(Date.now() - started).toBeLessThan(1000);
    await expect(pending).rejects.toThrow();
  });

  it("answers 500 when a handler throws", async () => {
    server = await startHttpServer(
      () => {
        throw new Error("boom");
      },
      { port: 0, host: "127.0.0.1" },
    );
    const original = console.error;
    console.error = () => {};
    try {
      expect((await fetch(server.url)).status).toBe(500);
    } finally {
      console.error = original;
    }
  });
});

describe("createRouter", () => {
  it("matches patterns with decoded parameters, also inside a segment", async () => {
    const router = createRouter()
      .add("GET", "/api/v1/:division/crm/Contacts", (_req, res, { params, url }) =>
        sendJson(res, 200, { params, top: url.searchParams.get("$top") }),
      )
      .add("GET", "/api/v1/:division/crm/Contacts(guid':id')", (_req, res, { params }) => sendJson(res, 200, { params }));
    server = await startHttpServer(router.handle, { port: 0, host: "127.0.0.1" });
    const list = await fetch(`${server.url}/api/v1/42/crm/Contacts?$top=5`);
    expect(await list.json()).toEqual({ params: { division: "42" }, top: "5" });
    const single = await fetch(`${server.url}/api/v1/42/crm/Contacts(guid'abc-1')`);
    expect(await single.json()).toEqual({ params: { division: "42", id: "abc-1" } });
    const encoded = await fetch(`${server.url}/api/v1/4%32/crm/Contacts%28guid%27abc%20d%27%29`);
    expect(await encoded.json()).toEqual({ params: { division: "42", id: "abc d" } });
  });

  it("is case-sensitive unless asked, and hands unmatched requests to the 404 hook with the allowed methods", async () => {
    const seen: string[][] = [];
    const router = createRouter({ caseInsensitive: true })
      .add("GET", "/things", (_req, res) => sendEmpty(res, 204))
      .onNotFound((_req, res, { allowedMethods }) => {
        seen.push(allowedMethods);
        sendJson(res, allowedMethods.length > 0 ? 405 : 404, { custom: true });
      });
    server = await startHttpServer(router.handle, { port: 0, host: "127.0.0.1" });
    expect((await fetch(`${server.url}/THINGS`)).status).toBe(204);
    expect((await fetch(`${server.url}/things`, { method: "POST" })).status).toBe(405);
    const missing = await fetch(`${server.url}/other`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ custom: true });
    expect(seen).toEqual([["GET"], []]);

    const strict = createRouter().add("GET", "/things", (_req, res) => sendEmpty(res, 204));
    await server.close();
    server = await startHttpServer(strict.handle, { port: 0, host: "127.0.0.1" });
    expect((await fetch(`${server.url}/THINGS`)).status).toBe(404);
  });

  it("builds the request URL with https when a TLS front says X-Forwarded-Proto: https, and http otherwise", async () => {
    const router = createRouter().add("GET", "/where", (_req, res, { url }) => sendJson(res, 200, { origin: url.origin }));
    server = await startHttpServer(router.handle, { port: 0, host: "127.0.0.1" });
    const origin = async (headers: Record<string, string>) =>
      ((await (await fetch(`${server?.url}/where`, { headers })).json()) as { origin: string }).origin;
    expect(await origin({ "X-Forwarded-Proto": "https" })).toBe(`https://127.0.0.1:${server.port}`);
    expect(await origin({ "X-Forwarded-Proto": "ftp" })).toBe(`http://127.0.0.1:${server.port}`);
    expect(await origin({})).toBe(`http://127.0.0.1:${server.port}`);
  });

  it("answers thrown HttpErrors through the error hook", async () => {
    const router = createRouter()
      .add("GET", "/teapot", () => {
        throw new HttpError(418, "short and stout", { "X-Kind": "teapot" });
      })
      .onError((_req, res, error) => {
        if (!(error instanceof HttpError)) throw error;
        sendJson(res, error.status, { message: error.message }, error.headers);
      });
    server = await startHttpServer(router.handle, { port: 0, host: "127.0.0.1" });
    const response = await fetch(`${server.url}/teapot`);
    expect(response.status).toBe(418);
    expect(response.headers.get("X-Kind")).toBe("teapot");
    expect(await response.json()).toEqual({ message: "short and stout" });
  });
});

describe("readBody", () => {
  it("returns the body and refuses one over the limit with 413", async () => {
    const router = createRouter().add("POST", "/echo", async (req, res) => {
      const body = await readBody(req, 10);
      sendJson(res, 200, { text: body.toString("utf8") });
    });
    server = await startHttpServer(router.handle, { port: 0, host: "127.0.0.1" });
    const small = await fetch(`${server.url}/echo`, { method: "POST", body: "0123456789" });
    expect(await small.json()).toEqual({ text: "0123456789" });
    const large = await fetch(`${server.url}/echo`, { method: "POST", body: "x".repeat(100_000) });
    expect(large.status).toBe(413);
  });
});
