import { once } from "node:events";
import { EXIT, stringOption, type Command } from "#lib/cli/command";
import { CliError, UsageError } from "#lib/cli/errors";
import { localPort } from "#lib/local/defaults";
import { CONSOLE_HOST, startConsole } from "#lib/console/server";

export const consoleCommand: Command = {
  name: "console",
  summary: "serve the operator's console page on 127.0.0.1: overview, unsyncable records, dead letters, history",
  synopsis: "[--port N]",
  details: [
    `Serves the console on http://${CONSOLE_HOST}:PORT (loopback only) until Ctrl+C, over the same code as the other`,
    "commands: against the local stack by default, against a deployed stage with --stage NAME and the operator's AWS",
    "credentials (as status does; unsyncable records, links and searches also need the connector settings, as backfill).",
  ],
  optionHelp: [["--port N", "the port (default CONSOLE_PORT or 3003)"]],
  options: { port: { type: "string" } },
  positionals: { min: 0, max: 0 },
  interruptible: true,
  async run({ values, environment, signal }, io) {
    const portText = stringOption(values, "port");
    const port = portText === undefined ? localPort("console") : Number(portText);
    if (!/^\d+$/.test(portText ?? String(port)) || port < 1 || port > 65_535)
      throw new UsageError(`--port must be a port number (1–65535), got "${portText}"`);
    const target = await environment();
    const server = await startConsole({ environment: target, port, log: (line) => io.err(line) }).catch((error: unknown) => {
      if ((error as { code?: string }).code === "EADDRINUSE")
        throw new CliError(`port ${port} is in use (is \`npm start\` serving its console there?); pass --port N`);
      throw error;
    });
    io.out(`console for the ${target.name}: ${server.url}/  (Ctrl+C stops it)`);
    if (!signal.aborted) await once(signal, "abort");
    await server.close();
    return EXIT.ok;
  },
};
