import { parseArgs } from "node:util";
import { EXIT, stringOption, type Command, type OptionValues } from "#lib/cli/command";
import { backfillCommand } from "#lib/cli/commands/backfill";
import { connectCommand } from "#lib/cli/commands/connect";
import { consoleCommand } from "#lib/cli/commands/console";
import { historyCommand } from "#lib/cli/commands/history";
import { replayCommand } from "#lib/cli/commands/replay";
import { linkCommand, retryCommand } from "#lib/cli/commands/resolve";
import { statusCommand } from "#lib/cli/commands/status";
import { subscribeCommand } from "#lib/cli/commands/subscribe";
import { unsyncableCommand } from "#lib/cli/commands/unsyncable";
import { resolveEnvironment, type CliEnvironment, type EnvironmentRequest } from "#lib/cli/environment";
import { describeError, UsageError } from "#lib/cli/errors";
import { table } from "#lib/cli/format";
import { processIo, type Io } from "#lib/cli/io";

export const COMMANDS: readonly Command[] = [
  statusCommand,
  historyCommand,
  unsyncableCommand,
  retryCommand,
  linkCommand,
  subscribeCommand,
  backfillCommand,
  replayCommand,
  connectCommand,
  consoleCommand,
];

const GLOBAL_OPTIONS = {
  stage: { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

const GLOBAL_HELP: [string, string][] = [
  ["--stage NAME", "a deployed stage (stack exact-crmoffice-sync-NAME, secrets in SSM under /exact-crmoffice-sync/NAME,"],
  ["", "AWS credentials and region from the standard chain); default: the local stack of `npm start`"],
  ["-h, --help", "this help"],
];

const optionLines = (options: [string, string][]) => table(options.map(([flag, meaning]) => [`  ${flag}`, meaning]));

export function generalHelp(): string {
  return [
    "syncctl: operate the Exact Online ⇄ CRMOffice sync",
    "",
    "Usage: syncctl <command> [options] [--stage NAME]",
    "",
    "Commands:",
    ...table(COMMANDS.map((command) => [`  ${command.name}`, command.summary])),
    "",
    "Options:",
    ...optionLines(GLOBAL_HELP),
    "",
    "`syncctl <command> --help` describes a command. Exit codes: 0 done, 1 failed, 2 wrong usage, 130 stopped by Ctrl+C.",
  ].join("\n");
}

export function commandHelp(command: Command): string {
  return [
    `Usage: syncctl ${command.name} ${command.synopsis} [--stage NAME]`.replace(/ {2,}/g, " "),
    "",
    `${command.summary[0]?.toUpperCase() ?? ""}${command.summary.slice(1)}.`,
    "",
    ...command.details,
    "",
    "Options:",
    ...optionLines([...command.optionHelp, ...GLOBAL_HELP]),
  ].join("\n");
}

export interface SyncctlDeps {
  io?: Io;
  /** Turns `--stage` (or its absence) into an environment; tests point it at their own stack. */
  environment?: (request: EnvironmentRequest) => Promise<CliEnvironment>;
  /** Stops an interruptible command; by default the process's Ctrl+C (SIGINT). */
  signal?: AbortSignal;
}

/** The command name: the first argument that is neither an option nor `--stage`'s value. */
function splitCommand(argv: readonly string[]): { name?: string; rest: string[] } {
  for (let index = 0; index < argv.length; index++) {
    const arg = argv[index] as string;
    if (arg === "--") break;
    if (arg === "--stage") index++;
    else if (!arg.startsWith("-")) return { name: arg, rest: [...argv.slice(0, index), ...argv.slice(index + 1)] };
  }
  return { rest: [...argv] };
}

function parse(command: Command, args: string[]): { values: OptionValues; positionals: string[] } {
  try {
    const { values, positionals } = parseArgs({
      args,
      options: { ...GLOBAL_OPTIONS, ...command.options },
      allowPositionals: true,
      strict: true,
    });
    return { values, positionals };
  } catch (error) {
    if ((error as { code?: string }).code?.startsWith("ERR_PARSE_ARGS"))
      throw new UsageError((error as Error).message.split(/\.\s/)[0]?.replace(/\.$/, "") ?? "invalid arguments");
    throw error;
  }
}

function checkPositionals(command: Command, positionals: string[]): void {
  const { min, max, names } = command.positionals;
  if (positionals.length > max) {
    const extra = positionals
      .slice(max)
      .map((arg) => `"${arg}"`)
      .join(" ");
    throw new UsageError(max === 0 ? `${command.name} takes no arguments, got ${extra}` : `too many arguments: ${extra}`);
  }
  if (positionals.length < min) throw new UsageError(`${command.name} needs ${names ?? `${min} arguments`}`);
}

function apiUrlOption(values: OptionValues): string | undefined {
  const apiUrl = stringOption(values, "api-url");
  if (apiUrl === undefined) return undefined;
  if (!URL.canParse(apiUrl) || !/^https?:$/.test(new URL(apiUrl).protocol))
    throw new UsageError(`--api-url must be an http(s) URL, got "${apiUrl}"`);
  return apiUrl.replace(/\/+$/, "");
}

/** Runs one syncctl command line; returns the exit code. Never throws, never exits the process. */
export async function runSyncctl(argv: readonly string[], deps: SyncctlDeps = {}): Promise<number> {
  const io = deps.io ?? processIo();
  const { name, rest } = splitCommand(argv);
  const command = COMMANDS.find((known) => known.name === name);
  let stopListening = () => undefined as void;
  try {
    if (name === undefined || name === "help") {
      const topic = name === "help" ? splitCommand(rest).name : undefined;
      const about = topic === undefined ? undefined : COMMANDS.find((known) => known.name === topic);
      if (topic !== undefined && !about)
        throw new UsageError(`unknown command "${topic}" (commands: ${COMMANDS.map((known) => known.name).join(", ")})`);
      const wanted = name === "help" || rest.includes("--help") || rest.includes("-h");
      if (!wanted) {
        io.err(generalHelp());
        return EXIT.usage;
      }
      io.out(about ? commandHelp(about) : generalHelp());
      return EXIT.ok;
    }
    if (!command) throw new UsageError(`unknown command "${name}" (commands: ${COMMANDS.map((known) => known.name).join(", ")})`);

    const { values, positionals } = parse(command, rest);
    if (values.help === true) {
      io.out(commandHelp(command));
      return EXIT.ok;
    }
    checkPositionals(command, positionals);
    const request: EnvironmentRequest = { stage: stringOption(values, "stage"), apiUrl: apiUrlOption(values) };
    let environment: Promise<CliEnvironment> | undefined;
    let signal = deps.signal;
    if (!signal) {
      const controller = new AbortController();
      signal = controller.signal;
      if (command.interruptible) {
        const onInterrupt = () => {
          if (controller.signal.aborted) process.exit(EXIT.interrupted);
          controller.abort();
          io.err("stopping after the current step… (Ctrl+C again quits at once)");
        };
        process.on("SIGINT", onInterrupt);
        stopListening = () => void process.off("SIGINT", onInterrupt);
      }
    }
    return await command.run(
      { values, positionals, signal, environment: () => (environment ??= (deps.environment ?? resolveEnvironment)(request)) },
      io,
    );
  } catch (error) {
    if (error instanceof UsageError) {
      io.err(`syncctl: ${error.message} (see syncctl ${command ? `${command.name} ` : ""}--help)`);
      return EXIT.usage;
    }
    io.err(`syncctl: ${describeError(error)}`);
    if (process.env.SYNCCTL_DEBUG && error instanceof Error && error.stack) io.err(error.stack);
    return EXIT.failure;
  } finally {
    stopListening();
  }
}
