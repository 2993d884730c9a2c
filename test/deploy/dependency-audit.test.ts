/**
 * CI's dependency audit (.ci/audit.mjs) run as CI runs it, the real npm client against a
 * registry whose advisory endpoint (`POST /-/npm/v1/security/advisories/bulk`) answers what each
 * case needs: a known advisory in a production dependency fails CI, one in a dev tool or below
 * "high" does not, and a registry that does not answer is reported as not checked.
 */
import { execFile } from "node:child_process";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { promisify } from "node:util";
import { gunzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

interface Advisory {
  id: number;
  url: string;
  title: string;
  severity: "low" | "moderate" | "high" | "critical";
  vulnerable_versions: string;
  cwe: string[];
  cvss: { score: number; vectorString: string | null };
}

/** What the advisory endpoint answers next: advisories by package name, or an HTTP status. */
let answer: { advisories: Record<string, Advisory[]> } | { status: number } = { advisories: {} };
/** The package names npm asked about. */
let asked: string[] = [];
let registry: Server;
let registryUrl: string;

beforeAll(async () => {
  registry = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      if (request.method === "POST" && request.url === "/-/npm/v1/security/advisories/bulk") {
        const body = Buffer.concat(chunks);
        const json = request.headers["content-encoding"] === "gzip" ? gunzipSync(body) : body;
        asked = Object.keys(JSON.parse(json.toString("utf8")) as object);
        if ("status" in answer) {
          response.writeHead(answer.status).end();
        } else {
          response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(answer.advisories));
        }
        return;
      }
      // Packuments, which npm reads to say whether a fix exists: not needed for the verdict.
      response.writeHead(404, { "content-type": "application/json" }).end("{}");
    });
  });
  await new Promise<void>((resolve) => registry.listen(0, "127.0.0.1", resolve));
  registryUrl = `http://127.0.0.1:${(registry.address() as AddressInfo).port}/`;
});

afterAll(() => new Promise<void>((resolve) => registry.close(() => resolve())));

const advisory = (title: string, severity: Advisory["severity"]): Advisory => ({
  id: 1_000_000 + title.length,
  url: `https://example.invalid/advisories/${encodeURIComponent(title)}`,
  title,
  severity,
  vulnerable_versions: "<100.0.0",
  cwe: [],
  cvss: { score: 7.5, vectorString: null },
});

async function audit(env: Record<string, string> = {}, registryAddress = registryUrl) {
  try {
    const { stdout } = await promisify(execFile)("node", [".ci/audit.mjs"], {
      env: { ...process.env, npm_config_registry: registryAddress, CI_AUDIT_REQUIRED: "", ...env },
      timeout: 60_000,
    });
    return { exitCode: 0, output: stdout };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string };
    return { exitCode: failed.code ?? -1, output: failed.stdout ?? "" };
  }
}

describe("CI's dependency audit", () => {
  it("fails on a high advisory in a production dependency, naming the package and the advisory", async () => {
    answer = { advisories: { zod: [advisory("zod parses too much", "high")] } };
    const result = await audit();
    expect(result.exitCode).toBe(1);
    expect(result.output).toContain("high zod: zod parses too much");
  });

  it("fails on a critical advisory in a package that only a production dependency pulls in", async () => {
    answer = { advisories: { "@smithy/core": [advisory("smithy core leaks", "critical")] } };
    const result = await audit();
    expect(result.exitCode).toBe(1);
    expect(result.output).toContain("critical @smithy/core: smithy core leaks");
  });

  it("asks only about production dependencies, so a dev tool's advisory does not fail CI", async () => {
    answer = { advisories: { vitest: [advisory("vitest is unsafe", "critical")] } };
    const result = await audit();
    expect(asked).toContain("zod");
    expect(asked).toContain("@aws-sdk/client-dynamodb");
    expect(asked).not.toContain("vitest");
    expect(asked).not.toContain("osls");
    expect(result).toEqual({
      exitCode: 0,
      output: expect.stringMatching(/audit: 0 of \d+ production dependencies with a high or critical advisory/),
    });
  });

  it("lists moderate advisories without failing", async () => {
    answer = { advisories: { zod: [advisory("zod is slow", "moderate")] } };
    const result = await audit();
    expect(result.exitCode).toBe(0);
    expect(result.output).toContain("below the bar: 1 moderate");
  });

  it("reports a registry that refuses the advisory request as not checked, and fails on it when required", async () => {
    answer = { status: 405 };
    const result = await audit();
    expect(result.exitCode).toBe(75);
    expect(result.output).toContain("not checked, the registry's advisory endpoint did not answer: 405");
    expect((await audit({ CI_AUDIT_REQUIRED: "1" })).exitCode).toBe(1);
  });

  it("reports a registry that cannot be reached as not checked", async () => {
    const unreachable = createServer();
    await new Promise<void>((resolve) => unreachable.listen(0, "127.0.0.1", resolve));
    const port = (unreachable.address() as AddressInfo).port;
    await new Promise<void>((resolve) => unreachable.close(() => resolve()));
    const result = await audit({}, `http://127.0.0.1:${port}/`);
    expect(result.exitCode).toBe(75);
    expect(result.output).toContain("ECONNREFUSED");
  });
});
