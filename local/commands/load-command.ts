import { formatReport, passed, verdictsOf } from '../load/report.js';
import { type LoadProgress, NothingListensError, runLoad } from '../load/run-load.js';
import type { LoadTarget } from '../load/target.js';
import {
  type CommandIo,
  EXIT,
  parseCommandLine,
  positiveIntegerOption,
  runCommand,
  UsageError,
} from './command.js';

export const LOAD_USAGE =
  'npm run load -- --orders N --concurrency C [--cancel-ratio R] [--settle-seconds S] [--json]';

/** Defaults: one order in ten races a cancel; two minutes to settle, far more than a healthy pipeline needs. */
export const DEFAULT_CANCEL_RATIO = 0.1;
export const DEFAULT_SETTLE_SECONDS = 120;

/** Where the progress bar goes: standard error, redrawn in place only on a terminal. */
export interface ProgressOutput {
  readonly isTTY: boolean;
  write(text: string): void;
}

export const stderrProgress: ProgressOutput = {
  get isTTY() {
    return process.stderr.isTTY === true;
  },
  write: (text) => process.stderr.write(text),
};

const NOT_RUNNING_HINT =
  'Is the local cloud running (npm start)? npm run load talks to it on 127.0.0.1 ' +
  '(HTTP 3000, MQTT 1883, or ORDERFLOW_HTTP_PORT / ORDERFLOW_MQTT_PORT).';

/**
 * `npm run load`: places N orders with C concurrent clients against the local cloud, waits for them to settle and
 * prints the report and one verdict line per property. Exit code 0 when every verdict holds, 1 when one does not
 * (an order lost, a status out of order, analytics off, a DLQ grown) or the cloud cannot be reached, 2 on a usage
 * error.
 */
export function loadCommand(
  argv: readonly string[],
  connect: () => Promise<LoadTarget>,
  io: CommandIo,
  progressOutput: ProgressOutput = stderrProgress,
): Promise<number> {
  return runCommand(
    'load',
    LOAD_USAGE,
    io,
    async () => {
      const options = parseLoadArguments(argv);
      const target = await connect();
      const progress = progressBar(progressOutput);
      try {
        const report = await runLoad(target, {
          orders: options.orders,
          concurrency: options.concurrency,
          cancelRatio: options.cancelRatio,
          settleTimeoutMs: options.settleSeconds * 1000,
          onProgress: progress.update,
        });
        progress.end();
        if (options.json) io.out(JSON.stringify({ ...report, verdicts: verdictsOf(report) }, null, 2));
        else for (const line of formatReport(report)) io.out(line);
        return passed(report) ? EXIT.ok : EXIT.failed;
      } finally {
        progress.end();
        target.close();
      }
    },
    (error) => (isConnectionFailure(error) ? NOT_RUNNING_HINT : undefined),
  );
}

export interface LoadArguments {
  orders: number;
  concurrency: number;
  cancelRatio: number;
  settleSeconds: number;
  json: boolean;
}

export function parseLoadArguments(argv: readonly string[]): LoadArguments {
  const { values } = parseCommandLine(argv, {
    options: {
      orders: { type: 'string' },
      concurrency: { type: 'string' },
      'cancel-ratio': { type: 'string' },
      'settle-seconds': { type: 'string' },
      json: { type: 'boolean', default: false },
    },
  });
  const orders = positiveIntegerOption(values.orders, 'orders');
  const concurrency = positiveIntegerOption(values.concurrency, 'concurrency');
  if (orders === undefined) throw new UsageError('--orders says how many orders to place');
  if (concurrency === undefined)
    throw new UsageError('--concurrency says how many clients place them at once');
  const cancelRatio =
    values['cancel-ratio'] === undefined ? DEFAULT_CANCEL_RATIO : Number(values['cancel-ratio']);
  if (values['cancel-ratio'] === '' || !(cancelRatio >= 0 && cancelRatio <= 1)) {
    throw new UsageError(
      `--cancel-ratio must be a number from 0 to 1 (got ${JSON.stringify(values['cancel-ratio'])})`,
    );
  }
  return {
    orders,
    concurrency,
    cancelRatio,
    settleSeconds:
      positiveIntegerOption(values['settle-seconds'], 'settle-seconds') ?? DEFAULT_SETTLE_SECONDS,
    json: values.json === true,
  };
}

/** How often a progress line is written when standard error is not a terminal (a log, CI). */
const LINE_INTERVAL_MS = 5_000;
const BAR_WIDTH = 30;

/** The load run's progress bar (see `phasedProgressBar`). */
export function progressBar(
  output: ProgressOutput,
  now: () => number = Date.now,
): { update: (progress: LoadProgress) => void; end: () => void } {
  return phasedProgressBar(output, {
    describe: describeProgress,
    isComplete: (progress) =>
      progress.phase === 'placing' ? progress.done === progress.total : progress.settled === progress.total,
    now,
  });
}

/**
 * A progress bar of a run in phases: on a terminal one line redrawn with `\r` (a new line when the phase changes);
 * elsewhere a line every few seconds and at the end of each phase, so that a log is not flooded.
 */
export function phasedProgressBar<P extends { phase: string }>(
  output: ProgressOutput,
  {
    describe,
    isComplete,
    now = Date.now,
  }: { describe: (progress: P) => string; isComplete: (progress: P) => boolean; now?: () => number },
): { update: (progress: P) => void; end: () => void } {
  let phase: string | undefined;
  let lastText = '';
  let lastWrittenAt = 0;
  let open = false;
  const end = () => {
    if (open && output.isTTY) output.write('\n');
    open = false;
  };
  const update = (progress: P) => {
    const text = describe(progress);
    const phaseChanged = progress.phase !== phase;
    const complete = isComplete(progress);
    if (phaseChanged) end();
    phase = progress.phase;
    if (output.isTTY) {
      if (text !== lastText) output.write(`\r${text}`);
      open = true;
    } else if (phaseChanged || (complete && text !== lastText) || now() - lastWrittenAt >= LINE_INTERVAL_MS) {
      output.write(`${text}\n`);
      lastWrittenAt = now();
    }
    lastText = text;
  };
  return { update, end };
}

export function describeProgress(progress: LoadProgress): string {
  if (progress.phase === 'placing') {
    return `placing  ${bar(progress.done, progress.total)} placed ${progress.placed}/${progress.total}, paid ${progress.done}/${progress.total}`;
  }
  return `settling ${bar(progress.settled, progress.total)} settled ${progress.settled}/${progress.total}`;
}

function bar(done: number, total: number): string {
  const filled = total === 0 ? BAR_WIDTH : Math.round((done / total) * BAR_WIDTH);
  return `[${'#'.repeat(filled)}${'.'.repeat(BAR_WIDTH - filled)}]`;
}

/** Nothing listens where the target points: refused connections anywhere in the error's causes. */
function isConnectionFailure(error: unknown): boolean {
  for (let current = error; current instanceof Error; current = current.cause) {
    if (current instanceof NothingListensError) return true;
    const code = (current as { code?: unknown }).code;
    if (code === 'ECONNREFUSED') return true;
    if (current instanceof AggregateError && current.errors.some(isConnectionFailure)) return true;
  }
  return false;
}
