import { execFile } from "node:child_process";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { decisionCells } from "#lib/cli/commands/history";
import { stackName, stageResources, stageSettings, ssmPrefix } from "#lib/cli/environment";
import { requirePublicHttps } from "#lib/cli/stage-settings";
import { describeError, UsageError } from "#lib/cli/errors";
import { age, table } from "#lib/cli/format";
import { memoryIo } from "#lib/cli/io";
import { runSyncctl } from "#lib/cli/main";
import { BackfillProgressView } from "#lib/cli/progress";
import { parseDeadLetter, flowsOfEvent } from "#lib/sync/replay";

/* The CLI's pure parts (no stack): stage outputs, argument handling, formatting; and the bin itself. */

const outputs = [
  { OutputKey: "SyncTableName", OutputValue: "exact-crmoffice-sync-prod-SyncTable-1ABC" },
  { OutputKey: "EventsQueueUrl", OutputValue: "https://sqs.eu-west-1.amazonaws.com/123456789012/exact-crmoffice-sync-prod-EventsQueue-X" },
  {
    OutputKey: "DeadLetterQueueUrl",
    OutputValue: "https://sqs.eu-west-1.amazonaws.com/123456789012/exact-crmoffice-sync-prod-EventsDeadLetterQueue-Y",
  },
  { OutputKey: "HttpApiUrl", OutputValue: "https://abc123.execute-api.eu-west-1.amazonaws.com/" },
  { OutputKey: "ServerlessDeploymentBucketName", OutputValue: "bucket" },
];

describe("a deployed stage", () => {
  it("names its stack and SSM prefix after the stage", () => {
    expect(stackName("prod")).toBe("exact-crmoffice-sync-prod");
    expect(ssmPrefix("prod")).toBe("/exact-crmoffice-sync/prod");
  });

  it("maps the stack's outputs to the table, the queues and the webhook API", () => {
    expect(stageResources("prod", outputs)).toEqual({
      tableName: "exact-crmoffice-sync-prod-SyncTable-1ABC",
      queueUrl: "https://sqs.eu-west-1.amazonaws.com/123456789012/exact-crmoffice-sync-prod-EventsQueue-X",
      deadLetterQueueUrl: "https://sqs.eu-west-1.amazonaws.com/123456789012/exact-crmoffice-sync-prod-EventsDeadLetterQueue-Y",
      apiUrl: "https://abc123.execute-api.eu-west-1.amazonaws.com",
    });
    expect(
      stageResources(
        "prod",
        outputs.filter((output) => output.OutputKey !== "HttpApiUrl"),
      ),
    ).not.toHaveProperty("apiUrl");
  });

  it("names the outputs a stack lacks", () => {
    expect(() => stageResources("dev", outputs.slice(3))).toThrow(
      "stack exact-crmoffice-sync-dev has no output SyncTableName, EventsQueueUrl, DeadLetterQueueUrl",
    );
  });

  /** The deployed worker's environment, as Lambda's GetFunctionConfiguration gives it. */
  const deployed = {
    EXACT_BASE_URL: "https://start.exactonline.de",
    EXACT_DIVISION: "1234567",
    EXACT_CLIENT_ID: "app-id",
    EXACT_REDIRECT_URI: "https://sync.example.com/oauth/exactonline/callback",
    CRMOFFICE_BASE_URL: "https://api.crmoffice.no",
    CRMOFFICE_CLIENT_ID: "crm-id",
    TOKEN_KMS_KEY_ID: "arn:aws:kms:eu-west-1:123456789012:key/abc",
    POWERTOOLS_LOG_LEVEL: "INFO",
    AWS_LAMBDA_FUNCTION_NAME: "exact-crmoffice-sync-prod-worker",
  };

  it("runs with the deployed worker's own settings, the stack's resources and secrets from SSM, never the operator's shell", () => {
    const resources = stageResources("prod", outputs);
    process.env.EXACT_DIVISION = "9999999";
    expect(stageSettings("prod", resources, deployed)).toEqual({
      TABLE_NAME: resources.tableName,
      EVENTS_QUEUE_URL: resources.queueUrl,
      DEAD_LETTER_QUEUE_URL: resources.deadLetterQueueUrl,
      SSM_PARAMETER_PREFIX: "/exact-crmoffice-sync/prod",
      EXACT_BASE_URL: "https://start.exactonline.de",
      EXACT_DIVISION: "1234567",
      EXACT_CLIENT_ID: "app-id",
      EXACT_REDIRECT_URI: "https://sync.example.com/oauth/exactonline/callback",
      CRMOFFICE_BASE_URL: "https://api.crmoffice.no",
      CRMOFFICE_CLIENT_ID: "crm-id",
      TOKEN_KMS_KEY_ID: "arn:aws:kms:eu-west-1:123456789012:key/abc",
    });
    delete process.env.EXACT_DIVISION;
  });

  it("refuses a stage whose systems are reached over plain HTTP or on this machine", () => {
    const resources = stageResources("prod", outputs);
    expect(() => stageSettings("prod", resources, { ...deployed, EXACT_BASE_URL: "http://start.exactonline.nl" })).toThrow(
      /EXACT_BASE_URL must be an https URL/,
    );
    expect(() => stageSettings("prod", resources, { ...deployed, CRMOFFICE_BASE_URL: "https://127.0.0.1:3002" })).toThrow(
      /points at this machine/,
    );
    expect(() => stageSettings("prod", resources, { ...deployed, EXACT_REDIRECT_URI: "https://localhost/cb" })).toThrow(
      /points at this machine/,
    );
    expect(() => requirePublicHttps("http://api.example.com", "--api-url")).toThrow(/--api-url must be an https URL/);
    expect(() => requirePublicHttps("https://[::1]:3000", "--api-url")).toThrow(/points at this machine/);
    expect(requirePublicHttps("https://abc.execute-api.eu-west-1.amazonaws.com", "--api-url")).toBe(
      "https://abc.execute-api.eu-west-1.amazonaws.com",
    );
  });

  it("refuses a plain-HTTP or loopback --api-url for a stage before calling AWS", async () => {
    for (const apiUrl of ["http://api.example.com", "https://127.0.0.1:3000"]) {
      const io = memoryIo();
      expect(await runSyncctl(["subscribe", "--stage", "prod", "--api-url", apiUrl], { io })).toBe(1);
      expect(io.stderr[0]).toMatch(/--api-url (must be an https URL|points at this machine)/);
    }
  });

  it("refuses a stage name that cannot be a stack name before calling AWS", async () => {
    const io = memoryIo();
    expect(await runSyncctl(["status", "--stage", "prod/eu"], { io })).toBe(2);
    expect(io.stderr).toEqual(['syncctl: invalid stage name "prod/eu" (letters, digits and hyphens) (see syncctl status --help)']);
  });
});

describe("the command line", () => {
  const run = async (argv: string[]) => {
    const io = memoryIo();
    const code = await runSyncctl(argv, { io, environment: () => Promise.reject(new Error("no environment in these tests")) });
    return { code, stdout: io.stdout, stderr: io.stderr };
  };

  it("prints help on --help (exit 0), and to stderr with exit 2 when no command is given", async () => {
    const help = await run(["--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout[2]).toBe("Usage: syncctl <command> [options] [--stage NAME]");
    for (const command of ["status", "history", "unsyncable", "retry", "link", "subscribe", "backfill", "replay", "console"])
      expect(help.stdout.some((line) => line.startsWith(`  ${command} `))).toBe(true);
    const none = await run([]);
    expect(none.code).toBe(2);
    expect(none.stdout).toEqual([]);
    expect(none.stderr.join("\n")).toContain("Usage: syncctl <command>");
  });

  it("has --help per command, also as `help <command>` and before the command", async () => {
    for (const argv of [
      ["replay", "--help"],
      ["help", "replay"],
      ["-h", "replay"],
    ]) {
      const help = await run(argv);
      expect(help.code, argv.join(" ")).toBe(0);
      expect(help.stdout[0]).toBe("Usage: syncctl replay [--dry-run] [--flow NAME] [--limit N] [--message ID]… [--json] [--stage NAME]");
    }
    expect((await run(["status", "-h"])).stdout[0]).toBe("Usage: syncctl status [--json] [--stage NAME]");
    expect((await run(["history", "--help"])).stdout[0]).toBe(
      "Usage: syncctl history <exactonline|crmoffice> <type> <id> | --email ADDRESS | --code CODE [--json] [--stage NAME]",
    );
  });

  it("answers wrong usage with one line on stderr and exit 2", async () => {
    const cases: [string[], string][] = [
      [
        ["frobnicate"],
        'syncctl: unknown command "frobnicate" (commands: status, history, unsyncable, retry, link, subscribe, backfill, replay, connect, console) (see syncctl --help)',
      ],
      [["status", "--verbose"], "syncctl: Unknown option '--verbose' (see syncctl status --help)"],
      [["status", "extra"], 'syncctl: status takes no arguments, got "extra" (see syncctl status --help)'],
      [
        ["history", "exactonline", "contact"],
        "syncctl: history needs <exactonline|crmoffice> <type> <id>, --email ADDRESS or --code CODE (see syncctl history --help)",
      ],
      [
        ["history", "--email", "a@example.com", "--code", "X"],
        "syncctl: history takes a record, --email or --code: one of them (see syncctl history --help)",
      ],
      [["link", "exactonline", "contact", "1", "--to", "2"], "syncctl: link needs --flow NAME (see syncctl link --help)"],
      [["console", "--port", "http"], 'syncctl: --port must be a port number (1–65535), got "http" (see syncctl console --help)'],
      [["replay", "--limit"], "syncctl: Option '--limit <value>' argument missing (see syncctl replay --help)"],
      [["backfill", "--stage"], "syncctl: Option '--stage <value>' argument missing (see syncctl backfill --help)"],
    ];
    for (const [argv, message] of cases) {
      const result = await run(argv);
      expect(result.code, argv.join(" ")).toBe(2);
      expect(result.stderr).toEqual([message]);
      expect(result.stdout).toEqual([]);
    }
  });

  it("reports a failure as one line on stderr with exit 1", async () => {
    const result = await run(["status"]);
    expect(result).toEqual({ code: 1, stdout: [], stderr: ["syncctl: no environment in these tests"] });
  });

  it("keeps the kind of an error when its message does not say it", () => {
    class ThrottlingException extends Error {
      override name = "ThrottlingException";
    }
    expect(describeError(new ThrottlingException("Rate exceeded\nat line 2"))).toBe("ThrottlingException: Rate exceeded");
    expect(describeError(new UsageError("bad"))).toBe("bad");
    expect(describeError("plain")).toBe("plain");
  });
});

describe("formatting", () => {
  it("aligns tables, numbers to the right", () => {
    expect(
      table(
        [
          ["flow", "links"],
          ["employees", "2"],
          ["items", "13"],
        ],
        ["left", "right"],
      ),
    ).toEqual(["flow       links", "employees      2", "items         13"]);
  });

  it("writes short ages", () => {
    expect([age(5), age(125), age(3 * 3600 + 5 * 60), age(2 * 86_400 + 4 * 3600)]).toEqual(["5s", "2m", "3h 5m", "2d 4h"]);
  });

  it("prints plain progress lines at most every interval when not on a terminal, and always a source's last", () => {
    let now = 0;
    const written: string[] = [];
    const view = new BackfillProgressView(
      { isTTY: false, write: (text) => void written.push(text) },
      [{ side: "exactonline", type: "contact" }],
      () => now,
      2_000,
    );
    view.start();
    const progress = {
      side: "exactonline" as const,
      type: "contact",
      pages: 1,
      records: 1000,
      decisions: { created: 10, echo: 990 },
      done: false,
    };
    now = 1_000;
    view.update(progress);
    now = 1_500;
    view.update({ ...progress, pages: 2, records: 2000 });
    now = 4_000;
    view.update({ ...progress, pages: 3, records: 2500, done: true });
    expect(written).toEqual([
      "backfill exactonline contact · 1 page · 1,000 records · 1,000/s · created 10, echo 990\n",
      "done exactonline contact · 3 pages · 2,500 records · 625/s · created 10, echo 990\n",
    ]);
  });
});

describe("a history line", () => {
  it("shows the partner, the fields written per side, and each conflict with both values and the winner", () => {
    const cells = decisionCells({
      at: "2026-01-02T10:00:00.000Z",
      kind: "updated",
      flow: "contacts",
      record: { side: "exactonline", type: "contact", id: "e-1" },
      partner: { side: "crmoffice", type: "contact", id: "c-1" },
      fields: { crmoffice: ["lastName", "phone"], exactonline: [] },
      conflicts: [
        { field: "lastName", values: { exactonline: "Berg-Olsen", crmoffice: "Berg" }, winner: "exactonline", reason: "modified later" },
      ],
      eventId: "ev-1",
      correlationId: "cid-1",
    });
    expect(cells).toEqual([
      "2026-01-02T10:00:00.000Z",
      "contacts",
      "updated",
      "crmoffice contact c-1",
      "crmoffice: lastName, phone",
      'lastName: exactonline "Berg-Olsen" vs crmoffice "Berg" → exactonline (modified later)',
      "-",
    ]);
  });
});

describe("dead letters", () => {
  it("belong to the flows of their system and record type", () => {
    expect(flowsOfEvent({ system: "crmoffice", recordType: "contact" })).toEqual(["employees", "contacts"]);
    expect(flowsOfEvent({ system: "exactonline", recordType: "item" })).toEqual(["items"]);
  });

  it("are malformed when not JSON or not a change event", () => {
    expect(parseDeadLetter("{")).toEqual({ reason: "body is not JSON" });
    expect(parseDeadLetter('{"system":"exactonline","recordType":"invoice"}')).toMatchObject({
      reason: expect.stringMatching(/^not a change event \(invalid: .*recordType/),
    });
  });
});

describe("bin/syncctl.mjs", () => {
  const bin = fileURLToPath(new URL("../../bin/syncctl.mjs", import.meta.url));
  const exec = promisify(execFile);

  it("runs the TypeScript entry through tsx from any folder: --help exits 0", async () => {
    const { stdout } = await exec(process.execPath, [bin, "--help"], { cwd: "/", timeout: 30_000 });
    expect(stdout).toContain("Usage: syncctl <command> [options] [--stage NAME]");
  }, 40_000);

  it("exits 1 with one line when the local stack is not running, and 2 on wrong usage", async () => {
    // A port nobody listens on: take a free one and let it go.
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as { port: number };
    await new Promise((resolve) => server.close(resolve));

    const failure = await exec(process.execPath, [bin, "status"], {
      env: { ...process.env, SQS_PORT: String(port) },
      timeout: 30_000,
    }).catch((error: { code: number; stdout: string; stderr: string }) => error);
    expect(failure).toMatchObject({ code: 1, stdout: "" });
    expect(failure.stderr).toBe(
      `syncctl: the local stack is not running (no SQS answers at http://127.0.0.1:${port}): start it with \`npm start\`, or pass --stage NAME\n`,
    );

    const usage = await exec(process.execPath, [bin, "replay", "--limit", "-3"], { timeout: 30_000 }).catch(
      (error: { code: number; stderr: string }) => error,
    );
    expect(usage).toMatchObject({ code: 2 });
  }, 60_000);
});
