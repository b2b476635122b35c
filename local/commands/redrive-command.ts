import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { RedriveInProgressError, runRedrive } from '../../shared/app/redrive-dlq.js';
import { REDRIVE_QUEUES, type RedriveQueue } from '../../shared/wiring/redrive-ports.js';
import { type CommandIo, EXIT, positiveIntegerOption, runCommand, UsageError } from './command.js';
import { localRedrivePorts } from './local-redrive-ports.js';
import type { LocalTarget } from './local-target.js';

export const REDRIVE_USAGE = `npm run redrive -- --queue ${REDRIVE_QUEUES.join('|')} [--dry-run] [--max N] [--order ID] [--park-after N] [--unpark MESSAGE_ID ...]`;

/**
 * `npm run redrive`: redrives a DLQ of the local cloud with the code of the `redriveDlq` Lambda, and prints its
 * report (JSON). Returns the exit code.
 */
export function redriveCommand(
  argv: readonly string[],
  connect: () => Promise<LocalTarget>,
  io: CommandIo,
): Promise<number> {
  return runCommand(
    'redrive',
    REDRIVE_USAGE,
    io,
    async () => {
      const options = parseRedriveArguments(argv);
      const target = await connect();
      try {
        const report = await runRedrive(localRedrivePorts(target.functions, target.clients)(options.queue), {
          ...options,
          owner: `npm-run-redrive-${randomUUID()}`,
        });
        io.out(JSON.stringify(report, null, 2));
        return EXIT.ok;
      } finally {
        target.close();
      }
    },
    (error) =>
      error instanceof RedriveInProgressError ? undefined : 'Is the local cloud running (npm start)?',
  );
}

interface RedriveArguments {
  queue: RedriveQueue;
  dryRun: boolean;
  max?: number;
  orderId?: string;
  parkAfter?: number;
  unpark?: string[];
}

function parseRedriveArguments(argv: readonly string[]): RedriveArguments {
  let values: {
    queue?: string;
    'dry-run'?: boolean;
    max?: string;
    order?: string;
    'park-after'?: string;
    unpark?: string[];
  };
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        queue: { type: 'string' },
        'dry-run': { type: 'boolean', default: false },
        max: { type: 'string' },
        order: { type: 'string' },
        'park-after': { type: 'string' },
        unpark: { type: 'string', multiple: true },
      },
    }));
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  const queue = REDRIVE_QUEUES.find((name) => name === values.queue);
  if (queue === undefined) {
    throw new UsageError(
      `--queue must be one of ${REDRIVE_QUEUES.join(', ')} (got ${JSON.stringify(values.queue ?? null)})`,
    );
  }
  const max = positiveIntegerOption(values.max, 'max');
  const parkAfter = positiveIntegerOption(values['park-after'], 'park-after');
  if (values.order === '') throw new UsageError('--order needs an order id');
  const unpark = values.unpark ?? [];
  if (unpark.some((id) => id === ''))
    throw new UsageError('--unpark needs the message id of a parked message');
  if (unpark.length > 0 && values['dry-run']) {
    throw new UsageError('--unpark changes the parking table: it cannot be part of a --dry-run');
  }
  return {
    queue,
    dryRun: values['dry-run'] === true,
    ...(max === undefined ? {} : { max }),
    ...(values.order === undefined ? {} : { orderId: values.order }),
    ...(parkAfter === undefined ? {} : { parkAfter }),
    ...(unpark.length === 0 ? {} : { unpark }),
  };
}
