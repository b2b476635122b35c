import { type ParseArgsConfig, parseArgs } from 'node:util';

/** What a command prints to: standard output for its result, standard error for what went wrong. */
export interface CommandIo {
  out(text: string): void;
  err(text: string): void;
}

/** Exit codes: 0 done, 1 it ran and failed (a dependency, a lock), 2 the command line was wrong. */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

/** The command line is wrong: the message says what to type instead. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export const consoleIo: CommandIo = {
  out: (text) => console.log(text),
  err: (text) => console.error(text),
};

/**
 * Reads a command line with `parseArgs` (strict unless `config` says otherwise): what it refuses — an unknown option,
 * a missing value, a positional where none is allowed — is a {@link UsageError} with `parseArgs`' message.
 */
export function parseCommandLine<T extends ParseArgsConfig>(
  argv: readonly string[],
  config: T,
): ReturnType<typeof parseArgs<T>> {
  try {
    return parseArgs<T>({ ...config, args: [...argv] });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
}

/** A whole number ≥ 1 from an option, or `undefined` when the option is absent. */
export function positiveIntegerOption(value: string | undefined, option: string): number | undefined {
  if (value === undefined) return undefined;
  const number = Number(value);
  if (!Number.isInteger(number) || number < 1) {
    throw new UsageError(`--${option} must be a whole number ≥ 1 (got ${JSON.stringify(value)})`);
  }
  return number;
}

/**
 * Runs a command's body (which may return its exit code) and turns what it throws into a message and an exit code:
 * a usage error with the usage line, anything else with `hint` (what to check, e.g. that the local cloud runs).
 */
export async function runCommand(
  name: string,
  usage: string,
  io: CommandIo,
  body: () => Promise<number | undefined>,
  hint: (error: unknown) => string | undefined,
): Promise<number> {
  try {
    return (await body()) ?? EXIT.ok;
  } catch (error) {
    io.err(`${name}: ${error instanceof Error ? error.message : String(error)}`);
    if (error instanceof UsageError) {
      io.err(`usage: ${usage}`);
      return EXIT.usage;
    }
    const extra = hint(error);
    if (extra !== undefined) io.err(extra);
    return EXIT.failed;
  }
}
