import { type ChaosReport, chaosPassed, chaosVerdictsOf, formatChaosReport } from '../chaos/chaos-report.js';
import type { ChaosProgress } from '../chaos/run-chaos.js';
import {
  type CommandIo,
  EXIT,
  parseCommandLine,
  positiveIntegerOption,
  runCommand,
  UsageError,
} from './command.js';
import { type ProgressOutput, phasedProgressBar, stderrProgress } from './load-command.js';

export const CHAOS_USAGE =
  'npm run chaos -- --orders N [--fault-rate R] [--seed S] [--concurrency C] [--cancel-ratio R] [--settle-seconds S] [--no-package] [--json]';

/**
 * Defaults: one SDK call in five fails; 100 clients; a fifth of the orders race a cancel; ten minutes to recover.
 * Under faults a client spends most of its time waiting (its backoff, an idempotency record held by an attempt that
 * timed out), so a run is bound by latency, not CPU: on two cores 20 clients placed about 1.4 orders/s and 100 about
 * 2.9 (`--fault-rate 0.2`), which makes `--orders 10000` an hour instead of two.
 */
export const DEFAULT_FAULT_RATE = 0.2;
export const DEFAULT_CHAOS_CONCURRENCY = 100;
export const DEFAULT_CHAOS_CANCEL_RATIO = 0.2;
export const DEFAULT_RECOVERY_SECONDS = 600;

export interface ChaosArguments {
  orders: number;
  faultRate: number;
  /** Absent: a fresh one, printed with the report so that the run can be repeated. */
  seed?: number;
  concurrency: number;
  cancelRatio: number;
  settleSeconds: number;
  /** Reuse the last package instead of running `serverless package` first. */
  package: boolean;
  json: boolean;
}

/** What the command needs done around the run: start a cloud with the run's faults, run, stop it. */
export type RunChaosIn = (
  options: ChaosArguments & { seed: number },
  onProgress: (progress: ChaosProgress) => void,
) => Promise<ChaosReport>;

/**
 * `npm run chaos`: a local cloud of its own with faults, the workload through it, the faults off, every DLQ redriven
 * and the failures replayed, then the report and one verdict per promise. Exit code 0 when every verdict holds, 1
 * when one does not (or the run could not be made), 2 on a usage error.
 */
export function chaosCommand(
  argv: readonly string[],
  run: RunChaosIn,
  io: CommandIo,
  progressOutput: ProgressOutput = stderrProgress,
  newSeed: () => number = () => Math.floor(Math.random() * 2 ** 31),
): Promise<number> {
  return runCommand(
    'chaos',
    CHAOS_USAGE,
    io,
    async () => {
      const options = parseChaosArguments(argv);
      const seed = options.seed ?? newSeed();
      const progress = chaosProgressBar(progressOutput);
      try {
        const report = await run({ ...options, seed }, progress.update);
        progress.end();
        if (options.json) io.out(JSON.stringify({ ...report, verdicts: chaosVerdictsOf(report) }, null, 2));
        else for (const line of formatChaosReport(report)) io.out(line);
        return chaosPassed(report) ? EXIT.ok : EXIT.failed;
      } finally {
        progress.end();
      }
    },
    () => undefined,
  );
}

export function parseChaosArguments(argv: readonly string[]): ChaosArguments {
  const { values } = parseCommandLine(argv, {
    options: {
      orders: { type: 'string' },
      'fault-rate': { type: 'string' },
      seed: { type: 'string' },
      concurrency: { type: 'string' },
      'cancel-ratio': { type: 'string' },
      'settle-seconds': { type: 'string' },
      'no-package': { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
    },
  });
  const orders = positiveIntegerOption(values.orders, 'orders');
  if (orders === undefined) throw new UsageError('--orders says how many orders to place');
  const seedText = values.seed;
  const seed = seedText === undefined ? undefined : Number(seedText);
  if (seed !== undefined && !(Number.isInteger(seed) && seed >= 0 && seed < 2 ** 31)) {
    throw new UsageError(
      `--seed must be a whole number from 0 to 2147483647 (got ${JSON.stringify(seedText)})`,
    );
  }
  return {
    orders,
    faultRate: fraction(values['fault-rate'], 'fault-rate', DEFAULT_FAULT_RATE),
    ...(seed === undefined ? {} : { seed }),
    concurrency: positiveIntegerOption(values.concurrency, 'concurrency') ?? DEFAULT_CHAOS_CONCURRENCY,
    cancelRatio: fraction(values['cancel-ratio'], 'cancel-ratio', DEFAULT_CHAOS_CANCEL_RATIO),
    settleSeconds:
      positiveIntegerOption(values['settle-seconds'], 'settle-seconds') ?? DEFAULT_RECOVERY_SECONDS,
    package: !values['no-package'],
    json: values.json,
  };
}

function fraction(value: string | undefined, option: string, fallback: number): number {
  if (value === undefined) return fallback;
  const number = Number(value);
  if (value === '' || !(number >= 0 && number <= 1)) {
    throw new UsageError(`--${option} must be a number from 0 to 1 (got ${JSON.stringify(value)})`);
  }
  return number;
}

const BAR_WIDTH = 30;

/** The chaos run's progress bar on standard error: faults on (orders placed), then recovering (orders settled). */
export function chaosProgressBar(
  output: ProgressOutput,
  now: () => number = Date.now,
): { update: (progress: ChaosProgress) => void; end: () => void } {
  return phasedProgressBar(output, {
    describe: describeChaosProgress,
    isComplete: (progress) =>
      progress.phase === 'placing' ? progress.done === progress.total : progress.settled === progress.total,
    now,
  });
}

export function describeChaosProgress(progress: ChaosProgress): string {
  if (progress.phase === 'placing') {
    return `faults on   ${bar(progress.done, progress.total)} placed ${progress.placed}/${progress.total}, settled ${progress.done}/${progress.total}`;
  }
  return `recovering  ${bar(progress.settled, progress.total)} settled ${progress.settled}/${progress.total} (pass ${progress.pass})`;
}

function bar(done: number, total: number): string {
  const filled = total === 0 ? BAR_WIDTH : Math.round((done / total) * BAR_WIDTH);
  return `[${'#'.repeat(filled)}${'.'.repeat(BAR_WIDTH - filled)}]`;
}
