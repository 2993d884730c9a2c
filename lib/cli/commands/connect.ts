import { documentClient } from "#lib/aws/dynamodb";
import type { Command } from "#lib/cli/command";
import { stringOption } from "#lib/cli/command";
import { UsageError } from "#lib/cli/errors";
import { ConnectTickets, connectLink, DEFAULT_TICKET_MINUTES } from "#lib/connect/tickets";

/** The longest a link may be asked to live: it replaces the deployment's Exact tokens. */
const MAX_TICKET_MINUTES = 24 * 60;

export const connectCommand: Command = {
  name: "connect",
  summary: "print a one-time link that connects (or reconnects) Exact Online",
  synopsis: "exactonline [--minutes N] [--json]",
  details: [
    "Connecting replaces the deployment's Exact tokens, so only a link made here can start it. Open the link",
    "in a browser, sign in to Exact as a user of the configured division and approve; the tokens are kept only",
    "if they reach that division. The link works once and expires; the browser that opens it must finish it.",
  ],
  optionHelp: [
    ["--minutes N", `how long the link works (default ${DEFAULT_TICKET_MINUTES}, at most ${MAX_TICKET_MINUTES})`],
    [
      "--api-url URL",
      "the webhook API's base URL (local: http://127.0.0.1:<WEBHOOK_API_PORT>; with --stage, the stack's HttpApiUrl output)",
    ],
    ["--json", "one line: a JSON object { url, expiresAt }"],
  ],
  options: { minutes: { type: "string" }, "api-url": { type: "string" }, json: { type: "boolean" } },
  positionals: { min: 1, max: 1, names: "the system to connect: exactonline" },
  async run({ values, positionals, environment }, io) {
    if (positionals[0] !== "exactonline")
      throw new UsageError(`cannot connect "${positionals[0] ?? ""}": only exactonline is connected this way`);
    const minutesText = stringOption(values, "minutes") ?? String(DEFAULT_TICKET_MINUTES);
    const minutes = Number(minutesText);
    if (!Number.isInteger(minutes) || minutes < 1 || minutes > MAX_TICKET_MINUTES) {
      throw new UsageError(`--minutes must be a whole number from 1 to ${MAX_TICKET_MINUTES}, got "${minutesText}"`);
    }
    const { tableName, apiUrl } = await environment();
    if (!apiUrl) throw new UsageError("--api-url URL is required: the stack has no HttpApiUrl output");
    const { ticket, expiresAt } = await new ConnectTickets(documentClient(), tableName).issueTicket(minutes);
    const url = connectLink(apiUrl, ticket);
    if (values.json === true) {
      io.out(JSON.stringify({ url, expiresAt }));
      return 0;
    }
    io.out(`Open this link in a browser within ${minutes} minutes (it works once) and sign in to Exact Online:`);
    io.out(`  ${url}`);
    io.out(`It expires at ${expiresAt}.`);
    return 0;
  },
};
