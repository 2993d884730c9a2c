import type { ParseArgsConfig } from "node:util";
import type { CliEnvironment } from "#lib/cli/environment";
import type { Io } from "#lib/cli/io";

export type OptionValues = Record<string, string | boolean | (string | boolean)[] | undefined>;

export interface CommandInput {
  values: OptionValues;
  positionals: string[];
  /** Resolved on first use, so bad arguments are refused before anything is contacted. */
  environment(): Promise<CliEnvironment>;
  /** Aborted on Ctrl+C, for commands that stop cleanly (backfill, replay). */
  signal: AbortSignal;
}

export interface Command {
  name: string;
  /** One line, for `syncctl --help`. */
  summary: string;
  /** Arguments after the command name, e.g. `[--dry-run] [--flow NAME] [--limit N]`. */
  synopsis: string;
  /** Further lines for `syncctl <command> --help`: what it does. */
  details: string[];
  /** Its options for `--help`: flag, meaning. */
  optionHelp: [string, string][];
  options: NonNullable<ParseArgsConfig["options"]>;
  positionals: { min: number; max: number; names?: string };
  /** Ctrl+C aborts `signal` and the command stops cleanly instead of the process exiting. */
  interruptible?: boolean;
  /** Returns the exit code. */
  run(input: CommandInput, io: Io): Promise<number>;
}

export const stringOption = (values: OptionValues, name: string): string | undefined => {
  const value = values[name];
  return typeof value === "string" ? value : undefined;
};

/** Exit codes: 0 done, 1 failed, 2 wrong command line, 130 stopped by Ctrl+C (128 + SIGINT, as shells report it). */
export const EXIT = { ok: 0, failure: 1, usage: 2, interrupted: 130 } as const;
