import { spawn } from "node:child_process";
import type { ChildProcessWithoutNullStreams } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { apiClient, jsonOf } from "./harness";

const REPO_ROOT = fileURLToPath(new URL("../../../", import.meta.url));

/** `npm run sandbox` without npm in between, so signals reach the CLI itself. */
function startCli(args: string[], env: Record<string, string>): ChildProcessWithoutNullStreams {
  return spawn(process.execPath, ["--import", "tsx", "lib/sandbox/cli.ts", ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env },
  });
}

function outputUntil(child: ChildProcessWithoutNullStreams, marker: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => {
      output += chunk.toString("utf8");
      if (output.includes(marker)) resolve(output);
    });
    child.once("exit", (code) => reject(new Error(`exited (${code}) before "${marker}": ${output}`)));
  });
}

describe("npm run sandbox", () => {
  it("starts only CRMOffice with the demo seed, prints its settings, and stops on SIGTERM", async () => {
    const child = startCli(["--only", "crmoffice"], { CRMOFFICE_SANDBOX_PORT: "0", SANDBOX_SEED: "demo" });
    try {
      const output = await outputUntil(child, "Press Ctrl+C");
      expect(output).not.toContain("EXACT_BASE_URL");
      const settings = Object.fromEntries([...output.matchAll(/^ {2}(\w+)=(.*)$/gm)].map((match) => [match[1], match[2]]));
      expect(Object.keys(settings)).toEqual([
        "CRMOFFICE_BASE_URL",
        "CRMOFFICE_CLIENT_ID",
        "CRMOFFICE_CLIENT_SECRET",
        "CRMOFFICE_WEBHOOK_SECRET",
      ]);
      const baseUrl = settings.CRMOFFICE_BASE_URL ?? "";
      expect(baseUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);

      const token = await jsonOf(
        await fetch(`${baseUrl}/connect/token`, {
          method: "POST",
          headers: { "Content-Type": "application/x-www-form-urlencoded" },
          body: new URLSearchParams({
            grant_type: "client_credentials",
            client_id: settings.CRMOFFICE_CLIENT_ID ?? "",
            client_secret: settings.CRMOFFICE_CLIENT_SECRET ?? "",
          }),
        }),
      );
      const companies = await apiClient(baseUrl, token.access_token)("GET", "/companies");
      expect(companies.body.totalCount).toBe(2);

      const exited = once(child, "exit");
      child.kill("SIGTERM");
      expect(await exited).toEqual([0, null]);
      await expect(fetch(`${baseUrl}/companies`)).rejects.toThrow();
    } finally {
      if (child.exitCode === null) child.kill("SIGKILL");
    }
  });

  it("refuses an unknown --only with the usage and exit code 2", async () => {
    const child = startCli(["--only", "salesforce"], {});
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
    const [code] = await once(child, "exit");
    expect(code).toBe(2);
    expect(stderr).toContain("usage: npm run sandbox");
  });
});
