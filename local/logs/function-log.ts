import { createWriteStream, mkdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { PROJECT_ROOT } from '../package-stack.js';

/** Where `npm start` keeps every line its functions print, for `npm run trace` (git-ignored; new each start). */
export const FUNCTION_LOG_FILE = join(PROJECT_ROOT, '.local-cloud', 'logs', 'functions.ndjson');

/** One line a function printed: which function (its deployed name), when it arrived, and the line itself. */
export interface FunctionLogEntry {
  fn: string;
  at: number;
  line: string;
}

export interface FunctionLogWriter {
  write(fn: string, line: string): void;
  close(): Promise<void>;
}

/** Starts a new log at `file` (an earlier run's is replaced: the local cloud's state does not outlive it either). */
export function openFunctionLog(file: string, now: () => number = Date.now): FunctionLogWriter {
  mkdirSync(dirname(file), { recursive: true });
  const stream = createWriteStream(file, { flags: 'w' });
  return {
    write: (fn, line) => {
      stream.write(`${JSON.stringify({ fn, at: now(), line } satisfies FunctionLogEntry)}\n`);
    },
    close: () => new Promise((resolve) => stream.end(resolve)),
  };
}

/** The entries of a function log, in the order they were written; lines that are not entries are skipped. */
export async function readFunctionLog(file: string): Promise<FunctionLogEntry[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new Error(
        `${file} does not exist: start the local cloud (npm start) and send it a request first`,
      );
    }
    throw error;
  }
  return text.split('\n').flatMap((line) => {
    if (line === '') return [];
    try {
      const entry = JSON.parse(line) as Partial<FunctionLogEntry>;
      return typeof entry.fn === 'string' && typeof entry.line === 'string' && typeof entry.at === 'number'
        ? [entry as FunctionLogEntry]
        : [];
    } catch {
      return [];
    }
  });
}
