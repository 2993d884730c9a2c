import type { Command } from "#lib/cli/command";
import { connectorsFromEnvironment } from "#lib/config/connectors";
import { loadSecrets } from "#lib/config/secrets";
import { UsageError } from "#lib/cli/errors";
import { subscribeWebhooks } from "#lib/sync/subscriptions";

export const subscribeCommand: Command = {
  name: "subscribe",
  summary: "register the webhook subscriptions in both systems (idempotent)",
  synopsis: "[--api-url URL] [--json]",
  details: [
    "Subscribes Exact Online (Contacts, Items) and CRMOffice (contacts, companies) to the webhook API,",
    "through their APIs; subscriptions already pointing there are kept.",
  ],
  optionHelp: [
    [
      "--api-url URL",
      "the webhook API's base URL (local: http://127.0.0.1:<WEBHOOK_API_PORT>; with --stage, the stack's HttpApiUrl output)",
    ],
    ["--json", "one line: a JSON object { apiUrl, created, existing }"],
  ],
  options: { "api-url": { type: "string" }, json: { type: "boolean" } },
  positionals: { min: 0, max: 0 },
  async run({ values, environment }, io) {
    const { apiUrl } = await environment();
    if (!apiUrl) throw new UsageError("--api-url URL is required: the stack has no HttpApiUrl output");
    const connectors = await connectorsFromEnvironment();
    const { CRMOFFICE_WEBHOOK_SECRET } = await loadSecrets(["CRMOFFICE_WEBHOOK_SECRET"]);
    const result = await subscribeWebhooks(connectors, apiUrl, CRMOFFICE_WEBHOOK_SECRET);
    if (values.json === true) {
      io.out(JSON.stringify({ apiUrl, ...result }));
      return 0;
    }
    for (const name of result.created) io.out(`subscribed  ${name}`);
    for (const name of result.existing) io.out(`existing    ${name}`);
    io.out(`${result.created.length} created, ${result.existing.length} already in place`);
    return 0;
  },
};
