import { parseArgs } from 'node:util';
import { type CommandIo, EXIT, runCommand, UsageError } from '../local/commands/command.js';
import { type ProgressOutput, phasedProgressBar, stderrProgress } from '../local/commands/load-command.js';
import type { BenchProgress } from './bench.js';
import { judgeBudgets } from './budgets.js';
import { formatMarkdown, formatSummary } from './report.js';
import type { BenchResults } from './results.js';

export const BENCH_USAGE = 'npm run bench [-- --check] [--no-package]';

export interface BenchArguments {
  /** Exit 1 when a budget is missed. */
  check: boolean;
  /** Reuse the last package instead of running `serverless package` first. */
  package: boolean;
}

export function parseBenchArguments(argv: readonly string[]): BenchArguments {
  let values: { check?: boolean; 'no-package'?: boolean };
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: { check: { type: 'boolean' }, 'no-package': { type: 'boolean' } },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  return { check: values.check === true, package: values['no-package'] !== true };
}

/**
 * `npm run bench`: measures, writes `bench/results/latest.json` and `latest.md`, prints the headline figures and
 * every budget missed. Exit 0; with `--check`, 1 when a budget is missed (each named); 2 on a usage error.
 */
export function benchCommand(
  argv: readonly string[],
  run: (options: BenchArguments, onProgress: (progress: BenchProgress) => void) => Promise<BenchResults>,
  write: (results: BenchResults, markdown: string) => Promise<string>,
  io: CommandIo,
  progressOutput: ProgressOutput = stderrProgress,
): Promise<number> {
  return runCommand(
    'bench',
    BENCH_USAGE,
    io,
    async () => {
      const options = parseBenchArguments(argv);
      const progress = phasedProgressBar<BenchProgress>(progressOutput, {
        describe: describeBenchProgress,
        isComplete: (update) => update.done === update.total,
      });
      let results: BenchResults;
      try {
        results = await run(options, progress.update);
      } finally {
        progress.end();
      }
      const verdicts = judgeBudgets(results);
      const where = await write(results, formatMarkdown(results, verdicts));
      for (const line of formatSummary(results, verdicts)) io.out(line);
      io.out(`results      ${where}`);
      return options.check && verdicts.some((verdict) => !verdict.holds) ? EXIT.failed : EXIT.ok;
    },
    () => undefined,
  );
}

const BAR_WIDTH = 30;

export function describeBenchProgress(progress: BenchProgress): string {
  const filled = progress.total === 0 ? BAR_WIDTH : Math.round((progress.done / progress.total) * BAR_WIDTH);
  const bar = `[${'#'.repeat(filled)}${'.'.repeat(BAR_WIDTH - filled)}]`;
  return `${progress.phase.padEnd(16)} ${bar} ${progress.done}/${progress.total} ${progress.detail}`;
}
